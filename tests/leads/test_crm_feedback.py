"""The CRM feedback webhook, POST /api/v1/crm/feedback: deals and stages as the CRM reports them,
through HTTP with a real signature."""

import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from core.webhook_signing import webhook_signature
from leads.models import CrmFeedbackEvent, Deal, Person, PersonMerge, Stage, StageTransition
from leads.signals import people_changed
from tests.factories import CompanyFactory, PersonFactory

SECRET = "crm-feedback-test-secret-0123456789"
URL = "/api/v1/crm/feedback"
NOW = timezone.now().replace(microsecond=0)
T1, T2, T3 = NOW - timedelta(days=30), NOW - timedelta(days=20), NOW - timedelta(days=10)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def crm_settings():
    with override_settings(
        CRM_FEEDBACK_SECRET=SECRET,
        CRM_FEEDBACK_MAX_BODY_BYTES=16 * 1024,
        CRM_FEEDBACK_REPLAY_WINDOW=300,
        REPORT_CURRENCY="EUR",
        REPORT_CURRENCY_RATES={"USD": Decimal("0.92"), "GBP": Decimal("1.17")},
    ):
        yield


_ids = iter(range(1, 10**6))


def change(person=None, *, stage="opportunity", at=T1, opportunity="006-A", **extra) -> dict:
    body = {
        "event_id": f"evt-{next(_ids)}",
        "opportunity_id": opportunity,
        "stage": stage,
        "amount": "50000.00",
        "currency": "EUR",
        "close_date": "2026-12-31",
        "changed_at": at.isoformat(),
    }
    if person is not None:  # a Person (named by address) or the "person" object itself
        body["person"] = person if isinstance(person, dict) else {"email": person.email}
    body.update(extra)
    return body


def send(client, body, *, secret=SECRET, timestamp=None, content_type="application/json", headers=None):
    """POST like the CRM's relay: `body` is a dict (sent as JSON) or the exact bytes; signed with `secret`."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    signed = {
        "X-Signalpage-Timestamp": timestamp,
        "X-Signalpage-Signature": webhook_signature(secret, timestamp, raw),
        **(headers or {}),
    }
    return client.post(URL, data=raw, content_type=content_type, headers=signed)


def crm_moves(person) -> list[tuple[str, str]]:
    return list(
        StageTransition.objects.filter(person=person, reason_type="crm")
        .order_by("occurred_at", "pk")
        .values_list("from_stage", "to_stage")
    )


@pytest.fixture
def sql_person():
    return PersonFactory(stage=Stage.SQL, company=CompanyFactory(domains=["meridian-bank.example"]))


# --- the deal and the person's stage ---------------------------------------------------------


def test_an_opportunity_makes_a_deal_and_moves_the_person_at_the_crms_time(client, sql_person):
    response = send(client, change(sql_person, opened_at=(T1 - timedelta(days=2)).isoformat()))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open" and response.json()["stale"] is False
    assert response.json()["stage_changes"] == [{"person": sql_person.pid, "from": "sql", "to": "opportunity"}]
    deal = Deal.objects.get()
    assert (deal.crm_id, deal.status, deal.person, deal.company) == ("006-A", "open", sql_person, sql_person.company)
    assert (deal.amount, deal.currency, deal.amount_report) == (Decimal("50000.00"), "EUR", Decimal("50000.00"))
    assert deal.close_date == date(2026, 12, 31)
    assert deal.crm_changed_at == T1 and deal.opened_at == T1 - timedelta(days=2)
    transition = StageTransition.objects.get(person=sql_person)
    assert transition.reason_type == StageTransition.ReasonType.CRM
    assert transition.reason == "CRM: opportunity 006-A open (50,000.00 EUR)"
    assert transition.occurred_at == T1  # velocity is measured on the CRM's clock, not on arrival
    sql_person.refresh_from_db()
    assert sql_person.stage == Stage.OPPORTUNITY and sql_person.stage_changed_at == T1
    assert CrmFeedbackEvent.objects.get().outcome == "applied"


def test_won_makes_a_customer_and_the_deal_won(client, sql_person):
    send(client, change(sql_person, at=T1))
    response = send(client, change(sql_person, stage="customer", at=T2, amount=48000))

    assert response.status_code == 200
    assert response.json()["stage_changes"] == [{"person": sql_person.pid, "from": "opportunity", "to": "customer"}]
    deal = Deal.objects.get()
    assert (deal.status, deal.amount, deal.crm_changed_at) == ("won", Decimal("48000.00"), T2)
    assert crm_moves(sql_person) == [("sql", "opportunity"), ("opportunity", "customer")]
    assert StageTransition.objects.get(person=sql_person, to_stage="customer").occurred_at == T2


def test_won_without_an_open_stage_still_passes_through_opportunity_when_it_opened(client, sql_person):
    send(client, change(sql_person, stage="customer", at=T2, opened_at=T1.isoformat()))

    assert crm_moves(sql_person) == [("sql", "opportunity"), ("opportunity", "customer")]
    times = dict(StageTransition.objects.filter(person=sql_person).values_list("to_stage", "occurred_at"))
    assert times == {"opportunity": T1, "customer": T2}


def test_lost_recycles_the_person_to_nurture(client, sql_person):
    send(client, change(sql_person, at=T1))
    response = send(client, change(sql_person, stage="lost", at=T2))

    assert response.json()["status"] == "lost"
    assert crm_moves(sql_person) == [("sql", "opportunity"), ("opportunity", "nurture")]
    reason = StageTransition.objects.get(person=sql_person, to_stage="nurture").reason
    assert reason == "CRM: opportunity 006-A lost; recycled to nurture"


def test_lost_keeps_a_person_with_another_open_deal_an_opportunity(client, sql_person):
    send(client, change(sql_person, at=T1, opportunity="006-A"))
    send(client, change(sql_person, at=T1, opportunity="006-B"))
    response = send(client, change(sql_person, stage="lost", at=T2, opportunity="006-A"))

    assert response.json()["stage_changes"] == []
    assert Person.objects.get(pk=sql_person.pk).stage == Stage.OPPORTUNITY


def test_a_customer_stays_a_customer_through_an_upsell_opened_and_lost(client, sql_person):
    send(client, change(sql_person, stage="customer", at=T1, opportunity="006-A"))
    send(client, change(sql_person, at=T2, opportunity="006-UPSELL"))
    send(client, change(sql_person, stage="lost", at=T3, opportunity="006-UPSELL"))

    assert Person.objects.get(pk=sql_person.pk).stage == Stage.CUSTOMER
    assert crm_moves(sql_person) == [("sql", "opportunity"), ("opportunity", "customer")]


def test_a_won_deal_the_crm_corrects_to_lost_recycles_the_customer(client, sql_person):
    send(client, change(sql_person, stage="customer", at=T1))
    send(client, change(sql_person, stage="lost", at=T2))

    assert Person.objects.get(pk=sql_person.pk).stage == Stage.NURTURE


def test_a_lost_deal_does_not_move_a_person_sales_never_had(client):
    lead = PersonFactory(stage=Stage.MQL)
    response = send(client, change(lead, stage="lost"))

    assert response.status_code == 200 and response.json()["stage_changes"] == []
    assert Deal.objects.get().status == "lost"
    assert Person.objects.get(pk=lead.pk).stage == Stage.MQL


# --- order and replays ---------------------------------------------------------------------------


def test_an_older_change_arriving_late_is_recorded_and_changes_nothing(client, sql_person):
    send(client, change(sql_person, stage="customer", at=T2, amount=60000))
    response = send(client, change(sql_person, stage="opportunity", at=T1, amount=1))

    assert response.status_code == 200
    assert response.json()["stale"] is True and response.json()["status"] == "won"
    deal = Deal.objects.get()
    assert (deal.status, deal.amount, deal.crm_changed_at) == ("won", Decimal("60000.00"), T2)
    assert Person.objects.get(pk=sql_person.pk).stage == Stage.CUSTOMER
    assert list(CrmFeedbackEvent.objects.order_by("received_at", "pk").values_list("outcome", flat=True)) == [
        "applied",
        "stale",
    ]


def test_a_replayed_event_is_taken_once(client, sql_person):
    body = change(sql_person)
    first = send(client, body)
    Person.objects.filter(pk=sql_person.pk).update(stage=Stage.SQL)  # whatever happens between
    again = send(client, body)

    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert StageTransition.objects.count() == 1 and CrmFeedbackEvent.objects.count() == 1
    assert Person.objects.get(pk=sql_person.pk).stage == Stage.SQL


def test_the_event_id_may_come_in_a_header(client, sql_person):
    body = change(sql_person)
    del body["event_id"]
    assert send(client, body, headers={"X-Signalpage-Event-Id": "hdr-1"}).json()["duplicate"] is False
    assert send(client, body, headers={"X-Signalpage-Event-Id": "hdr-1"}).json()["duplicate"] is True
    assert CrmFeedbackEvent.objects.get().event_id == "hdr-1"


def test_an_event_id_in_header_and_body_must_agree(client, sql_person):
    response = send(client, change(sql_person, event_id="a"), headers={"X-Signalpage-Event-Id": "b"})
    assert response.status_code == 422 and response.json()["field"] == "event_id"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs real concurrent transactions (PostgreSQL)")
def test_simultaneous_copies_and_changes_of_one_deal_apply_once_each():
    person = PersonFactory(stage=Stage.SQL)
    opened = change(person, at=T1)
    won = change(person, stage="customer", at=T2)
    bodies = [json.dumps(opened).encode()] * 3 + [json.dumps(won).encode()] * 3
    barrier, answers, errors = threading.Barrier(len(bodies)), [], []

    def post(raw):
        try:
            client = Client()
            barrier.wait(timeout=10)
            answers.append(send(client, raw))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(raw,)) for raw in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and sorted(answer.status_code for answer in answers) == [200] * 6
    assert sum(answer.json()["duplicate"] for answer in answers) == 4
    assert CrmFeedbackEvent.objects.count() == 2 and Deal.objects.count() == 1
    assert Deal.objects.get().status == "won"  # whichever came first, the newer change wins
    assert Person.objects.get(pk=person.pk).stage == Stage.CUSTOMER


# --- whom the change names -----------------------------------------------------------------------


def test_a_person_by_pid_and_a_merged_pid_reaches_the_survivor(client):
    kept = PersonFactory(stage=Stage.SQL)
    PersonMerge.objects.create(kept=kept, merged_person_id=kept.pk + 1000, merged_email="old@x.example", snapshot={})

    assert send(client, change(person={"pid": kept.pid})).status_code == 200
    response = send(client, change(person={"pid": kept.pk + 1000}, opportunity="006-B"))

    assert response.status_code == 200
    assert set(Deal.objects.values_list("person", flat=True)) == {kept.pk}


def test_an_address_with_a_plus_tag_and_other_case_finds_the_person(client):
    person = PersonFactory(email="jane.doe@meridian.example", stage=Stage.SQL)
    assert send(client, change(person={"email": "Jane.Doe+crm@Meridian.example"})).status_code == 200
    assert Deal.objects.get().person == person


def test_a_company_level_deal_moves_the_people_sales_is_working_there(client):
    company = CompanyFactory(domains=["northwind.example"])
    in_sales = PersonFactory(company=company, stage=Stage.SQL)
    just_a_lead = PersonFactory(company=company, stage=Stage.LEAD)
    elsewhere = PersonFactory(stage=Stage.SQL)

    response = send(client, change(company={"domain": "https://www.Northwind.example/about"}))

    assert response.status_code == 200
    assert response.json()["stage_changes"] == [{"person": in_sales.pid, "from": "sql", "to": "opportunity"}]
    deal = Deal.objects.get()
    assert deal.company == company and deal.person is None
    stages = dict(Person.objects.values_list("pk", "stage"))
    assert stages == {in_sales.pk: "opportunity", just_a_lead.pk: "lead", elsewhere.pk: "sql"}
    # Their own deal lost later does not recycle them while the company's deal is open.
    send(client, change(in_sales, opportunity="006-OWN", at=T2))
    send(client, change(in_sales, opportunity="006-OWN", stage="lost", at=T3))
    assert Person.objects.get(pk=in_sales.pk).stage == Stage.OPPORTUNITY


def test_a_company_by_cid(client):
    company = CompanyFactory()
    assert send(client, change(company={"cid": f"CID-{company.pk}"})).status_code == 200
    assert Deal.objects.get().company == company


@pytest.mark.parametrize(
    "whom, field, error",
    [
        ({"person": {"email": "nobody@nowhere.example"}}, "person.email", "unknown_person"),
        ({"person": {"pid": "PID-999999"}}, "person.pid", "unknown_person"),
        ({"company": {"domain": "nowhere.example"}}, "company.domain", "unknown_company"),
        ({"company": {"cid": 999999}}, "company.cid", "unknown_company"),
        ({}, "person", "missing_field"),
        ({"person": {}, "company": {}}, "person", "missing_field"),
    ],
)
def test_nobody_we_know_is_422_naming_the_field(client, whom, field, error):
    body = change() | whom
    response = send(client, body)

    assert response.status_code == 422, response.content
    assert (response.json()["error"], response.json()["field"]) == (error, field)
    assert Deal.objects.count() == 0 and CrmFeedbackEvent.objects.count() == 0


def test_a_person_and_an_address_of_somebody_else_are_refused(client):
    one, other = PersonFactory(), PersonFactory()
    response = send(client, change(person={"pid": one.pk, "email": other.email}))
    assert response.status_code == 422 and response.json()["field"] == "person"


def test_an_unknown_company_beside_a_known_person_takes_the_persons_company(client, sql_person):
    response = send(client, change(sql_person, company={"domain": "unknown.example"}))

    assert response.status_code == 200
    assert response.json()["warnings"] == ["company.domain: no company matches; the person's company is used."]
    assert Deal.objects.get().company == sql_person.company


def test_a_refused_event_id_may_be_sent_again_corrected(client, sql_person):
    body = change(sql_person, stage="won-ish")
    assert send(client, body).status_code == 422
    assert send(client, {**body, "stage": "customer"}).status_code == 200


# --- money ---------------------------------------------------------------------------------------


def test_an_amount_in_another_currency_is_reported_in_the_report_currency(client, sql_person):
    send(client, change(sql_person, amount=1000.10, currency="usd"))

    deal = Deal.objects.get()
    assert (deal.amount, deal.currency, deal.amount_report) == (Decimal("1000.10"), "USD", Decimal("920.09"))


def test_a_change_without_an_amount_keeps_the_deals(client, sql_person):
    send(client, change(sql_person, amount="12.345", currency="GBP"))  # rounded to the cent
    body = change(sql_person, stage="lost", at=T2)
    del body["amount"], body["currency"], body["close_date"]
    send(client, body)

    deal = Deal.objects.get()
    assert (deal.status, deal.amount, deal.currency, deal.amount_report) == (
        "lost",
        Decimal("12.35"),
        "GBP",
        Decimal("14.45"),
    )
    assert deal.close_date == date(2026, 12, 31)


# --- refusals naming the field -------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"stage": "won"}, "stage"),
        ({"stage": None}, "stage"),
        ({"stage": ["opportunity"]}, "stage"),
        ({"amount": -1}, "amount"),
        ({"amount": "-0.01"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "50,000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "1e999999999"}, "amount"),
        ({"amount": 10**13}, "amount"),
        ({"amount": "999999999999.99", "currency": "GBP"}, "amount"),  # too large once converted
        ({"amount": {"value": 1}}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"currency": None}, "currency"),  # an amount needs its currency
        ({"close_date": "31/12/2026"}, "close_date"),
        ({"close_date": "2026-02-30"}, "close_date"),
        ({"close_date": 20261231}, "close_date"),
        ({"changed_at": None}, "changed_at"),
        ({"changed_at": "yesterday"}, "changed_at"),
        ({"changed_at": (NOW + timedelta(days=1)).isoformat()}, "changed_at"),
        ({"changed_at": "1970-01-02T00:00:00Z"}, "changed_at"),
        ({"changed_at": 10**20}, "changed_at"),
        ({"changed_at": "2026-11-01T10:00:00\u0000"}, "changed_at"),
        ({"opened_at": "soon"}, "opened_at"),
        ({"opportunity_id": None}, "opportunity_id"),
        ({"opportunity_id": ""}, "opportunity_id"),
        ({"opportunity_id": {"id": 1}}, "opportunity_id"),
        ({"opportunity_id": "x" * 101}, "opportunity_id"),
        ({"opportunity_id": "006\u0000A"}, "opportunity_id"),
        ({"opportunity_id": "006\ud800"}, "opportunity_id"),
        ({"event_id": "evt\u0000"}, "event_id"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": None}, "event_id"),
        ({"event_id": 1.5}, "event_id"),
        ({"person": "jane@example.com"}, "person"),
        ({"person": {"email": "jane\u0000@x.example"}}, "person.email"),
        ({"person": {"email": "not an address"}}, "person.email"),
        ({"person": {"pid": "PID-abc"}}, "person.pid"),
        ({"person": {"pid": 10**30}}, "person.pid"),
        ({"company": ["CID-1"]}, "company"),
        ({"company": {"domain": "not a domain"}}, "company.domain"),
    ],
)
def test_a_field_that_cannot_be_taken_is_422_naming_it(client, sql_person, changes, field):
    response = send(client, change(sql_person) | changes)

    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert field.split(".")[0] in response.json()["detail"] or field == "event_id"
    assert Deal.objects.count() == 0 and StageTransition.objects.count() == 0


@pytest.mark.parametrize(
    "raw, status, error",
    [
        (b"", 415, "unsupported_media_type"),  # Django's test client sends no Content-Type with no body
        (b"   \n", 400, "empty_body"),
        (b'{"stage": ', 400, "invalid_json"),
        (b"\xff\xfe{}", 400, "invalid_encoding"),
        (b'{"a": "\x00"}', 400, "invalid_json"),
        (b"\x00\x00\x00", 400, "invalid_json"),
        (b'{"amount": NaN}', 400, "invalid_json"),
        (b'{"amount": 1' + b"0" * 5000 + b"}", 400, "invalid_json"),
        (b"[" * 5000 + b"]" * 5000, 400, "too_deep"),
        (b"[]", 422, "not_an_object"),
        (b'[{"stage": "lost"}]', 422, "not_an_object"),
        (b'"opportunity"', 422, "not_an_object"),
        (b"null", 422, "not_an_object"),
        (b'{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}', 422, "too_deep"),
        (b"{" + b" " * 20000 + b"}", 413, "too_large"),
    ],
)
def test_hostile_bodies_are_refused_never_a_500(client, raw, status, error):
    response = send(client, raw)

    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert Deal.objects.count() == 0


def test_a_body_not_sent_as_json_is_415(client, sql_person):
    response = send(client, change(sql_person), content_type="text/plain")
    assert response.status_code == 415 and response.json()["field"] == "Content-Type"


# --- signing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"secret": "somebody-elses-secret"}, "bad_signature"),
        ({"timestamp": int(time.time()) - 3600}, "stale_timestamp"),
        ({"timestamp": "soon"}, "bad_timestamp"),
        ({"headers": {"X-Signalpage-Signature": ""}}, "missing_signature"),
        ({"headers": {"X-Signalpage-Timestamp": ""}}, "missing_timestamp"),
        ({"headers": {"X-Signalpage-Signature": "sha256=\u00e9\u00e9"}}, "bad_signature"),
    ],
)
def test_a_call_not_signed_with_the_crm_secret_is_401(client, sql_person, kwargs, error):
    response = send(client, change(sql_person), **kwargs)

    assert response.status_code == 401
    assert response.json()["error"] == error and response.json()["field"].startswith("X-Signalpage-")
    assert Deal.objects.count() == 0 and CrmFeedbackEvent.objects.count() == 0


def test_a_signature_over_other_bytes_is_refused(client, sql_person):
    raw = json.dumps(change(sql_person)).encode()
    timestamp = str(int(time.time()))
    response = client.post(
        URL,
        data=raw.replace(b"50000.00", b"99999.00"),
        content_type="application/json",
        headers={
            "X-Signalpage-Timestamp": timestamp,
            "X-Signalpage-Signature": webhook_signature(SECRET, timestamp, raw),
        },
    )
    assert response.status_code == 401 and Deal.objects.count() == 0


def test_without_a_secret_the_webhook_is_off(client, sql_person):
    with override_settings(CRM_FEEDBACK_SECRET=""):
        response = send(client, change(sql_person), secret="")
    assert response.status_code == 404 and response.json()["error"] == "not_configured"
    assert Deal.objects.count() == 0


# --- what others hear ----------------------------------------------------------------------------


def test_people_changed_is_sent_after_commit_for_the_people_on_the_deal(
    client, sql_person, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, person_ids=None, **kwargs):
        heard.append(sorted(person_ids))

    people_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send(client, change(sql_person))
        assert heard and all(ids == [sql_person.pk] for ids in heard)
        heard.clear()
        with django_capture_on_commit_callbacks(execute=True):  # a stale change tells nobody anything
            send(client, change(sql_person, at=T1 - timedelta(days=1)))
        assert heard == []
    finally:
        people_changed.disconnect(listener)


def test_the_operation_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/crm/feedback"]["post"]
    assert {"200", "401", "422"} <= set(operation["responses"])
    assert "opportunity_id" in json.dumps(operation["requestBody"])
