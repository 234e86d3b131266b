"""Workers racing for the same email (PostgreSQL, threads released together by a barrier): the mail
server receives it once, and a sweep running meanwhile queues nothing twice."""

import pytest
from django.db import connection

from outbox.models import OutgoingEmail
from outbox.services import outbox_deliver, outbox_queue, outbox_sweep
from tests.concurrency import together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)"),
]


@pytest.mark.parametrize("workers", [2, 8])
def test_many_workers_delivering_one_email_at_once_send_it_once(mail_server, settings, workers):
    # Queued with no task run (as if the queue held several tasks for it: a sweep's and its own).
    settings.TASKS = {**settings.TASKS, "background": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    email = outbox_queue("tests.race", to=["racer@northwind-test.de"], subject="Once", text="Only once")
    results, errors = together([lambda: outbox_deliver(email.pk) for _ in range(workers)] + [outbox_sweep])
    assert errors == []
    outcomes = sorted(str(value) for value in results.values())
    assert outcomes.count("sent") == 1 and outcomes.count("not claimed") == workers - 1
    assert len(mail_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 1)
