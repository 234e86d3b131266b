"""Stages, routing and the CRM push, end to end through capture."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from leads.models import CrmDelivery, LeadStoreSettings, Person, SalesRep, ScoringRule, StageTransition
from leads.services import (
    crm_deliver_due,
    lead_capture,
    person_assign,
    sales_accept,
    sales_mark,
    sales_reject,
    score_explanation,
)
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db
SECRET = "test-webhook-secret"


@pytest.fixture
def rules():
    ScoringRule.objects.create(name="DACH", kind="fit", attribute="country", operator="in", value="DE,AT,CH", points=70)
    ScoringRule.objects.create(name="Download", kind="interest", interaction_type="content_download", points=35)


@pytest.fixture
def reps(django_user_model):
    def rep(name, **extra):
        user = django_user_model.objects.create_user(name, f"{name}@northwind.example", "pw")
        return SalesRep.objects.create(user=user, **extra)

    return {"anna": rep("anna", territories="DE,AT,CH"), "bob": rep("bob", weight=2), "cleo": rep("cleo")}


def download(email="jane@meridian-bank.de", **fields):
    return lead_capture(
        source="form",
        payload={"email": email, "country": "DE", **fields},
        origin_type="content",
        origin_id="42",
        interaction_type="content_download",
    )


class Receiver:
    """A local CRM webhook that fails the first `failures` requests."""

    def __init__(self, failures):
        self.failures, self.requests = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.requests) <= receiver.failures else 202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/crm/leads"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    crm = Receiver(failures=2)
    settings.CRM_WEBHOOK_URL, settings.CRM_WEBHOOK_SECRET = crm.url, SECRET
    yield crm
    crm.close()


def test_crossing_the_threshold_makes_an_mql_assigns_and_pushes_exactly_once(
    rules, reps, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = download()
    person = Person.objects.get(pk=lead.person_id)
    assert person.grade == "A2" and person.stage == "mql"
    assert person.owner == reps["anna"].user  # territory DE
    transition = StageTransition.objects.get(person=person, to_stage="mql")
    assert transition.reason_type == "rule" and "meets the MQL condition" in transition.reason

    delivery = CrmDelivery.objects.get(person=person)
    assert delivery.status == "pending" and delivery.attempts == 1  # first try failed (500)
    now = timezone.now()
    crm_deliver_due(now=now + timedelta(minutes=5))  # second try: 500 again
    crm_deliver_due(now=now + timedelta(minutes=30))  # third try: accepted
    crm_deliver_due(now=now + timedelta(hours=2))  # nothing left to send
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at")] == [500, 500, 202]

    assert len(receiver.requests) == 3  # two failures, one acceptance, no resend after it
    keys = {headers["Idempotency-Key"] for headers, _ in receiver.requests}
    assert keys == {delivery.idempotency_key}
    for headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Signalpage-Signature"], expected)
    payload = json.loads(receiver.requests[-1][1])
    assert payload["person"]["email"] == "jane@meridian-bank.de" and payload["score"]["grade"] == "A2"
    assert sum(line["points"] for line in payload["score"]["explanation"]) == 105
    assert payload["recent_interactions"][0]["type"] == "content_download"


def test_a_crm_that_stays_down_keeps_the_push_until_it_gives_up(
    rules, reps, settings, django_capture_on_commit_callbacks
):
    settings.CRM_WEBHOOK_URL, settings.CRM_MAX_ATTEMPTS = "http://127.0.0.1:9/nothing-listens-here", 3
    settings.CRM_WEBHOOK_SECRET = SECRET
    with django_capture_on_commit_callbacks(execute=True):
        download()
    delivery = CrmDelivery.objects.get()
    now = timezone.now()
    for minutes in (5, 30, 120):
        crm_deliver_due(now=now + timedelta(minutes=minutes))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("gave_up", 3)
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_without_a_crm_url_the_push_waits(rules, reps, settings, django_capture_on_commit_callbacks):
    settings.CRM_WEBHOOK_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        download()
    delivery = CrmDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert "CRM_WEBHOOK_URL is not set" in delivery.last_error


def test_with_an_empty_secret_the_push_waits_rather_than_go_out_signed_with_it(
    rules, reps, receiver, settings, django_capture_on_commit_callbacks
):
    settings.CRM_WEBHOOK_SECRET = "  "
    with django_capture_on_commit_callbacks(execute=True):
        download()
    crm_deliver_due(now=timezone.now() + timedelta(hours=1))
    delivery = CrmDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert "CRM_WEBHOOK_SECRET is empty" in delivery.last_error
    assert receiver.requests == []


def test_the_workers_sweep_sends_a_push_whose_task_was_lost(rules, reps, receiver, settings):
    from leads.services.crm import crm_pushes_sweep

    receiver.failures = 0
    download()  # outside any on-commit capture: the push's task is never queued (as if the process died)
    delivery = CrmDelivery.objects.get()
    assert delivery.status == "pending" and receiver.requests == []
    assert crm_pushes_sweep(now=timezone.now() + timedelta(minutes=1)) == {
        "delivered": 0,
        "pending": 0,
        "gave_up": 0,
    }, "its task may still come"
    crm_pushes_sweep(now=timezone.now() + timedelta(minutes=6))
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.requests) == 1
    crm_pushes_sweep(now=timezone.now() + timedelta(minutes=30))
    assert len(receiver.requests) == 1

    settings.CRM_WEBHOOK_URL = ""
    assert crm_pushes_sweep() == {}


def test_below_the_threshold_stays_a_lead(reps):
    lead = download()
    assert lead.person.stage == "lead" and not CrmDelivery.objects.exists()


def test_contact_sales_takes_the_fast_lane_whatever_the_score(reps):
    lead = lead_capture(
        source="form", payload={"email": "cto@smallco.de", "country": "US"}, interaction_type="contact_sales"
    )
    person = Person.objects.get(pk=lead.person_id)
    assert person.stage == "mql" and person.grade == "D4"
    assert "Fast lane: asked to contact sales" in person.stage_transitions.get().reason
    assert CrmDelivery.objects.get(person=person).event == "fast_lane"


def test_key_accounts_go_to_their_owner_at_once(reps, django_user_model):
    owner = django_user_model.objects.create_user("kam", "kam@northwind.example", "pw")
    company = CompanyFactory(is_key_account=True, owner=owner, domains=["bigbank.de"])
    lead = download("someone@bigbank.de")
    person = Person.objects.get(pk=lead.person_id)
    assert person.company == company and person.stage == "mql" and person.owner == owner


def test_junk_never_goes_to_sales(rules, reps):
    settings = LeadStoreSettings.load()
    settings.competitor_domains = "rival.io"
    settings.save()
    lead = lead_capture(
        source="form", payload={"email": "spy@rival.io", "country": "DE"}, interaction_type="contact_sales"
    )
    assert lead.person.stage == "lead" and not CrmDelivery.objects.exists()


def test_weighted_round_robin_skips_reps_who_are_away(reps):
    owners = [person_assign(PersonFactory(country="US")).username for _ in range(30)]
    assert (owners.count("bob"), owners.count("cleo"), owners.count("anna")) == (20, 10, 0)  # weights 2:1
    reps["cleo"].is_active = False
    reps["cleo"].save()
    assert {person_assign(PersonFactory(country="US")).username for _ in range(6)} == {"bob"}
    # anna covers DE/AT/CH: people there go to her first.
    assert person_assign(PersonFactory(country="AT")).username == "anna"


def test_reject_sends_back_to_nurture_with_penalty_and_cooldown(rules, reps, django_user_model):
    seller = reps["anna"].user
    person = Person.objects.get(pk=download().person_id)
    assert person.stage == "mql" and person.interest_score == 35
    sales_reject(person, actor=seller, reason="No budget this year")
    person.refresh_from_db()
    assert person.stage == "nurture" and person.interest_score == 15
    assert any(line.label == "Rejected by sales (penalty)" and line.points == -20 for line in score_explanation(person))
    # More interest during the cool-down does not make them MQL again...
    download(utm_campaign="again")
    person.refresh_from_db()
    assert person.stage == "nurture"
    with pytest.raises(ValueError, match="A rejection needs a reason"):
        sales_reject(person, actor=seller, reason="  ")


def test_stage_history_records_every_step_including_backward_moves(rules, reps):
    seller = reps["anna"].user
    person = Person.objects.get(pk=download().person_id)
    sales_accept(person, actor=seller)
    sales_mark(person, "opportunity", actor=seller, reason="Pilot agreed")
    sales_mark(person, "sql", actor=seller, reason="Pilot postponed")
    sales_mark(person, "customer", reason="Closed won in CRM", from_crm=True)
    history = list(
        person.stage_transitions.order_by("occurred_at", "pk").values_list("from_stage", "to_stage", "reason_type")
    )
    assert history == [
        ("lead", "mql", "rule"),
        ("mql", "sql", "sales_feedback"),
        ("sql", "opportunity", "user"),
        ("opportunity", "sql", "user"),
        ("sql", "customer", "crm"),
    ]
