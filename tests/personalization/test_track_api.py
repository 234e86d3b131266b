"""POST /api/v1/track: a headless front end's page views and custom events reach the lead store
(buffered, then written by the flush task), under the site's consent rules, rate-limited, and bad
input is a 422 naming the field."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leads.models import CrmDelivery, Interaction, LeadStoreSettings, SalesRep, ScoringRule
from leads.services import visitor_link
from leads.tasks import page_views_write
from personalization.services import visitor_identified
from tests.factories import PersonFactory, TopicFactory, WhitepaperPageFactory
from tests.personalization.conftest import DESKTOP_UA, Browser

pytestmark = pytest.mark.django_db

URL = "/api/v1/track"
VISITOR = "v_track" + "a" * 20
OTHER_VISITOR = "v_track" + "b" * 20
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def post(body, *, client=None, user_agent=DESKTOP_UA, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    if user_agent is not None:
        headers["HTTP_USER_AGENT"] = user_agent
    return (client or Client()).post(URL, data=data, content_type="application/json", **headers)


def page(path="/pricing/", **fields):
    return {"type": "page_view", "path": path, **fields}


def custom(name="trial_started", **fields):
    return {"type": "custom_event", "name": name, **fields}


def flush():
    """The real task function the buffer's flush is queued as."""
    return page_views_write.call()


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


# --- What is recorded ------------------------------------------------------------------------------------


def test_a_known_visitors_page_views_and_custom_events_become_interactions():
    person = PersonFactory()
    visitor_link(person, VISITOR)  # identified by a form fill
    at = timezone.now() - timedelta(minutes=10)
    response = post(
        {
            "visitor_id": VISITOR,
            "events": [
                page(
                    "/pricing/",
                    title="Simple pricing",
                    referrer="https://www.news.example/article?id=7",
                    utm_source="newsletter",
                    utm_campaign="q4",
                    at=at.isoformat(),
                ),
                custom("trial_started", properties={"plan": "team", "seats": 5, "annual": True, "coupon": None}),
            ],
        }
    )
    assert response.status_code == 202, response.content
    assert response.json() == {"recorded": 2, "reason": None}
    assert Interaction.objects.count() == 0  # buffered, not written while answering
    assert flush() == 2
    view = Interaction.objects.get(type="page_view")
    assert (view.person, view.visitor_id, view.object_type, view.object_id) == (person, VISITOR, "page", "pricing")
    assert view.object_label == "Simple pricing" and view.occurred_at == at
    assert view.properties == {
        "path": "/pricing/",
        "page_id": None,
        "visit": 1,
        "referrer": "news.example",
        "utm_source": "newsletter",
        "utm_campaign": "q4",
        "industries": [],
    }
    event = Interaction.objects.get(type="custom_event")
    assert (event.person, event.object_type, event.object_id) == (person, "custom", "trial_started")
    assert event.object_label == "Trial started"
    assert event.properties == {"plan": "team", "seats": 5, "annual": True, "coupon": None}


def test_a_page_of_ours_brings_its_title_and_topics(home_page):
    paper = WhitepaperPageFactory(parent=home_page, title="State of RevOps", topics=[TopicFactory(slug="revops")])
    response = post({"visitor_id": VISITOR, "events": [page("/state-of-revops/", page_id=paper.pk)]})
    assert response.json()["recorded"] == 1
    unknown = post({"visitor_id": VISITOR, "events": [page("/gone/", page_id=999_999)]})
    assert unknown.json()["recorded"] == 1  # a page deleted since: recorded by its path alone
    flush()
    ours = Interaction.objects.get(object_id="state-of-revops")
    assert ours.object_label == "State of RevOps" and ours.object_topics == ",revops,"
    assert ours.properties["page_id"] == paper.pk
    assert Interaction.objects.get(object_id="gone").properties["page_id"] is None


def test_anonymous_events_join_the_person_when_identified():
    post({"visitor_id": VISITOR, "events": [page("/a/", at=ago(hours=3)), custom("pricing_calculator_used")]})
    flush()
    assert Interaction.objects.filter(visitor_id=VISITOR, person=None).count() == 2
    person = PersonFactory()
    visitor_link(person, VISITOR)
    assert Interaction.objects.filter(person=person).count() == 2


def test_a_visitor_identified_by_a_tracked_link_is_theirs_at_once():
    """The tracked link tells personalisation, not the lead store's visitor links: the track API reads it."""
    person = PersonFactory()
    visitor_identified(visitor_id=VISITOR, person_id=person.pk, credit_conversions=False)
    post({"visitor_id": VISITOR, "events": [page("/pricing/")]})
    flush()
    assert Interaction.objects.get().person == person


def test_page_views_are_numbered_in_visits_across_calls():
    post({"visitor_id": VISITOR, "events": [page("/b/", at=ago(hours=5, minutes=50)), page("/a/", at=ago(hours=6))]})
    post({"visitor_id": VISITOR, "events": [page("/c/", at=ago(hours=1))]})
    post({"visitor_id": VISITOR, "events": [page("/d/", at=ago(minutes=50))]})
    flush()
    visits = dict(Interaction.objects.values_list("object_id", "properties__visit"))
    assert visits == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_a_batch_sent_again_with_its_ids_is_recorded_once_and_ids_are_per_visitor():
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    body = {"visitor_id": VISITOR, "events": [page("/x/", id=ids[0]), custom("trial_started", id=ids[1])]}
    assert post(body).status_code == 202
    assert post(body).status_code == 202  # the answer was lost: the front end sends the batch again
    post({**body, "visitor_id": OTHER_VISITOR})  # someone else's events with the same ids are theirs
    flush()
    assert Interaction.objects.filter(visitor_id=VISITOR).count() == 2
    assert Interaction.objects.filter(visitor_id=OTHER_VISITOR).count() == 2


def test_a_full_batch_is_taken(django_assert_max_num_queries):
    events = [page(f"/p-{n}/", title="é ✓ " + "x" * 200) for n in range(99)] + [custom("trial_started")]
    response = post({"visitor_id": VISITOR, "events": events})
    assert response.json() == {"recorded": 100, "reason": None}
    with django_assert_max_num_queries(0):  # warm: the visitor's visits and person come from the cache
        assert post({"visitor_id": VISITOR, "events": [page("/again/")]}).status_code == 202
    assert flush() == 101


def test_the_queued_flush_writes_what_the_api_buffered():
    """No explicit flush: the call queues the flush task after its commit, as in production."""
    person = PersonFactory()
    visitor_link(person, VISITOR)
    browser = Browser()
    body = json.dumps({"visitor_id": VISITOR, "events": [custom("trial_started")]})
    response = browser.post(URL, data=body, content_type="application/json")
    assert response.status_code == 202
    assert Interaction.objects.get(type="custom_event").person == person


# --- Scoring and stages -----------------------------------------------------------------------------------


def test_a_custom_event_rule_scores_and_the_stage_rules_make_an_mql(django_user_model):
    ScoringRule.objects.create(
        name="Trial started", kind="interest", interaction_type="custom_event", object_id="trial_started", points=40
    )
    settings = LeadStoreSettings.load()
    settings.mql_min_total = 35
    settings.save()
    SalesRep.objects.create(user=django_user_model.objects.create_user("anna", "anna@northwind.example", "pw"))
    person, tester = PersonFactory(), PersonFactory(is_test=True)
    visitor_link(person, VISITOR)
    visitor_link(tester, OTHER_VISITOR)

    post({"visitor_id": VISITOR, "events": [custom("pricing_calculator_used")]})  # no rule for it
    flush()
    person.refresh_from_db()
    assert (person.interest_score, person.stage) == (0, "lead")

    for visitor in (VISITOR, OTHER_VISITOR):
        post({"visitor_id": visitor, "events": [custom("trial_started")]})
    flush()
    person.refresh_from_db()
    tester.refresh_from_db()
    assert (person.interest_score, person.stage) == (40, "mql") and person.owner is not None
    assert (tester.interest_score, tester.stage) == (40, "lead")  # scored, never handed over
    assert CrmDelivery.objects.filter(person=person).count() == 1
    assert not CrmDelivery.objects.filter(person=tester).exists()


# --- Consent ----------------------------------------------------------------------------------------------


def _nothing_recorded(response, reason):
    assert response.status_code == 202, response.content
    assert response.json() == {"recorded": 0, "reason": reason}
    assert flush() == 0 and not Interaction.objects.exists()


BODY = {"visitor_id": VISITOR, "events": [page(), custom()]}


def test_opt_in_mode_records_only_with_the_consent_cookie(settings):
    settings.PERSONALIZATION_CONSENT_MODE = "opt-in"
    _nothing_recorded(post(BODY), "no_consent")
    client = Client()
    client.cookies["sp_consent"] = "denied"
    _nothing_recorded(post(BODY, client=client), "no_consent")
    client.cookies["sp_consent"] = "granted"
    assert post(BODY, client=client).json() == {"recorded": 2, "reason": None}


def test_global_privacy_control_is_honoured_unless_switched_off(settings):
    _nothing_recorded(post(BODY, HTTP_SEC_GPC="1"), "global_privacy_control")
    settings.PERSONALIZATION_HONOR_GPC = False
    assert post(BODY, HTTP_SEC_GPC="1").json()["recorded"] == 2


def test_nothing_is_recorded_while_the_operator_has_recording_off(settings):
    settings.BEHAVIOUR_RECORDING = False
    _nothing_recorded(post(BODY), "recording_off")
    settings.BEHAVIOUR_RECORDING = True
    assert post(BODY).json() == {"recorded": 2, "reason": None}


@pytest.mark.parametrize(
    "headers",
    [
        {"user_agent": GOOGLEBOT},
        {"user_agent": None},  # no User-Agent at all
        {"user_agent": DESKTOP_UA, "HTTP_X_VISITOR_USER_AGENT": GOOGLEBOT},  # a server-side front end passing it on
    ],
)
def test_crawlers_are_never_recorded(headers):
    _nothing_recorded(post(BODY, **headers), "robot")


# --- Limits -----------------------------------------------------------------------------------------------


def test_events_are_rate_limited_per_visitor_and_per_address(settings):
    settings.TRACK_RATE_LIMIT_VISITOR = (5, 600)
    settings.TRACK_RATE_LIMIT_IP = (8, 600)
    three = {"visitor_id": VISITOR, "events": [page(f"/{n}/") for n in range(3)]}
    assert post(three).status_code == 202
    refused = post(three)  # 6 events for this visitor in the window
    assert refused.status_code == 429
    assert refused.json() == {"errors": {"__all__": ["Too many events from this visitor; try again in a few minutes."]}}
    assert post({**three, "visitor_id": OTHER_VISITOR}, REMOTE_ADDR="10.0.0.9").status_code == 202
    # The first address has counted 6 events: 3 more of another visitor pass its limit of 8.
    from_address = post({**three, "visitor_id": "v_third_visitor_0000000"})
    assert from_address.status_code == 429 and "address" in from_address.json()["errors"]["__all__"][0]
    assert flush() == 6  # refused calls recorded nothing


def test_a_body_over_a_megabyte_is_refused_before_it_is_read():
    response = post('{"visitor_id": "' + "x" * (1024 * 1024) + '"}')
    assert response.status_code == 413 and "__all__" in response.json()["errors"]


# --- Bad input --------------------------------------------------------------------------------------------


def one(**fields):
    return {"visitor_id": VISITOR, "events": [{**page(), **fields}]}


def one_custom(**fields):
    return {"visitor_id": VISITOR, "events": [{**custom(), **fields}]}


BAD = [
    ("", "__all__"),
    ("not json", "__all__"),
    ("[]", "__all__"),
    ("null", "__all__"),
    ({}, "visitor_id"),
    ({"events": [page()]}, "visitor_id"),
    ({"visitor_id": "<script>", "events": [page()]}, "visitor_id"),
    ({"visitor_id": 12345678, "events": [page()]}, "visitor_id"),
    ({"visitor_id": "v_" + "a" * 70, "events": [page()]}, "visitor_id"),
    ({"visitor_id": "v_short\x00" + "a" * 10, "events": [page()]}, "visitor_id"),
    ({"visitor_id": VISITOR}, "events"),
    ({"visitor_id": VISITOR, "events": []}, "events"),
    ({"visitor_id": VISITOR, "events": {"type": "page_view"}}, "events"),
    ({"visitor_id": VISITOR, "events": [page()] * 101}, "events"),
    ({"visitor_id": VISITOR, "events": [page(), page(), page(), {"type": "purchase", "path": "/"}]}, "events[3].type"),
    ({"visitor_id": VISITOR, "events": [{"path": "/pricing/"}]}, "events[0].type"),
    ({"visitor_id": VISITOR, "events": ["page_view"]}, "events[0]"),
    ({"visitor_id": VISITOR, "events": [{**page(), "colour": "red"}]}, "events[0].colour"),
    ({"visitor_id": VISITOR, "events": [{"type": "page_view"}]}, "events[0].path"),
    (one(path="pricing"), "events[0].path"),
    (one(path="/pricing/?utm_source=x"), "events[0].path"),
    (one(path="/" + "p" * 500), "events[0].path"),
    (one(path="/pri\x00cing/"), "events[0].path"),
    (one(path=["/pricing/"]), "events[0].path"),
    (one(title="Pricing\x00"), "events[0].title"),
    (one(title="x" * 10_000), "events[0].title"),
    (one(title=7), "events[0].title"),
    (one(referrer="https://news.example/" + "x" * 2000), "events[0].referrer"),
    (one(utm_campaign="q4\n"), "events[0].utm_campaign"),
    (one(page_id="7"), "events[0].page_id"),
    (one(page_id=0), "events[0].page_id"),
    (one(page_id=2**70), "events[0].page_id"),
    (one(page_id=True), "events[0].page_id"),
    (one(at="yesterday"), "events[0].at"),
    (one(at="2026-01-01T10:00:00"), "events[0].at"),  # no offset: whose ten o'clock?
    (one(at=1767261600), "events[0].at"),
    (one(id="not-a-uuid"), "events[0].id"),
    (one_custom(name="Trial Started"), "events[0].name"),
    (one_custom(name="trial-started"), "events[0].name"),
    (one_custom(name=""), "events[0].name"),
    (one_custom(name="t" * 65), "events[0].name"),
    (one_custom(name="trial\x00started"), "events[0].name"),
    (one_custom(name=None), "events[0].name"),
    (one_custom(path="/pricing/"), "events[0].path"),  # a page view's field on a custom event
    (one_custom(properties=[1, 2]), "events[0].properties"),
    (one_custom(properties={f"p{n}": n for n in range(21)}), "events[0].properties"),
    (one_custom(properties={"plan": {"nested": "object"}}), "events[0].properties.plan"),
    (one_custom(properties={"plan": ["a", "b"]}), "events[0].properties.plan"),
    (one_custom(properties={"plan": "x" * 256}), "events[0].properties.plan"),
    (one_custom(properties={"plan": "team\x00"}), "events[0].properties.plan"),
    (one_custom(properties={"seats": 2**60}), "events[0].properties.seats"),
    (one_custom(properties={"seats": -(2**53) - 1}), "events[0].properties.seats"),  # would round onto -2**53
    (one_custom(properties={"bad key": 1}), "events[0].properties.bad key"),
    (one_custom(properties={"k" * 41: 1}), "events[0].properties." + "k" * 41),
]


@pytest.mark.parametrize("body, field", BAD, ids=[str(n) for n in range(len(BAD))])
def test_bad_input_is_a_422_naming_the_field_and_records_nothing(body, field):
    response = post(body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(message, str) and message for message in errors[field])
    assert flush() == 0


def test_times_out_of_range_are_named():
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = post({"visitor_id": VISITOR, "events": [page(), page(at=ago(days=2)), custom(at=future)]})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"events[1].at", "events[2].at"}
    assert "24 hours" in errors["events[1].at"][0] and "future" in errors["events[2].at"][0]
    # A visitor's clock a little fast, and an event from this morning, are fine.
    recent = {"visitor_id": VISITOR, "events": [page(at=(timezone.now() + timedelta(minutes=2)).isoformat())]}
    assert post(recent).status_code == 202
    assert post({"visitor_id": VISITOR, "events": [page(at=ago(hours=23))]}).status_code == 202


def test_the_same_id_twice_in_one_batch_is_named():
    same = str(uuid.uuid4())
    response = post({"visitor_id": VISITOR, "events": [page(id=same), custom(), custom(id=same)]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"events[2].id": ["the same id as events[0]"]}


def test_the_endpoint_is_documented_with_examples(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/track"]["post"]
    assert set(operation["responses"]) == {"202", "400", "413", "422", "429"}
    content = operation["requestBody"]["content"]["application/json"]
    assert set(content["examples"]) == {"page views", "custom event"}
    assert "$defs" not in json.dumps(content)  # every reference resolves inside the document
    for example in content["examples"].values():
        assert post(example["value"]).status_code == 202
