"""events 0003 carries every EmailDelivery row into the outbox: same id (a delivery task still in the
database queue names it), its kind, key, status, attempts, error and times, its registration; then
EmailDelivery goes. Run back, it carries them home again."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outbox.models import OutgoingEmail
from tests.factories import EventFactory

from .conftest import sign_up

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("events", "0002_event_email_templates"), ("outbox", "0001_initial")]
AFTER = [("events", "0003_emails_to_outbox")]
WHEN = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrated_back():
    """The database as it was before the move; forward again afterwards, whatever the test did."""
    try:
        yield migrate(BEFORE)
    finally:
        migrate(AFTER)


@pytest.fixture
def registrations():
    event = EventFactory(capacity=10)
    return sign_up(event, 1), sign_up(event, 2)  # their confirmations are in the outbox (and sent: committed)


def test_event_emails_move_to_the_outbox_with_their_history_and_their_ids(registrations, request):
    first, second = registrations
    queued = {email.about_id: (email.pk, email.status) for email in OutgoingEmail.objects.all()}

    old = request.getfixturevalue("migrated_back")  # back: the outbox's event emails become EmailDelivery rows
    EmailDelivery = old.get_model("events", "EmailDelivery")
    assert sorted(EmailDelivery.objects.values_list("registration_id", "kind", "status")) == [
        (first.pk, "confirmation", queued[first.pk][1]),
        (second.pk, "confirmation", queued[second.pk][1]),
    ]
    assert not old.get_model("outbox", "OutgoingEmail").objects.exists()
    history = {
        "sent": EmailDelivery.objects.create(
            registration_id=first.pk,
            kind="reminder",
            key="reminder:24h",
            status="sent",
            created_at=WHEN,
            claimed_at=WHEN,
            attempts=1,
            sent_at=WHEN + timedelta(seconds=2),
        ),
        "failed": EmailDelivery.objects.create(
            registration_id=first.pk,
            kind="thank_you",
            key="thank_you",
            status="failed",
            created_at=WHEN,
            attempts=3,
            error="SMTPException: 421 try again later",
        ),
        "sending": EmailDelivery.objects.create(
            registration_id=second.pk,
            kind="event_cancelled",
            key="event_cancelled",
            status="sending",
            created_at=WHEN,
            claimed_at=WHEN + timedelta(minutes=1),
            attempts=1,
        ),
        "skipped": EmailDelivery.objects.create(
            registration_id=second.pk,
            kind="missed_you",
            key="missed_you",
            status="skipped",
            created_at=WHEN,
            error="Demo data: not emailed",
        ),
    }

    migrate(AFTER)
    emails = {email.pk: email for email in OutgoingEmail.objects.all()}
    assert len(emails) == 6
    for registration_id, (pk, status) in queued.items():
        assert (emails[pk].about_id, emails[pk].kind, emails[pk].status) == (
            registration_id,
            "events.confirmation",
            status,
        )
    sent, failed, sending, skipped = (emails[history[name].pk] for name in ("sent", "failed", "sending", "skipped"))
    assert (sent.about, sent.kind, sent.key, sent.status, sent.attempts, sent.created_at, sent.sent_at) == (
        first,
        "events.reminder",
        "reminder:24h",
        "sent",
        1,
        WHEN,
        WHEN + timedelta(seconds=2),
    )
    assert sent.recipients == [first.email]
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 3, "SMTPException: 421 try again later")
    assert (sending.status, sending.claimed_at, sending.about) == ("sending", WHEN + timedelta(minutes=1), second)
    assert (skipped.status, skipped.last_error) == ("skipped", "Demo data: not emailed")
    # Every row is found from its registration again (one per key), and new rows get new ids.
    assert set(first.emails.values_list("key", flat=True)) == {
        emails[queued[first.pk][0]].key,
        "reminder:24h",
        "thank_you",
    }
    new = OutgoingEmail.objects.create(kind="events.confirmation", about=first, key="after-the-move")
    assert new.pk > max(emails)
