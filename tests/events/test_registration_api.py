"""Registering through the JSON API: seats, the waitlist, bad answers, the form built once per revision.

The form a registration is checked against is cached per form page revision in each web process
(forms.services.visitor_form): these tests show a newly published revision is what the next visitor
gets, whether it was published in this process or in another one, and they keep the query budgets of
the GET and the POST that a burst of registrations runs.
"""

import pytest
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms.event_pages import event_pages_sync
from events.models import Registration
from forms.models import LeadFormField, LeadFormPage
from forms.services import visitor_form
from tests.factories import EventFactory, LeadFormPageFactory

from .conftest import committed

pytestmark = pytest.mark.django_db

REGISTRATION_FIELDS = [
    ("Work email", "email", "email", True, False, ""),
    ("First name", "singleline", "first_name", True, False, ""),
    ("Last name", "singleline", "last_name", True, False, ""),
    ("Company", "singleline", "company", False, False, ""),
]
# A new visitor's GET and POST. Measured on SQLite and PostgreSQL, with the form's definition cached.
GET_BUDGET = 6  # event, speakers, sessions, topics, which form (a narrow query), consent policy
POST_BUDGET = 21  # PostgreSQL and SQLite alike; savepoints count (tests run inside a transaction)


def event_form(**fields):
    return LeadFormPageFactory(purpose="registration", fields=REGISTRATION_FIELDS, **fields)


def published(form: LeadFormPage) -> LeadFormPage:
    form.save_revision().publish()
    form.refresh_from_db()
    return form


def definition(client, event) -> dict:
    response = client.get(f"/api/v1/events/{event.pk}")
    assert response.status_code == 200, response.content
    # One visitor's form and registration: never kept by a shared cache or reused by the browser.
    assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}
    return response.json()["form"]


def register(client, event, n, form=None, **answers) -> tuple[int, dict]:
    """GET the event's form, then POST the answers as a front end would."""
    form = form or definition(client, event)
    consent = form["consent"] or {}
    body = {
        "token": form["token"],
        "visitor_id": form["visitor_id"],
        "consent_policy": consent.get("policy", ""),
        "answers": {
            "work_email": f"guest{n}@meridian-bank.de",
            "first_name": f"Ana{n}",
            "last_name": "Silva",
            **({consent["field"]: True} if consent.get("show_checkbox") else {}),
            **answers,
        },
    }
    with committed():
        response = client.post(f"/api/v1/events/{event.pk}/registrations", body, content_type="application/json")
    return response.status_code, response.json()


def field_names(form_definition: dict) -> list[str]:
    return [field["name"] for field in form_definition["fields"]]


def test_the_api_takes_the_seats_then_waitlists_and_never_overbooks(home_page):
    event = EventFactory(capacity=2, registration_form=published(event_form()))
    client = Client()
    outcomes = [register(client, event, n) for n in range(4)]
    assert [(status, body["status"]) for status, body in outcomes] == [
        (201, "approved"),
        (201, "approved"),
        (201, "waitlisted"),
        (201, "waitlisted"),
    ]
    assert outcomes[0][1]["ticket_url"] and outcomes[2][1]["ticket_url"] is None
    event.refresh_from_db()
    assert event.seats_taken == 2
    assert Registration.objects.filter(event=event, status="approved").count() == 2
    again = register(client, event, 0)
    assert again[0] == 200 and again[1]["created"] is False and again[1]["status"] == "approved"


@pytest.mark.parametrize(
    "answers, field",
    [({"work_email": "not an address"}, "work_email"), ({"first_name": ""}, "first_name")],
    ids=["bad-email", "missing-name"],
)
def test_a_bad_answer_names_the_field_and_takes_no_seat(home_page, answers, field):
    event = EventFactory(capacity=1, registration_form=published(event_form()))
    status, body = register(Client(), event, 1, **answers)
    assert status == 422 and field in body["errors"], body
    event.refresh_from_db()
    assert event.seats_taken == 0 and not Registration.objects.filter(event=event).exists()


def add_field_and_publish(form: LeadFormPage, label: str) -> None:
    """What an editor does in the admin: edit the latest revision, add a required question, publish."""
    draft = form.get_latest_revision_as_object()
    draft.form_fields.add(LeadFormField(label=label, field_type="singleline", required=True, sort_order=99))
    draft.save_revision().publish()


def test_a_published_revision_with_a_new_field_is_asked_at_the_next_registration(home_page):
    form = published(event_form())
    event = EventFactory(capacity=5, registration_form=form)
    client = Client()
    assert register(client, event, 1)[0] == 201
    assert "dietary_needs" not in field_names(definition(client, event))

    add_field_and_publish(form, "Dietary needs")

    assert "dietary_needs" in field_names(definition(client, event))
    status, body = register(client, event, 2)
    assert status == 422 and "dietary_needs" in body["errors"]
    status, body = register(client, event, 2, dietary_needs="Vegetarian")
    assert status == 201 and body["status"] == "approved"


@pytest.fixture
def published_elsewhere():
    """Publishing as another web process would: this process's cache hears nothing about it."""
    receivers = [
        (signal, sender, uid)
        for signal, action in ((post_save, "saved"), (post_delete, "deleted"))
        for sender, uid in (
            (LeadFormPage, f"visitor_form_page_{action}"),
            (LeadFormField, f"visitor_form_field_{action}"),
        )
    ]
    for signal, sender, uid in receivers:
        assert signal.disconnect(sender=sender, dispatch_uid=uid)
    yield
    for signal, sender, uid in receivers:
        signal.connect(visitor_form._page_changed, sender=sender, dispatch_uid=uid)


def test_a_revision_published_by_another_process_is_asked_at_the_next_registration(home_page, published_elsewhere):
    form = published(event_form())
    event = EventFactory(capacity=5, registration_form=form)
    client = Client()
    assert "dietary_needs" not in field_names(definition(client, event))
    assert register(client, event, 1)[0] == 201  # the form is now built and cached here

    add_field_and_publish(form, "Dietary needs")

    assert "dietary_needs" in field_names(definition(client, event))
    assert register(client, event, 2)[1]["errors"]["dietary_needs"]


def test_the_sites_default_form_changes_when_an_editor_publishes_it(home_page, published_elsewhere):
    event = EventFactory(capacity=5)
    with committed():
        event_pages_sync([event], publish=True)  # makes the default registration form (never published)
    client = Client()
    assert "t_shirt_size" not in field_names(definition(client, event))
    form = LeadFormPage.objects.get(purpose="registration")
    assert form.live_revision_id is None

    add_field_and_publish(form, "T-shirt size")

    assert "t_shirt_size" in field_names(definition(client, event))


def test_a_field_added_without_a_revision_in_this_process_is_asked_at_once(home_page):
    form = published(event_form())
    event = EventFactory(capacity=5, registration_form=form)
    client = Client()
    assert "badge_name" not in field_names(definition(client, event))
    LeadFormField.objects.create(page=form, label="Badge name", field_type="singleline", sort_order=50)
    assert "badge_name" in field_names(definition(client, event))


def test_the_form_is_built_once_per_revision_not_per_request(home_page):
    event = EventFactory(capacity=50, registration_form=published(event_form()))
    client = Client()
    register(client, event, 0)  # the first visitor builds it
    with CaptureQueriesContext(connection) as captured:
        for n in range(1, 4):
            assert register(client, event, n)[0] == 201
    sql = [query["sql"] for query in captured.captured_queries]
    assert not [q for q in sql if "leadforms_leadformfield" in q], "the fields were read again"
    # Nor the form page's row (a Wagtail page: two tables, every column) when the form is shown.
    # (The POST's queued lead processing reads it: in the tests it runs at once, after commit.)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            definition(client, event)
    assert not [q["sql"] for q in captured.captured_queries if '"leadforms_leadformpage"."intro"' in q["sql"]]


def test_the_registration_get_and_post_stay_within_their_query_budgets(
    home_page, settings, django_assert_max_num_queries
):
    event = EventFactory(capacity=50, registration_form=published(event_form()))
    client = Client()
    # As in production: the lead's processing and the email wait in the database queue for a worker.
    queued = {"BACKEND": "django_tasks_db.DatabaseBackend"}
    settings.TASKS = {"default": queued, "background": queued}
    register(client, event, 0)  # warm: the form built, the site's root paths cached
    with django_assert_max_num_queries(GET_BUDGET):
        form = definition(client, event)
    with django_assert_max_num_queries(POST_BUDGET):
        status, body = register(client, event, 1, form=form)
    assert status == 201 and body["status"] == "approved"


def test_the_form_served_is_an_unpublished_preview_when_its_fields_are_in_memory(home_page):
    form = published(event_form())
    visitor = visitor_form.Visitor()
    plan = visitor_form.form_plan(form, visitor)
    assert "allergies" not in visitor_form.form_class(form, plan)().fields  # cached for this revision
    preview = form.get_latest_revision_as_object()  # no draft: Wagtail hands back `form` itself
    preview.form_fields.add(LeadFormField(label="Allergies", field_type="singleline", sort_order=9))
    assert visitor_form.definition_key(preview) is None
    assert "allergies" in visitor_form.form_class(preview, visitor_form.form_plan(preview, visitor))().fields
    again = LeadFormPage.objects.get(pk=form.pk)
    assert "allergies" not in visitor_form.form_class(again, visitor_form.form_plan(again, visitor))().fields


def test_forms_built_from_one_cached_class_share_no_state(home_page):
    form = published(event_form())
    visitor = visitor_form.Visitor()
    plan = visitor_form.form_plan(form, visitor)
    first = form.get_form({"work_email": "nope"}, plan=plan)
    second = form.get_form({"work_email": "ana@meridian-bank.de"}, plan=plan)
    assert type(first) is type(second)  # one class for the revision and the plan
    first.fields["work_email"].widget.attrs["class"] = "error"
    first.fields["work_email"].required = False
    assert "class" not in second.fields["work_email"].widget.attrs and second.fields["work_email"].required
    assert not first.is_valid() and "work_email" in first.errors
    assert "work_email" not in second.errors
