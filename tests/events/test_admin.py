"""The events admin: the Events menu, creating events with their landing pages, bulk actions on events
and registrations, the door (search, scan, walk-ins), "Register someone", masking and hostile input.
Everything through the admin's HTTP surface, as a browser (with or without JavaScript) would send it."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from cms.models import EventIndexPage, EventPage
from events import links
from events.models import EmailKind, Event, EventEmailTemplate, Registration
from events.services.emails import PLACEHOLDER_HELP
from tests.factories import EventFactory, RegistrationFactory, WebinarFactory

from .conftest import committed, generated_page, register

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(Event.snippet_viewset.get_url_name(name), args=args)


def registrations_url(name="list", *args):
    return reverse(Registration.snippet_viewset.get_url_name(name), args=args)


def door(event):
    return url("check_in", event.pk)


def bulk(model, action, objects):
    ids = "&".join(f"id={obj.pk}" for obj in objects)
    return f"/admin/bulk/events/{model}/{action}/?{ids}&next=/admin/"


def body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def messages_of(response) -> list[str]:
    """The admin messages on a page, as text (Wagtail renders them with their buttons)."""
    if not response.context:
        return []
    return [" ".join(strip_tags(str(message.message)).split()) for message in response.context["messages"]]


@pytest.fixture
def make_user(django_user_model):
    """A Wagtail user whose group has these permissions (and nothing else, e.g. no leads.view_personal_data)."""

    def make(username, *permissions, first_name=""):
        user = django_user_model.objects.create_user(
            username, f"{username}@signalpage.test", "pw-123-secret", first_name=first_name
        )
        group = Group.objects.create(name=f"{username} group")
        for label in ("wagtailadmin.access_admin", *permissions):
            app_label, codename = label.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        user.groups.add(group)
        return user

    return make


@pytest.fixture
def doorkeeper(client, make_user):
    client.force_login(make_user("doorkeeper", "events.check_in_registration", first_name="Dora"))
    return client


# --- The menu ------------------------------------------------------------------------------------------


def test_the_events_menu_has_its_screens_and_the_approval_queue(admin_client):
    html = admin_client.get("/admin/").content.decode()
    for label in ("Events", "Registrations", "Speakers", "Event emails", "Approval queue", "Import events"):
        assert label in html
    assert registrations_url() + "?status=pending" in html


def test_the_approval_queue_lists_pending_registrations(admin_client, event):
    RegistrationFactory(event=event, first_name="Penny", status=Registration.Status.PENDING)
    RegistrationFactory(event=event, first_name="Abby", status=Registration.Status.APPROVED)
    html = admin_client.get(registrations_url() + "?status=pending").content.decode()
    assert "Penny" in html and "Abby" not in html


# --- Events and their landing pages ----------------------------------------------------------------------


def event_form(client, **values):
    """The add form as the browser would send it, with these values typed in."""
    response = client.get(url("add"))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    start = (timezone.localtime() + timedelta(days=20)).replace(hour=18, minute=0)
    data.update(
        {
            "title": "Revenue Summit Munich",
            "type": "in_person",
            "status": "scheduled",
            "time_zone": "Europe/Berlin",
            "starts_at": f"{start:%Y-%m-%d %H:%M}",
            "ends_at": f"{start + timedelta(hours=3):%Y-%m-%d %H:%M}",
            "venue_name": "Werksviertel",
            "city": "Munich",
            "country": "de",
            "capacity": "80",
            "reminders": "24h, 1h",
            "stream_preview_seconds": "0",
            **values,
        }
    )
    return data


def test_the_add_form_offers_a_draft_landing_page_by_default(admin_client, home_page):
    html = admin_client.get(url("add")).content.decode()
    data = querydict_from_html(html, form_id="w-editor-form")
    assert data["landing_page"] == "draft"
    assert "Generate and publish it" in html and "Don&#x27;t generate it yet" in html


def test_creating_an_event_with_generate_and_publish_puts_it_live_on_the_site(admin_client, home_page, client):
    with committed():
        response = admin_client.post(url("add"), event_form(admin_client, landing_page="publish"), follow=True)
    assert response.status_code == 200
    event = Event.objects.get(title="Revenue Summit Munich")
    assert event.country == "DE" and event.capacity == 80
    page = EventPage.objects.get(event=event)
    assert page.live and isinstance(page.get_parent().specific, EventIndexPage)
    assert any("landing page is live" in message for message in messages_of(response))
    assert f"/admin/pages/{page.pk}/edit/" in response.content.decode()

    public = client.get(page.url)
    assert public.status_code == 200
    assert "Revenue Summit Munich" in public.content.decode() and "Werksviertel" in public.content.decode()


def test_creating_an_event_without_a_page_makes_none(admin_client, home_page):
    admin_client.post(url("add"), event_form(admin_client, landing_page="later"))
    assert Event.objects.filter(title="Revenue Summit Munich").exists()
    assert not EventPage.objects.exists()


def test_validation_errors_name_their_field(admin_client, home_page):
    data = event_form(admin_client, type="webinar", venue_name="", city="", online_url="")
    data["ends_at"] = data["starts_at"]
    response = admin_client.post(url("add"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The end must be after the start." in errors["ends_at"]
    assert "A webinar needs its stream or join link." in errors["online_url"]
    assert not Event.objects.exists()


def test_an_edit_of_an_event_with_a_page_keeps_it_or_publishes_it(admin_client, event):
    page = generated_page(event, publish=False)
    html = admin_client.get(url("edit", event.pk)).content.decode()
    data = querydict_from_html(html, form_id="w-editor-form")
    assert data["landing_page"] == "keep" and "Publish the page now" in html
    assert "Generate it as a draft" not in html
    assert url("check_in", event.pk) in html and url("register_someone", event.pk) in html

    data["landing_page"] = "publish"
    with committed():
        response = admin_client.post(url("edit", event.pk), data, follow=True)
    assert response.status_code == 200
    page.refresh_from_db()
    assert page.live
    assert any("published" in message for message in messages_of(response))


def test_more_seats_in_the_edit_form_seat_the_waitlist(admin_client, event):
    for n in range(3):
        RegistrationFactory(event=event, first_name=f"Seated{n}")
    waiting = RegistrationFactory(event=event, first_name="Wanda", status=Registration.Status.WAITLISTED)
    Event.objects.filter(pk=event.pk).update(seats_taken=3)
    data = querydict_from_html(admin_client.get(url("edit", event.pk)).content.decode(), form_id="w-editor-form")
    assert data["landing_page"] == "later"  # no page yet: an edit makes none unasked
    data["capacity"] = "5"
    with committed():
        assert admin_client.post(url("edit", event.pk), data).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.APPROVED
    assert [message.to for message in mail.outbox] == [[waiting.email]]
    assert not EventPage.objects.exists()


def test_cancelling_an_event_in_the_form_tells_its_registrants(admin_client, event):
    registration = RegistrationFactory(event=event)
    data = querydict_from_html(admin_client.get(url("edit", event.pk)).content.decode(), form_id="w-editor-form")
    data["status"] = "cancelled"
    with committed():
        admin_client.post(url("edit", event.pk), data)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert [message.subject for message in mail.outbox] == ["Cancelled: RevOps Meetup Berlin"]


def test_the_events_listing(admin_client, event):
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, status=Registration.Status.CANCELLED)
    Event.objects.filter(pk=event.pk).update(seats_taken=1)
    page = generated_page(event)
    EventFactory(title="Pipeline Night Hamburg", city="Hamburg", capacity=None)
    html = admin_client.get(url("list")).content.decode()
    assert "RevOps Meetup Berlin" in html and "In person (meetup, workshop)" in html and "Scheduled" in html
    assert "1 / 3" in html and "0 / ∞" in html
    assert f"/admin/pages/{page.pk}/edit/" in html
    assert door(event) in html and url("register_someone", event.pk) in html
    assert registrations_url() + f"?event={event.pk}" in html

    found = admin_client.get(url("list") + "?q=Hamburg").content.decode()
    assert "Pipeline Night Hamburg" in found and "RevOps Meetup Berlin" not in found
    webinars = admin_client.get(url("list") + "?type=webinar").content.decode()
    assert "RevOps Meetup Berlin" not in webinars


def test_bulk_generate_landing_pages_for_three_events(admin_client, home_page):
    events = [EventFactory(title=f"Roadshow stop {n}") for n in range(3)]
    confirm = admin_client.get(bulk("event", "generate_landing_pages", events))
    assert confirm.status_code == 200 and "Roadshow stop 2" in confirm.content.decode()
    with committed():
        response = admin_client.post(bulk("event", "generate_landing_pages", events), follow=True)
    assert EventPage.objects.filter(event__in=events, live=False).count() == 3
    assert "3 landing pages: 3 created (drafts for review)." in messages_of(response)

    with committed():
        response = admin_client.post(bulk("event", "publish_landing_pages", events), follow=True)
    assert EventPage.objects.filter(event__in=events, live=True).count() == 3
    assert "3 landing pages: 3 updated and published." in messages_of(response)


def test_publishing_a_landing_page_needs_permission_to_publish_pages(client, make_user, home_page):
    client.force_login(make_user("planner", "events.add_event", "events.change_event"))
    html = client.get(url("add")).content.decode()
    assert "Generate it as a draft for review" in html and "Generate and publish it" not in html
    response = client.post(url("add"), event_form(client, landing_page="publish"))
    assert response.status_code == 200 and "landing_page" in response.context["form"].errors
    with committed():
        assert client.post(url("add"), event_form(client, landing_page="draft")).status_code == 302
    event = Event.objects.get()
    assert not EventPage.objects.get(event=event).live

    confirm = client.get(bulk("event", "publish_landing_pages", [event])).content.decode()
    assert "Left out" in confirm
    client.post(bulk("event", "publish_landing_pages", [event]))
    assert not EventPage.objects.get(event=event).live


# --- Registrations: decisions ------------------------------------------------------------------------


@pytest.fixture
def approval_event(home_page):
    return EventFactory(title="Executive Dinner", capacity=1, requires_approval=True)


def test_approving_seats_who_fits_and_waitlists_the_rest(admin_client, approval_event):
    first, second = (RegistrationFactory(event=approval_event, status=Registration.Status.PENDING) for _ in range(2))
    confirm = admin_client.get(bulk("registration", "approve", [first, second]))
    assert confirm.status_code == 200 and first.first_name in confirm.content.decode()
    with committed():
        response = admin_client.post(bulk("registration", "approve", [first, second]), follow=True)
    first.refresh_from_db(), second.refresh_from_db()
    assert {first.status, second.status} == {Registration.Status.APPROVED, Registration.Status.WAITLISTED}
    assert "1 approved, 1 waitlisted (event full)." in messages_of(response)
    assert {message.subject for message in mail.outbox} == {
        "Your place at Executive Dinner is confirmed",
        "You're on the waitlist for Executive Dinner",
    }


def test_rejecting_asks_for_the_reason_and_sends_it(admin_client, approval_event):
    pending = RegistrationFactory(event=approval_event, status=Registration.Status.PENDING)
    already = RegistrationFactory(event=approval_event, status=Registration.Status.REJECTED)
    confirm = admin_client.get(bulk("registration", "reject", [pending, already]))
    assert 'name="reason"' in confirm.content.decode()
    with committed():
        response = admin_client.post(
            bulk("registration", "reject", [pending, already]),
            {"reason": "This dinner is for customers only."},
            follow=True,
        )
    pending.refresh_from_db()
    assert pending.status == Registration.Status.REJECTED
    assert pending.rejection_reason == "This dinner is for customers only."
    assert "1 rejected, 1 left as they were (rejected)." in messages_of(response)
    [message] = mail.outbox
    assert message.to == [pending.email] and "This dinner is for customers only." in message.body


def test_cancelling_frees_the_seat_for_the_waitlist(admin_client, event):
    seated = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=Registration.Status.WAITLISTED)
    Event.objects.filter(pk=event.pk).update(seats_taken=3)
    with committed():
        response = admin_client.post(bulk("registration", "cancel", [seated]), follow=True)
    seated.refresh_from_db(), waiting.refresh_from_db()
    assert seated.status == Registration.Status.CANCELLED and waiting.status == Registration.Status.APPROVED
    assert "1 cancelled." in messages_of(response)


def test_decisions_need_the_change_permission(client, make_user, approval_event):
    pending = RegistrationFactory(event=approval_event, status=Registration.Status.PENDING)
    client.force_login(make_user("viewer", "events.view_registration"))
    response = client.post(bulk("registration", "approve", [pending]))
    pending.refresh_from_db()
    assert pending.status == Registration.Status.PENDING
    assert response.status_code in (200, 302)


def test_registrations_are_not_added_or_deleted_by_hand_and_their_status_is_not_a_field(admin_client, event):
    registration = RegistrationFactory(event=event)
    assert admin_client.get(registrations_url("add")).status_code == 302  # Wagtail's "permission denied"
    assert admin_client.get(registrations_url("delete", registration.pk)).status_code == 302
    response = admin_client.get(registrations_url("edit", registration.pk))
    form = response.context["form"]
    assert set(form.fields) == {"first_name", "last_name", "company", "job_title"}
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data.update({"company": "Meridian Bank", "status": "rejected"})
    assert admin_client.post(registrations_url("edit", registration.pk), data).status_code == 302
    registration.refresh_from_db()
    assert registration.company == "Meridian Bank" and registration.status == Registration.Status.APPROVED


# --- Registrations: the listing, masking, export ----------------------------------------------------------


def test_the_listing_shows_who_checked_in_and_who_invited(admin_client, event, make_user):
    seller = make_user("sam", first_name="Sam")
    door_user = make_user("dora", first_name="Dora")
    RegistrationFactory(
        event=event,
        first_name="Ines",
        invited_by=seller,
        status=Registration.Status.ATTENDED,
        checked_in_at=timezone.now(),
        checked_in_by=door_user,
    )
    html = admin_client.get(registrations_url()).content.decode()
    assert "Ines" in html and "Invited by" in html and "Sam" in html and "by Dora" in html


def test_emails_are_masked_without_the_personal_data_permission(client, make_user, event):
    RegistrationFactory(event=event, email="jane.doe@meridian-bank.de", email_key="jane.doe@meridian-bank.de")
    RegistrationFactory(
        event=event, first_name="", last_name="", email="anon@northwind.example", email_key="anon@northwind.example"
    )
    user = make_user("marketer", "events.change_registration")
    client.force_login(user)
    html = client.get(registrations_url()).content.decode()
    assert "jane.doe" not in html and "j***@meridian-bank.de" in html
    assert "anon@" not in html and "a***@northwind.example" in html  # the name falls back to the address
    nameless = Registration.objects.get(email="anon@northwind.example")
    assert registrations_url("edit", nameless.pk) in html  # still a link to the registration
    assert "anon@" not in client.get(registrations_url("edit", nameless.pk)).content.decode()

    response = client.get(registrations_url() + f"?export=csv&event={event.pk}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert {row["Email"] for row in rows} == {"j***@meridian-bank.de", "a***@northwind.example"}
    assert {row["Status"] for row in rows} == {"Registered"}
    entry = ModelLogEntry.objects.get(action="leadforms.export")
    assert entry.user == user and entry.data["masked"] is True and entry.data["rows"] == 2


def test_people_with_the_permission_see_and_export_the_addresses(client, make_user, event):
    from openpyxl import load_workbook

    RegistrationFactory(event=event, email="jane.doe@meridian-bank.de", email_key="jane.doe@meridian-bank.de")
    client.force_login(make_user("dpo", "events.change_registration", "leads.view_personal_data"))
    assert "jane.doe@meridian-bank.de" in client.get(registrations_url()).content.decode()
    response = client.get(registrations_url() + "?export=xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    values = [cell for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True) for cell in row]
    assert "jane.doe@meridian-bank.de" in values and "Checked in by" in values
    entry = ModelLogEntry.objects.get(action="leadforms.export")
    assert entry.data["format"] == "xlsx" and entry.data["masked"] is False


# --- Event emails ------------------------------------------------------------------------------------


def test_every_kind_of_event_email_is_editable_and_none_is_added_or_deleted(admin_client, db):
    assert set(EventEmailTemplate.objects.values_list("kind", flat=True)) == set(EmailKind.values)
    template = EventEmailTemplate.objects.get(kind=EmailKind.REMINDER)
    listing = admin_client.get(reverse(EventEmailTemplate.snippet_viewset.get_url_name("list"))).content.decode()
    assert "Reminder before the start" in listing
    add_url = reverse(EventEmailTemplate.snippet_viewset.get_url_name("add"))
    assert add_url not in listing and admin_client.get(add_url).status_code == 302
    edit_url = reverse(EventEmailTemplate.snippet_viewset.get_url_name("edit"), args=[template.pk])
    response = admin_client.get(edit_url)
    assert PLACEHOLDER_HELP in response.content.decode()
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data["subject"] = "Soon: {{ event_title }}"
    assert admin_client.post(edit_url, data).status_code == 302
    template.refresh_from_db()
    assert template.subject == "Soon: {{ event_title }}" and template.kind == EmailKind.REMINDER


# --- The door -----------------------------------------------------------------------------------------


def test_check_in_by_search_and_tap_twice(doorkeeper, event):
    registration = RegistrationFactory(
        event=event,
        first_name="Ana",
        last_name="Silva",
        company="Meridian Bank",
        email="ana.silva@meridian-bank.de",
        email_key="ana.silva@meridian-bank.de",
    )
    page = doorkeeper.get(door(event))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-trigger="input changed delay:200ms' in html and "X-CSRFToken" in html and "htmx" in html
    assert "0</strong> checked in" in html and "of 1 expected" in html

    results = doorkeeper.get(door(event) + "?q=silva", HTTP_HX_TARGET="check-in-results", **HTMX).content.decode()
    assert "Ana Silva" in results and "Meridian Bank" in results
    assert "a***@meridian-bank.de" in results and "ana.silva@" not in results
    assert "<html" not in results and 'hx-swap-oob="true"' in results

    action = url("check_in_registration", event.pk, registration.pk)
    with committed():
        first = doorkeeper.post(action, {"q": "silva"}, **HTMX).content.decode()
    assert "Checked in ✓" in first and "1</strong> checked in" in first
    registration.refresh_from_db()
    assert registration.status == Registration.Status.ATTENDED
    assert registration.checked_in_by.username == "doorkeeper"

    second = doorkeeper.post(action, {"q": "silva"}, **HTMX).content.decode()
    when = timezone.localtime(registration.checked_in_at, event.zone)
    assert f"Already checked in at {when:%H:%M} by Dora" in second

    # Without JavaScript: the plain form, a redirect back to the search and a message.
    response = doorkeeper.post(action, {"q": "silva"})
    assert response.status_code == 302 and response["Location"] == door(event) + "?q=silva"
    followed = doorkeeper.get(response["Location"])
    assert any("already checked in" in message for message in messages_of(followed))
    assert "Ana Silva" in followed.content.decode()


def test_someone_not_approved_is_let_in_only_by_choice(doorkeeper, event):
    pending = RegistrationFactory(event=event, first_name="Pia", status=Registration.Status.PENDING)
    action = url("check_in_registration", event.pk, pending.pk)
    refused = doorkeeper.post(action, **HTMX).content.decode()
    assert "Not admitted: pending approval." in refused and "Let in anyway" in refused
    pending.refresh_from_db()
    assert pending.checked_in_at is None

    # Without JavaScript the refusal comes back as a decision to make on the door screen.
    response = doorkeeper.post(action)
    assert response["Location"] == door(event) + f"?confirm={pending.pk}"
    assert "Let in anyway" in doorkeeper.get(response["Location"]).content.decode()

    with committed():
        doorkeeper.post(action, {"let_in_anyway": "1"})
    pending.refresh_from_db()
    assert pending.status == Registration.Status.ATTENDED


def test_scanning_a_ticket(doorkeeper, event):
    registration = RegistrationFactory(event=event, first_name="Tomas")
    scan = url("check_in_scan", event.pk)
    with committed():
        html = doorkeeper.post(scan, {"ticket": links.ticket_url(registration)}, **HTMX).content.decode()
    assert "Tomas" in html and "Checked in ✓" in html
    registration.refresh_from_db()
    assert registration.checked_in_at is not None

    again = doorkeeper.post(scan, {"ticket": links.ticket_token(registration)}, **HTMX).content.decode()
    assert "Already checked in at" in again


def test_a_tampered_ticket_is_refused_in_red(doorkeeper, event):
    registration = RegistrationFactory(event=event)
    token = links.ticket_token(registration)
    for bad in (
        token[:-3] + "xyz",
        token.replace(f"{registration.pk}.", f"{registration.pk + 1}."),
        "hello",
        "x" * 5000,
        "/e/tickets//",
    ):
        response = doorkeeper.post(url("check_in_scan", event.pk), {"ticket": bad}, **HTMX)
        assert response.status_code == 200
        assert "Ticket refused." in response.content.decode() and "sp-door__alert--error" in response.content.decode()
    registration.refresh_from_db()
    assert registration.checked_in_at is None

    response = doorkeeper.post(url("check_in_scan", event.pk), {"ticket": token[:-3] + "xyz"})
    assert response.status_code == 302
    assert any("not valid" in message for message in messages_of(doorkeeper.get(response["Location"])))


def test_a_ticket_for_another_event_is_refused(doorkeeper, event):
    other = RegistrationFactory(event=EventFactory(title="Pipeline Night Hamburg"))
    html = doorkeeper.post(url("check_in_scan", event.pk), {"ticket": links.ticket_url(other)}, **HTMX).content.decode()
    assert "This ticket is for another event: Pipeline Night Hamburg" in html
    other.refresh_from_db()
    assert other.checked_in_at is None


def test_a_walk_in_is_registered_and_let_in(doorkeeper, event):
    walk_in = url("walk_in", event.pk)
    with committed():
        html = doorkeeper.post(
            walk_in,
            {"first_name": "Walter", "last_name": "Inn", "company": "Northwind", "email": "walter@northwind.example"},
            **HTMX,
        ).content.decode()
    registration = Registration.objects.get(email="walter@northwind.example")
    assert registration.source == Registration.Source.WALK_IN
    assert registration.status == Registration.Status.ATTENDED and registration.checked_in_by is not None
    assert registration.lead is not None
    assert "Walter Inn" in html and "Checked in ✓" in html

    bad = doorkeeper.post(walk_in, {"first_name": "No", "last_name": "Mail", "email": "not-an-address"})
    assert bad.status_code == 400
    assert "email" in bad.context["walk_in_form"].errors
    assert not Registration.objects.filter(first_name="No").exists()


def test_the_door_needs_the_check_in_permission(client, make_user, event):
    registration = RegistrationFactory(event=event)
    client.force_login(make_user("editor", "events.change_event", "events.change_registration"))
    response = client.get(door(event))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.post(url("check_in_registration", event.pk, registration.pk))
    assert response.status_code == 302
    assert (
        client.post(url("check_in_scan", event.pk), {"ticket": links.ticket_token(registration)}, **HTMX).status_code
        == 403
    )
    registration.refresh_from_db()
    assert registration.checked_in_at is None
    assert url("check_in", event.pk) not in client.get(url("list")).content.decode()


def test_hostile_input_at_the_door_gets_a_404_or_a_clear_answer(doorkeeper, admin_client, event):
    assert doorkeeper.get(door(event) + "?q=" + "Ana%20" * 3000).status_code == 200
    response = doorkeeper.get(door(event) + "?q=%00%27%22<script>&confirm=abc")
    assert response.status_code == 200 and "&lt;script&gt;" in response.content.decode()
    assert doorkeeper.get(door(event) + "?confirm=99999999999999999999999").status_code == 200
    assert doorkeeper.get("/admin/events/abc/check-in/").status_code == 404
    assert doorkeeper.get("/admin/events/99999999999999999999999/check-in/").status_code == 404
    assert doorkeeper.post(f"/admin/events/{event.pk}/check-in/abc/").status_code == 404
    assert doorkeeper.post(url("check_in_registration", event.pk, 987654)).status_code == 404
    other = RegistrationFactory(event=EventFactory())
    assert doorkeeper.post(url("check_in_registration", event.pk, other.pk)).status_code == 404
    assert admin_client.get("/admin/bulk/events/registration/approve/?id=abc&id=1%27").status_code == 404
    assert admin_client.get(registrations_url() + "?event=abc&status=nonsense&source=%00&q=%00").status_code == 200
    assert admin_client.get(registrations_url() + "?ordering=password&p=99999999999").status_code in (200, 404)
    assert admin_client.post("/admin/bulk/events/event/generate_landing_pages/?id=-1").status_code == 404


def test_the_search_at_the_door_takes_few_queries(doorkeeper, event, make_user, django_assert_max_num_queries):
    porters = [make_user(f"porter{n}", first_name=f"Porter {n}") for n in range(3)]
    for n in range(25):
        attended = n % 2 == 1
        RegistrationFactory(
            event=event,
            first_name=f"Guest{n}",
            last_name="Example",
            status="attended" if attended else "approved",
            checked_in_at=timezone.now() if attended else None,
            checked_in_by=porters[n % 3] if attended else None,
        )
    with django_assert_max_num_queries(15):
        response = doorkeeper.get(door(event) + "?q=guest", HTTP_HX_TARGET="check-in-results", **HTMX)
    html = response.content.decode()
    assert html.count('class="sp-door__row') == 20 and "by Porter" in html
    with django_assert_max_num_queries(40):
        assert doorkeeper.get(door(event) + "?q=guest").status_code == 200


# --- Register someone ---------------------------------------------------------------------------------


@pytest.fixture
def seller(client, make_user):
    user = make_user("sam", "events.add_registration", first_name="Sam")
    client.force_login(user)
    return user


def test_a_salesperson_registers_a_customer_and_gets_the_ticket(client, seller, event):
    register = url("register_someone", event.pk)
    assert client.get(register).status_code == 200
    with committed():
        response = client.post(
            register,
            {
                "email": "Kim.Lee@Northwind.example",
                "first_name": "Kim",
                "last_name": "Lee",
                "company": "Northwind",
                "job_title": "CFO",
            },
        )
    assert response.status_code == 200
    registration = Registration.objects.get(email_key="kim.lee@northwind.example")
    assert registration.source == Registration.Source.SALES and registration.registered_by == seller
    assert registration.status == Registration.Status.APPROVED
    html = response.content.decode()
    assert "Kim Lee: Registered" in html and links.ticket_url(registration) in html
    assert [message.subject for message in mail.outbox] == ["You're registered: RevOps Meetup Berlin"]

    again = client.post(register, {"email": "kim.lee@northwind.example", "first_name": "Kim", "last_name": "Lee"})
    assert "already registered" in again.content.decode()
    assert Registration.objects.filter(event=event).count() == 1


def test_a_full_event_puts_them_on_the_waitlist(client, seller, home_page):
    full = EventFactory(capacity=1, seats_taken=1)
    response = client.post(
        url("register_someone", full.pk), {"email": "zoe@northwind.example", "first_name": "Zoe", "last_name": "Ng"}
    )
    assert "Zoe Ng: Waitlisted" in response.content.decode()


def test_a_bad_address_is_an_error_on_the_email_field(client, seller, event):
    response = client.post(
        url("register_someone", event.pk), {"email": "kim@", "first_name": "Kim", "last_name": "Lee"}
    )
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert not Registration.objects.exists()


def test_registering_someone_needs_the_add_permission(client, make_user, event):
    client.force_login(make_user("doorkeeper", "events.check_in_registration"))
    response = client.post(
        url("register_someone", event.pk), {"email": "kim@northwind.example", "first_name": "Kim", "last_name": "Lee"}
    )
    assert response.status_code == 302
    assert not Registration.objects.exists()


def test_the_personal_invite_link_records_who_invited(client, seller, event):
    assert "no published landing page yet" in client.get(url("register_someone", event.pk)).content.decode()
    page = generated_page(event)
    html = client.get(url("register_someone", event.pk)).content.decode()
    invite = page.get_full_url() + "?" + urlencode({"invite": links.invite_token(seller)})
    assert invite in html

    visitor = Client()
    assert visitor.get(invite).status_code == 200
    register(page, client=visitor, n=7)
    registration = Registration.objects.get(email="attendee7@meridian-bank.de")
    assert registration.invited_by == seller


def test_webinars_have_a_door_too(doorkeeper, home_page):
    webinar = WebinarFactory()
    assert doorkeeper.get(door(webinar)).status_code == 200


# --- Times are typed where the event happens ---------------------------------------------------------
def _event_form(admin_client, url):
    return querydict_from_html(admin_client.get(url).content.decode(), form_id="w-editor-form")


def test_the_event_form_reads_and_shows_times_in_the_events_own_zone(admin_client, home_page, settings):
    settings.TIME_ZONE = "UTC"  # the admin's zone: not the event's
    add_url = reverse(Event.snippet_viewset.get_url_name("add"))
    data = _event_form(admin_client, add_url)
    data.update(
        {
            "title": "Zoned meetup",
            "type": "in_person",
            "time_zone": "Europe/Berlin",
            "venue_name": "Factory",
            "starts_at": "2027-01-14 18:00",
            "ends_at": "2027-01-14 21:00",
            "registration_deadline": "2027-01-13 12:00",
            "landing_page": "later",
            "sessions-TOTAL_FORMS": "1",
            "sessions-INITIAL_FORMS": "0",
            "sessions-0-title": "Welcome",
            "sessions-0-starts_at": "2027-01-14 18:30",
            "sessions-0-ends_at": "2027-01-14 19:00",
            "sessions-0-ORDER": "1",
            "sessions-0-id": "",
        }
    )
    response = admin_client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="Zoned meetup")
    assert f"{event.local_start:%H:%M}–{event.local_end:%H:%M}" == "18:00–21:00"
    assert event.starts_at.isoformat() == "2027-01-14T17:00:00+00:00"
    assert f"{timezone.localtime(event.registration_deadline, event.zone):%d %H:%M}" == "13 12:00"
    session = event.sessions.get()
    assert f"{session.local_start:%H:%M}" == "18:30"

    # Editing shows them as typed, and saving unchanged moves nothing.
    edit_url = reverse(Event.snippet_viewset.get_url_name("edit"), args=[event.pk])
    shown = _event_form(admin_client, edit_url)
    assert shown["starts_at"] == "2027-01-14 18:00"
    assert shown["sessions-0-starts_at"] == "2027-01-14 18:30"
    shown["landing_page"] = "later"
    assert admin_client.post(edit_url, shown).status_code == 302
    event.refresh_from_db()
    assert event.starts_at.isoformat() == "2027-01-14T17:00:00+00:00"
    assert f"{event.sessions.get().local_start:%H:%M}" == "18:30"

    # Moving the event to New York keeps the typed wall-clock times, in the new zone.
    shown["time_zone"] = "America/New_York"
    assert admin_client.post(edit_url, shown).status_code == 302
    event.refresh_from_db()
    assert event.starts_at.isoformat() == "2027-01-14T23:00:00+00:00"


def test_select_all_in_a_filtered_listing_acts_on_that_listing_only(admin_client, home_page):
    """Wagtail's "select all in listing" sends id=all with the listing's query string."""
    berlin, lisbon = EventFactory(requires_approval=True), EventFactory(requires_approval=True)
    queued = [RegistrationFactory(event=berlin, status=Registration.Status.PENDING) for _ in range(3)]
    elsewhere = RegistrationFactory(event=lisbon, status=Registration.Status.PENDING)
    approved = RegistrationFactory(event=berlin, status=Registration.Status.APPROVED)
    url = (
        f"/admin/bulk/events/registration/cancel/?event={berlin.pk}&status=pending&id=all"
        f"&next=/admin/events/registrations/"
    )
    confirm = admin_client.get(url).content.decode()
    assert all(registration.first_name in confirm for registration in queued)
    assert elsewhere.first_name not in confirm and approved.first_name not in confirm
    with committed():
        admin_client.post(url)
    assert {r.status for r in Registration.objects.filter(pk__in=[r.pk for r in queued])} == {"cancelled"}
    elsewhere.refresh_from_db()
    approved.refresh_from_db()
    assert (elsewhere.status, approved.status) == ("pending", "approved")


def test_the_door_search_does_not_spell_out_masked_addresses(event, doorkeeper):
    """Door staff see j***@…: typing the address letter by letter must not confirm it."""
    RegistrationFactory(event=event, first_name="Zed", email="jana.secret@meridian-bank.de")

    def search(query):
        return doorkeeper.get(door(event), {"q": query}, HTTP_HX_TARGET="check-in-results", **HTMX).content.decode()

    assert "Zed" not in search("jana.s")
    whole = search("jana.secret@meridian-bank.de")
    assert "Zed Example" in whole and "j***@meridian-bank.de" in whole  # shown masked (the query is theirs)
