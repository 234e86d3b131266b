"""The outbox's guarantees, against a real SMTP server on loopback: recorded before sending, sent after
commit, retried with backoff while the server refuses or is down, failed (and visible) after the last
attempt, sent once however often it is delivered, and taken up again after a dead worker or a lost task.

Time moves with freezegun; nothing here sleeps.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from outbox import kinds
from outbox.models import OutgoingEmail
from outbox.services import (
    backoff,
    outbox_deliver,
    outbox_queue,
    outbox_queue_many,
    outbox_send_again,
    outbox_sweep,
)

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)
KIND = "tests.note"


def queue(n=1, **fields):
    fields = {"to": [f"reader{n}@northwind-test.de"], "subject": f"Note {n}", "text": f"Hello reader {n}", **fields}
    return outbox_queue(KIND, **fields)


def fresh(email):
    email.refresh_from_db()
    return email


@pytest.fixture
def at():
    """Run a block at T0 + minutes, the on-commit callbacks (the delivery tasks) included."""
    from django.test import TestCase

    class Clock:
        def __call__(self, minutes=0):
            self.frozen = freeze_time(T0 + timedelta(minutes=minutes))
            self.captured = TestCase.captureOnCommitCallbacks(execute=True)
            return self

        def __enter__(self):
            self.frozen.__enter__()
            self.captured.__enter__()

        def __exit__(self, *exc):
            self.captured.__exit__(*exc)
            self.frozen.__exit__(*exc)

    return Clock()


# --- Recorded, then sent after commit --------------------------------------------------------------
def test_an_email_is_written_down_first_and_sent_once_the_transaction_commits(mail_server, at):
    with at(0):
        email = queue(1, html="<p>Hello reader 1</p>", from_email="Team <team@northwind-test.de>")
        assert fresh(email).status == Status.PENDING and mail_server.messages == []  # not before commit
    [received] = mail_server.messages
    assert received.rcpt_tos == ["reader1@northwind-test.de"]
    assert received.subject == "Note 1" and received.text.strip() == "Hello reader 1"
    assert received.html == "<p>Hello reader 1</p>"
    assert received.mail_from == "team@northwind-test.de"
    email = fresh(email)
    assert (email.status, email.attempts, email.sent_at, email.last_error) == (Status.SENT, 1, T0, "")


def test_an_email_rolled_back_with_its_transaction_is_never_sent(mail_server, at):
    from django.db import transaction

    with at(0):
        with pytest.raises(RuntimeError), transaction.atomic():
            queue(1)
            raise RuntimeError("the change it was about failed")
    assert OutgoingEmail.objects.count() == 0 and mail_server.messages == []


# --- Retried while the server refuses or is down ---------------------------------------------------
@pytest.mark.parametrize("outage", ["451 at DATA", "server stopped"])
def test_a_refusing_or_stopped_server_leaves_it_pending_with_the_error_then_it_is_sent_once(mail_server, at, outage):
    if outage == "server stopped":
        mail_server.stop()
    else:
        mail_server.refuse("451 4.3.0 Mail server busy, try again later")
    with at(0):
        email = queue(1)
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert ("451" in email.last_error) if outage == "451 at DATA" else ("Connection" in email.last_error)
    assert email.next_attempt_at == T0 + backoff(1) == T0 + timedelta(minutes=1)
    assert mail_server.messages == []

    with at(0.5):
        assert outbox_sweep() == 0  # not due yet
    if outage == "server stopped":
        mail_server.start()
    else:
        mail_server.accept()
    with at(1):
        assert outbox_sweep() == 1
    with at(2):
        assert outbox_sweep() == 0
    assert len(mail_server.messages) == 1
    email = fresh(email)
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 2, "")


def test_waits_double_after_each_failure_up_to_the_cap(settings):
    settings.OUTBOX_MAX_BACKOFF_MINUTES = 120
    assert [backoff(n).total_seconds() // 60 for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 64, 120, 120]


def test_after_the_last_attempt_it_is_failed_and_stays_visible_until_sent_again(mail_server, at, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    mail_server.refuse()
    with at(0):
        email = queue(1)
    with at(1):
        outbox_sweep()
    assert (fresh(email).status, fresh(email).attempts, fresh(email).next_attempt_at) == (
        Status.PENDING,
        2,
        T0 + timedelta(minutes=1 + 2),
    )
    with at(3):
        outbox_sweep()
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.FAILED, 3)
    assert "451" in email.last_error
    assert mail_server.refusals == 3
    with at(600):
        assert outbox_sweep() == 0  # failed is final: nobody retries it by themselves
    assert mail_server.refusals == 3

    mail_server.accept()
    with at(601):
        assert outbox_send_again(email.pk) is True
        assert outbox_send_again(email.pk) is False  # only a failed email is sent again
    assert len(mail_server.messages) == 1
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.SENT, 1)


def test_a_recipient_refused_for_good_fails_at_once(mail_server, at):
    mail_server.refuse_recipient("gone@northwind-test.de")
    with at(0):
        email = queue(1, to=["gone@northwind-test.de"])
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert "SMTPRecipientsRefused" in email.last_error and "550" in email.last_error


def test_a_defer_capable_queue_gets_the_retry_as_a_task_that_runs_when_due(mail_server, settings):
    """The database queue can defer: a failed send queues its own retry, and the sweep leaves it alone."""
    settings.TASKS = {**settings.TASKS, "background": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from outbox.tasks import deliver_email

    deliver_email.get_backend().clear()
    mail_server.refuse()
    with freeze_time(T0):
        email = queue(1)
        assert outbox_deliver(email.pk) == "will retry"
    [retry] = deliver_email.get_backend().results  # (the first task waits for commit, which never comes here)
    assert retry.task.run_after == T0 + timedelta(minutes=1) == fresh(email).queued_at
    with freeze_time(T0 + timedelta(minutes=5)):
        assert outbox_sweep() == 0  # its task is due only now: not lost
    with freeze_time(T0 + timedelta(minutes=12)):
        assert outbox_sweep() == 1  # 10 minutes past its run time and still pending: lost, queued again


# --- Sent once ---------------------------------------------------------------------------------------
def test_delivering_the_same_email_twice_sends_it_once(mail_server):
    email = queue(1)  # not committed: queued, its task not run
    assert outbox_deliver(email.pk) == "sent"
    assert outbox_deliver(email.pk) == "not claimed"
    assert outbox_deliver(987654) == "not claimed"
    assert len(mail_server.messages) == 1
    assert fresh(email).attempts == 1


def test_a_second_worker_arriving_while_the_first_is_sending_finds_nothing_to_claim(mail_server, monkeypatch):
    email = queue(1)
    from django.core.mail import EmailMultiAlternatives

    send, seen = EmailMultiAlternatives.send, []

    def send_while_another_worker_tries(self, *args, **kwargs):
        seen.append(outbox_deliver(email.pk))  # the duplicate task runs now, mid-send
        return send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_while_another_worker_tries)
    assert outbox_deliver(email.pk) == "sent"
    assert seen == ["not claimed"]
    assert len(mail_server.messages) == 1


def test_a_late_worker_cannot_overwrite_a_newer_attempt(mail_server, monkeypatch):
    """The first worker hung past the timeout; meanwhile the sweep gave the email to a second one, which
    sent it. When the first one's send finally fails, the row keeps the second one's outcome."""
    email = queue(1)
    from django.core.mail import EmailMultiAlternatives

    def hang_then_fail(self, *args, **kwargs):
        OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.SENT, attempts=2, sent_at=timezone.now())
        raise TimeoutError("the first worker's connection finally timed out")

    monkeypatch.setattr(EmailMultiAlternatives, "send", hang_then_fail)
    assert outbox_deliver(email.pk) == "superseded"
    email = fresh(email)
    assert (email.status, email.attempts, email.last_error) == (Status.SENT, 2, "")


# --- Taken up again ----------------------------------------------------------------------------------
def test_an_email_left_sending_by_a_dead_worker_is_sent_by_the_sweep_after_the_timeout(mail_server, at, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    crashed, busy, hopeless = queue(1), queue(2), queue(3)
    for email, minutes_ago, attempts in ((crashed, 20, 1), (busy, 5, 1), (hopeless, 20, 3)):
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=Status.SENDING, claimed_at=T0 - timedelta(minutes=minutes_ago), attempts=attempts
        )
    with at(0):
        assert outbox_sweep() == 1
    assert [m.rcpt_tos for m in mail_server.messages] == [["reader1@northwind-test.de"]]
    assert (fresh(crashed).status, fresh(crashed).attempts) == (Status.SENT, 2)
    assert fresh(busy).status == Status.SENDING  # still within its worker's time
    assert fresh(hopeless).status == Status.FAILED  # out of attempts: not "being sent" for ever
    assert "stopped" in fresh(hopeless).last_error
    with at(1):
        assert outbox_sweep() == 0
    assert len(mail_server.messages) == 1


def test_a_task_lost_by_the_queue_is_queued_again_but_one_still_waiting_is_not(mail_server, at):
    with freeze_time(T0):
        lost = queue(1)  # its task never runs (its on-commit callback is dropped with the test's transaction)
    with at(5):
        assert outbox_sweep() == 0  # its task may still be waiting in a busy queue
    assert mail_server.messages == []
    with at(10):
        assert outbox_sweep() == 1
    assert [m.subject for m in mail_server.messages] == ["Note 1"] and fresh(lost).status == Status.SENT


def test_a_queue_that_fails_loses_nothing(mail_server, at, monkeypatch):
    from outbox.tasks import deliver_email

    def broken(*args, **kwargs):
        raise ConnectionError("the task queue is down")

    monkeypatch.setattr(type(deliver_email), "enqueue", broken)
    with at(0):
        email = queue(1)
    assert fresh(email).status == Status.PENDING and fresh(email).queued_at is None
    monkeypatch.undo()
    with at(1):
        assert outbox_sweep() == 1  # no task on record: taken at once
    assert len(mail_server.messages) == 1


def test_the_sweep_is_cheap_when_there_is_nothing_to_do():
    queue(1)
    OutgoingEmail.objects.update(status=Status.SENT)
    with CaptureQueriesContext(connection) as queries:
        assert outbox_sweep() == 0
    assert len(queries) <= 3, [q["sql"] for q in queries.captured_queries]


# --- Many at once, and one per key -------------------------------------------------------------------
def test_the_same_email_for_many_objects_is_written_once_per_object_and_key(mail_server, at, django_user_model):
    users = [django_user_model.objects.create_user(f"user{n}", f"user{n}@northwind-test.de") for n in range(3)]
    addresses = {user.pk: [user.email] for user in users}
    with at(0):
        first = outbox_queue_many(
            KIND, key="welcome", about_model=django_user_model, recipients=addresses, subject="Welcome", text="Hello"
        )
        again = outbox_queue_many(
            KIND, key="welcome", about_model=django_user_model, recipients=addresses, subject="Welcome", text="Hello"
        )
    assert len(first) == 3 and again == []
    assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == sorted(u.email for u in users)
    assert {email.about for email in OutgoingEmail.objects.all()} == set(users)


# --- Mail built when it is sent ----------------------------------------------------------------------
@pytest.fixture
def built_kind():
    from django.core.mail import EmailMessage

    state = {"reason": "", "raise": None}

    def build(email):
        if state["raise"]:
            raise state["raise"]
        if state["reason"]:
            return state["reason"]
        return EmailMessage(subject=f"Built for #{email.about_id}", body="Built now", to=["built@northwind-test.de"])

    kinds.register("tests.built", "Test: built when sent", build=build)
    yield state
    kinds._KINDS.pop("tests.built", None)


def test_a_builder_makes_the_message_when_it_is_sent_and_the_row_records_it(
    mail_server, at, built_kind, django_user_model
):
    user = django_user_model.objects.create_user("someone")
    with at(0):
        email = outbox_queue("tests.built", about=user, key="hello")
    [received] = mail_server.messages
    assert received.subject == f"Built for #{user.pk}" and received.rcpt_tos == ["built@northwind-test.de"]
    email = fresh(email)
    assert (email.status, email.subject, email.recipients) == (
        Status.SENT,
        received.subject,
        ["built@northwind-test.de"],
    )


def test_a_builder_that_says_why_not_skips_it_and_one_that_breaks_is_retried(mail_server, at, built_kind):
    built_kind["reason"] = "not sent: no longer true"
    with at(0):
        skipped = outbox_queue("tests.built")
    assert (fresh(skipped).status, fresh(skipped).last_error) == (Status.SKIPPED, "not sent: no longer true")
    built_kind["reason"], built_kind["raise"] = "", LookupError("the wording is missing")
    with at(0):
        broken = outbox_queue("tests.built")
    assert (fresh(broken).status, fresh(broken).attempts) == (Status.PENDING, 1)
    assert "the wording is missing" in fresh(broken).last_error
    assert mail_server.messages == []


def test_a_kind_nobody_builds_here_waits_rather_than_sending_nothing(mail_server, at):
    with at(0):
        email = outbox_queue("tests.unknown_builder_kind")
    email = fresh(email)
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert "no builder is registered" in email.last_error
