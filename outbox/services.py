"""Writes of the outbox: queue an email, deliver it, sweep up what a lost task or a dead worker left.

The guarantees, for every email the product sends:
- Recorded before sending: `outbox_queue` writes the row in the caller's transaction, so a status
  change and its email commit together, or neither does. The delivery task is queued in the same
  transaction when the task queue is the database (one commit; a worker only sees the task once the
  row is there), else after commit.
- Retried: a send that raises keeps its error on the row and waits (1, 2, 4 ... minutes, at most
  OUTBOX_MAX_BACKOFF_MINUTES), until OUTBOX_MAX_ATTEMPTS; then the row is "failed", in the admin's
  Outbox, where "Send again" puts it back. A recipient the server refuses for good (5xx) fails at once.
- Sent once: delivery claims the row with one conditional UPDATE (pending -> sending); a second task
  for the same row, or the same task run twice, finds nothing to claim. Every later write names the
  attempt it belongs to, so a worker that comes back late cannot overwrite a newer attempt.
- Taken up again: `outbox_sweep` (every minute from the worker, and from the events scheduler) puts
  rows stuck "sending" past OUTBOX_SENDING_TIMEOUT_MINUTES (a dead worker) back to pending, and
  queues again due rows whose task has not run OUTBOX_REQUEUE_AFTER_MINUTES after it should have.

The one case where someone can get an email twice: a worker that dies after the mail server
accepted the message and before the row says "sent". The sweep cannot tell that from a send that
never happened, and sending again is the lesser harm than never sending (docs/events.md).
"""

import logging
import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import kinds
from .models import OutgoingEmail

logger = logging.getLogger(__name__)

Status = OutgoingEmail.Status
SWEEP_BATCH = 1000  # rows re-queued per sweep; the next sweep takes the rest
ERROR_LIMIT = 2000


def max_attempts() -> int:
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 10)


def sending_timeout() -> timedelta:
    return timedelta(minutes=getattr(settings, "OUTBOX_SENDING_TIMEOUT_MINUTES", 15))


def requeue_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "OUTBOX_REQUEUE_AFTER_MINUTES", 10))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes, capped."""
    cap = getattr(settings, "OUTBOX_MAX_BACKOFF_MINUTES", 120)
    return timedelta(minutes=min(2 ** (max(attempts, 1) - 1), cap))


# --- Queueing --------------------------------------------------------------------------------
def outbox_queue(
    kind: str,
    *,
    about=None,
    key: str = "",
    to=(),
    subject: str = "",
    text: str = "",
    html: str = "",
    from_email: str = "",
) -> OutgoingEmail:
    """Write one email down now, in the caller's transaction; it is sent once that commits.

    `about`: the object it is about (a model instance). `key`: its name among that object's emails;
    the database refuses a second one (IntegrityError: use a savepoint, or `outbox_queue_many`,
    where a key may exist already). Kinds with a builder (outbox.kinds) need no message here."""
    email = OutgoingEmail.objects.create(
        kind=kind,
        about=about,
        key=key or f"{kind}:{uuid.uuid4().hex[:16]}",
        recipients=list(to),
        subject=subject[:255],
        text=text,
        html=html,
        from_email=from_email or "",
    )
    _hand_to_queue([email.pk])
    return email


def outbox_queue_many(
    kind: str,
    *,
    key: str,
    about_model,
    recipients: dict,
    subject: str = "",
    text: str = "",
    html: str = "",
    from_email: str = "",
) -> list[int]:
    """The same email (one kind, one key) about many objects of one model: {object id: [addresses]}.

    Objects that already have an email under this key are left alone, so running it twice (or in two
    places at once) writes each once. Returns the ids of the emails written now."""
    if not recipients:
        return []
    about_type = ContentType.objects.get_for_model(about_model)
    done = set(
        OutgoingEmail.objects.filter(about_type=about_type, about_id__in=list(recipients), key=key).values_list(
            "about_id", flat=True
        )
    )
    newcomers = [pk for pk in recipients if pk not in done]
    if not newcomers:
        return []
    OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                kind=kind,
                about_type=about_type,
                about_id=pk,
                key=key,
                recipients=list(recipients[pk]),
                subject=subject[:255],
                text=text,
                html=html,
                from_email=from_email or "",
            )
            for pk in newcomers
        ],
        ignore_conflicts=True,
        batch_size=1000,  # a concurrent run may write some first: theirs to send
    )
    # A row a concurrent run wrote meanwhile may be among them: queued twice, it is still claimed once.
    ids = list(
        OutgoingEmail.objects.filter(
            about_type=about_type, about_id__in=newcomers, key=key, status=Status.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    _hand_to_queue(ids)
    return ids


def _queue_is_the_database() -> bool:
    from .tasks import deliver_email

    return type(deliver_email.get_backend()).__module__.startswith("django_tasks_db")


def _hand_to_queue(ids: list[int]) -> None:
    if not ids:
        return
    if _queue_is_the_database():
        _enqueue(ids)  # rows and tasks commit together
    else:
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int], *, run_after=None) -> None:
    """Hand deliveries to the task queue. A queue that fails loses nothing: the rows are marked as
    having no task, and the next sweep queues them."""
    from .tasks import deliver_email

    task = deliver_email.using(run_after=run_after) if run_after is not None else deliver_email
    failed = []
    if _queue_is_the_database():
        try:
            with transaction.atomic():  # a savepoint in the caller's transaction: a failure stays here
                for pk in ids:
                    task.enqueue(pk)
        except Exception:  # the rows are stored; the sweep queues them
            logger.exception("Could not queue the delivery of outgoing emails %s", ids[:20])
            failed = ids
    else:
        # Each on its own: an immediate backend sends right here, and one send must never share a
        # transaction with another's "sent" (a rollback would send that one twice).
        for pk in ids:
            try:
                task.enqueue(pk)
            except Exception:  # the row is stored; the sweep queues it
                logger.exception("Could not queue the delivery of outgoing email %s", pk)
                failed.append(pk)
    if failed:
        OutgoingEmail.objects.filter(pk__in=failed, status=Status.PENDING).update(queued_at=None)


# --- Delivering ------------------------------------------------------------------------------
def outbox_deliver(email_id: int, *, now=None) -> str:
    """Send one email if it is due and nobody else has. Returns what happened: "sent", "skipped",
    "will retry", "failed", "not claimed" (already handled, being sent, or not due yet) or
    "superseded" (this attempt outlived OUTBOX_SENDING_TIMEOUT_MINUTES and another took over)."""
    now = now or timezone.now()
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not claimed"
    email = OutgoingEmail.objects.get(pk=email_id)
    # This attempt's row: a write that finds it changed (a sweep gave it to another worker) does nothing.
    mine = OutgoingEmail.objects.filter(pk=email_id, status=Status.SENDING, attempts=email.attempts)
    try:
        message = message_for(email)
        if isinstance(message, str):
            mine.update(status=Status.SKIPPED, last_error=message[:ERROR_LIMIT])
            return "skipped"
        message.send()
    except Exception as error:  # kept on the row and retried
        logger.warning("Sending outgoing email %s (%s) failed: %s", email_id, email.kind, error, exc_info=True)
        return _attempt_failed(email, mine, error, now)
    mine.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        recipients=list(message.recipients()),
        subject=str(message.subject)[:255],
        from_email=str(message.from_email or "")[:254],
    )
    return "sent"


def message_for(email: OutgoingEmail) -> EmailMessage | str:
    """The message to send: its kind's builder's, or the one stored on the row. A string: why not."""
    kind = kinds.get(email.kind)
    if kind is not None and kind.build is not None:
        return kind.build(email)
    if not email.recipients:
        # A builder's kind whose app is not installed here (a deploy in progress): try again later.
        raise LookupError(f"no builder is registered for {email.kind!r} and the row holds no message")
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, from_email=email.from_email or None, to=list(email.recipients)
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def refused_for_good(error: Exception) -> bool:
    """Every recipient refused with a permanent (5xx) reply, e.g. 550 no such mailbox: retrying changes
    nothing. Anything else (4xx, a connection refused, a timeout, a login failure) may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [reply[0] for reply in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


def _attempt_failed(email: OutgoingEmail, mine, error: Exception, now) -> str:
    text = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    if refused_for_good(error) or email.attempts >= max_attempts():
        return "failed" if mine.update(status=Status.FAILED, last_error=text) else "superseded"
    from .tasks import deliver_email

    when = now + backoff(email.attempts)
    can_defer = deliver_email.get_backend().supports_defer
    with transaction.atomic():
        # Without deferred tasks (the immediate backend) nothing is queued: the sweep sends it when due.
        retrying = mine.update(
            status=Status.PENDING, next_attempt_at=when, queued_at=when if can_defer else None, last_error=text
        )
        if retrying and can_defer:
            _enqueue([email.pk], run_after=when)
    # Not retrying: the sweep had given up on this worker and handed the email on (its outcome stands).
    return "will retry" if retrying else "superseded"


# --- Sweeping and sending again ---------------------------------------------------------------
def outbox_sweep(now=None) -> int:
    """Take up what nobody is working on; returns how many emails were queued again.

    Idempotent and cheap when there is nothing to do (three indexed statements): run it every minute."""
    now = now or timezone.now()
    stuck = OutgoingEmail.objects.filter(status=Status.SENDING, claimed_at__lt=now - sending_timeout())
    # Out of attempts: failed (not "being sent" for ever), like a send that raised.
    stuck.filter(attempts__gte=max_attempts()).update(
        status=Status.FAILED, last_error="The worker sending it stopped, on every attempt."
    )
    stuck.update(
        status=Status.PENDING,
        next_attempt_at=now,
        queued_at=None,
        last_error="The worker sending it stopped before it was recorded as sent; sending it again.",
    )
    lost = Q(queued_at__isnull=True) | Q(queued_at__lte=now - requeue_after())
    ids = list(
        OutgoingEmail.objects.filter(lost, status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if ids:
        with transaction.atomic():
            OutgoingEmail.objects.filter(pk__in=ids).update(queued_at=now)
            _hand_to_queue(ids)
    return len(ids)


def outbox_send_again(email_id: int, *, now=None) -> bool:
    """A failed email back in the queue, with its attempts counted afresh (the last error stays until
    it is sent). False when it is not failed (sent meanwhile, or already sent again)."""
    now = now or timezone.now()
    with transaction.atomic():
        again = OutgoingEmail.objects.filter(pk=email_id, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, queued_at=now, claimed_at=None
        )
        if again:
            _hand_to_queue([email_id])
    return bool(again)
