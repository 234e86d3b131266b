"""Form bursts (issue 19, target 1): with the database queue, accepting an answer is validating it,
storing the raw lead and queueing its task; a worker does the rest and ends where inline mode ends
(the same person, interaction, submission row, consent record and emails, received by a real SMTP
server). The same answer sent twice is one lead."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from forms.models import ConsentRecord, LeadFormSubmission
from forms.services.submission import form_lead_process_now
from leads.models import Interaction, Lead, Person
from outbox.models import OutgoingEmail
from tests.factories import LeadFormPageFactory
from tests.forms.conftest import GOOD_ANSWERS, form_inputs

pytestmark = pytest.mark.django_db
# The worker checks its connection between tasks as after a request (close_old_connections), which closes
# a connection left inside a transaction: tests that run it commit for real (as tests/core/test_workers).
runs_a_worker = pytest.mark.django_db(transaction=True)

LINK = re.compile(r'href="(/downloads/[^"]+)"')
# The accepted POST of a gated whitepaper (htmx): the page's routing and the visitor, the form's
# questions and consent wording, then BEGIN, the lead, a savepoint, its task, COMMIT. 22 when measured.
ACCEPT_QUERY_BUDGET = 24
IMMEDIATE = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
DATABASE_QUEUE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}


@pytest.fixture
def use_queue(settings):
    def use(queue: bool):
        settings.TASKS = {"default": IMMEDIATE, "background": DATABASE_QUEUE if queue else IMMEDIATE}

    return use


@pytest.fixture
def team_form(gate_form):
    """The gate form also notifies the team, so every kind of form email is compared."""
    gate_form.to_address = "marketing@northwind.example"
    gate_form.from_address = "forms@northwind.example"
    gate_form.send_confirmation = True
    gate_form.confirmation_subject = "Your whitepaper"
    gate_form.save()
    return gate_form


def shown_form(client, url, **headers):
    page = client.get(url, headers={"CF-IPCountry": "DE", **headers})
    assert page.status_code == 200
    return form_inputs(page.content.decode())


def post(client, url, data):
    return client.post(url, data, headers={"CF-IPCountry": "DE", "HX-Request": "true"})


def answer(client, url, email, **more):
    data = {**shown_form(client, url), **GOOD_ANSWERS, "work_email": email, "marketing_consent": "on", **more}
    response = post(client, url, data)
    assert response.status_code == 200 and b"lead-form__done" in response.content, response.content[:2000]
    return response


@pytest.fixture(autouse=True)
def _no_worker_companion(monkeypatch):
    """The worker's heartbeat thread is tested in tests/core; here it would only race the worker for
    SQLite's in-memory tables ("database table is locked")."""
    from core.workers import WorkerCompanion

    monkeypatch.setattr(WorkerCompanion, "start", lambda self: None)
    monkeypatch.setattr(WorkerCompanion, "stop", lambda self: None)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@runs_a_worker
def test_an_accepted_post_stores_the_raw_lead_and_one_task_within_its_query_budget(
    client, whitepaper, team_form, consent_policies, use_queue, django_assert_max_num_queries
):
    use_queue(True)
    answer(client, whitepaper.url, "warm@meridian-bank.de")  # templates, content types, the site
    data = {**shown_form(client, whitepaper.url), **GOOD_ANSWERS, "marketing_consent": "on"}
    with django_assert_max_num_queries(ACCEPT_QUERY_BUDGET):
        response = post(client, whitepaper.url, data)
    assert b"lead-form__done" in response.content and LINK.search(response.content.decode())

    lead = Lead.objects.get(mapped_fields__contains="jana.novak@meridian-bank.de")
    assert lead.status == "received" and lead.person is None
    [task] = [t for t in DBTaskResult.objects.all() if t.args_kwargs["args"] == [lead.pk]]
    assert task.task_path == "forms.tasks.form_lead_process" and task.status == "READY"
    # Nothing else yet: no person, submission row, consent record or email until a worker runs.
    assert not Person.objects.filter(email="jana.novak@meridian-bank.de").exists()
    assert not LeadFormSubmission.objects.filter(lead=lead).exists()
    assert not ConsentRecord.objects.filter(lead=lead).exists()
    assert not OutgoingEmail.objects.exists()

    run_worker()
    lead.refresh_from_db()
    assert lead.status == "processed" and lead.person.email == "jana.novak@meridian-bank.de"
    assert LeadFormSubmission.objects.get(lead=lead).context_label == "RevOps benchmark 2026"


def outcome(email, mail_server, link):
    """What one answer left behind, with the lead's own id and link taken out."""
    lead = Lead.objects.get(mapped_fields__contains=email)
    person = lead.person
    submission = LeadFormSubmission.objects.get(lead=lead)
    consent = ConsentRecord.objects.get(lead=lead)
    messages = [
        (tuple(m.rcpt_tos), m.subject, m.text.replace(lead.lid, "LID").replace(f"http://testserver{link}", "LINK"))
        for m in mail_server.messages
        if email in m.rcpt_tos or lead.lid in m.text
    ]
    messages.sort(key=lambda message: message[1])  # by subject: the team's notification, then the confirmation
    return {
        "lead": (lead.status, lead.verdict, lead.flags, lead.interaction_type, lead.origin_topics),
        "person": (
            person.email,
            person.first_name,
            person.last_name,
            person.country,
            person.company.name,
            person.consent,
            person.fit_score,
            person.interest_score,
            person.stage,
        ),
        "interactions": list(Interaction.objects.filter(person=person).values_list("type", "object_id", "lead")),
        "submission": (
            {k: v for k, v in submission.form_data.items() if k != "work_email"},
            submission.form_data["work_email"] == email,
            submission.context_label,
            submission.visitor_id != "",
        ),
        "consent": (consent.granted, consent.policy_country, consent.version, consent.country, consent.form_page_id),
        "emails": messages,
        "outbox": sorted(OutgoingEmail.objects.filter(about_id=lead.pk).values_list("kind", "key", "status")),
    }


@runs_a_worker
def test_the_worker_leaves_what_inline_processing_leaves(
    whitepaper, team_form, consent_policies, use_queue, mail_server, django_capture_on_commit_callbacks
):
    use_queue(False)  # two browsers: a known visitor would be asked other questions
    with django_capture_on_commit_callbacks(execute=True):
        inline = answer(Client(), whitepaper.url, "inline@meridian-bank.de", first_name="Ina")

    use_queue(True)
    queued = answer(Client(), whitepaper.url, "queued@meridian-bank.de", first_name="Ina")
    assert Lead.objects.get(mapped_fields__contains="queued@").status == "received"
    run_worker()

    expected = outcome("inline@meridian-bank.de", mail_server, LINK.search(inline.content.decode()).group(1))
    got = outcome("queued@meridian-bank.de", mail_server, LINK.search(queued.content.decode()).group(1))
    for part in ("lead", "submission", "consent", "outbox"):
        assert got[part] == expected[part], part
    assert got["person"][1:] == expected["person"][1:] and got["person"][0] == "queued@meridian-bank.de"
    assert [i[:2] for i in got["interactions"]] == [i[:2] for i in expected["interactions"]] != []
    # The visitor's confirmation with the same download link the page gave, and the team's notification.
    assert [m[:2] for m in got["emails"]] == [
        (("marketing@northwind.example",), "New submission: Get the whitepaper"),
        (("queued@meridian-bank.de",), "Your whitepaper"),
    ]
    assert [m[2].replace("queued@", "X@") for m in got["emails"]] == [
        m[2].replace("inline@", "X@") for m in expected["emails"]
    ]
    assert "LINK" in got["emails"][1][2]


@runs_a_worker
def test_a_worker_that_runs_the_task_again_records_nothing_twice(
    client, whitepaper, team_form, consent_policies, use_queue
):
    use_queue(True)
    answer(client, whitepaper.url, "again@meridian-bank.de")
    task = DBTaskResult.objects.get(task_path="forms.tasks.form_lead_process")
    run_worker()
    lead = Lead.objects.get()
    form_lead_process_now(lead.pk, task.args_kwargs["kwargs"]["answer"])  # a worker died after finishing it
    assert LeadFormSubmission.objects.count() == ConsentRecord.objects.count() == Interaction.objects.count() == 1
    assert sorted(OutgoingEmail.objects.values_list("key", flat=True)) == ["confirmation", "notification"]
    assert form_lead_process_now(lead.pk + 1000, {}) == "no such lead"


@runs_a_worker
@pytest.mark.parametrize("queue", [False, True], ids=["inline", "queue"])
def test_the_same_answer_sent_twice_is_one_lead_and_gets_the_same_link(
    client, whitepaper, consent_policies, use_queue, queue
):
    use_queue(queue)
    data = {**shown_form(client, whitepaper.url), **GOOD_ANSWERS, "marketing_consent": "on"}
    first, second = post(client, whitepaper.url, data), post(client, whitepaper.url, data)
    assert b"lead-form__done" in first.content and b"lead-form__done" in second.content
    assert LINK.search(first.content.decode()).group(1) == LINK.search(second.content.decode()).group(1)
    assert Lead.objects.count() == 1

    # A corrected answer from the same form is a new answer, and a new form (a new token) too.
    post(client, whitepaper.url, {**data, "last_name": "Nováková"})
    browser = Client()  # (this one is a known visitor by now: inline, its gate is open)
    post(browser, whitepaper.url, {**shown_form(browser, whitepaper.url), **GOOD_ANSWERS, "marketing_consent": "on"})
    assert Lead.objects.count() == 3
    if queue:
        run_worker()
    assert Lead.objects.filter(status="processed").count() == 3
    assert LeadFormSubmission.objects.count() == 3 and Person.objects.count() == 1


def test_a_double_submit_is_one_lead_on_a_plain_form_page_too(client, home_page, consent_policies, use_queue):
    use_queue(True)
    contact = LeadFormPageFactory(parent=home_page, slug="contact", title="Contact")
    data = {**shown_form(client, contact.url), **GOOD_ANSWERS, "marketing_consent": "on"}
    responses = [client.post(contact.url, data, headers={"CF-IPCountry": "DE"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(b"lead-form__done" in r.content for r in responses)
    assert Lead.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_an_answer_whose_storing_failed_is_taken_at_once_when_sent_again(
    client, whitepaper, consent_policies, use_queue, monkeypatch
):
    """The double-submit claim goes with a failed store: the visitor's retry is a new answer, stored
    without waiting for the failed one's outcome."""
    from forms.services import submission

    use_queue(True)
    data = {**shown_form(client, whitepaper.url), **GOOD_ANSWERS, "marketing_consent": "on"}
    capture = submission._capture

    def database_down(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(submission, "_capture", database_down)
    with pytest.raises(RuntimeError, match="the database went away"):
        post(client, whitepaper.url, data)
    assert Lead.objects.count() == 0

    monkeypatch.setattr(submission, "_capture", capture)
    monkeypatch.setattr(submission.time, "sleep", lambda seconds: pytest.fail("waited on a released claim"))
    retry = post(client, whitepaper.url, data)
    assert b"lead-form__done" in retry.content and LINK.search(retry.content.decode())
    assert Lead.objects.count() == 1 and DBTaskResult.objects.count() == 1
