"""Event emails: written down before they are sent, sent by a background task, each exactly once.

`email_queue` adds an EmailDelivery row in the caller's transaction (so a status change and its
email commit together) and, after commit, enqueues `deliver_event_email`. Delivery claims the row
with one conditional UPDATE (pending -> sending): a second worker, or the same task run twice,
finds nothing to claim. Rows the queue lost are picked up by the scheduler's sweep.

A worker that dies after the mail server accepted a message but before the row says "sent"
leaves it "sending"; the sweep retries such rows after EMAIL_STUCK_AFTER, which is the one case
where a person could get an email twice (documented in docs/events.md).
"""

import logging
import re
import uuid
from datetime import timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape, linebreaks, urlize

from events.calendar import event_ics
from events.models import EmailDelivery, EmailKind, EventEmailTemplate, Registration

logger = logging.getLogger(__name__)

EMAIL_STUCK_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3
TICKET_KINDS = {EmailKind.CONFIRMATION, EmailKind.APPROVED, EmailKind.PROMOTED, EmailKind.REMINDER}
CALENDAR_KINDS = TICKET_KINDS | {EmailKind.CANCELLED, EmailKind.EVENT_CANCELLED}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

DEFAULT_TEMPLATES = {
    EmailKind.CONFIRMATION: (
        "You're registered: {{ event_title }}",
        "Hello {{ first_name }},\n\nyou're registered for {{ event_title }} on {{ event_date }} at {{ event_time }} "
        "({{ time_zone }}).\n\nWhere: {{ where }}\n\nYour ticket (show the QR code at the door): {{ ticket_url }}\n"
        "Add it to your calendar with the attached file.\n\nCan't make it? Cancel here and free your seat for "
        "someone else: {{ cancel_url }}\n\nSee you there!",
    ),
    EmailKind.PENDING: (
        "We've received your registration for {{ event_title }}",
        "Hello {{ first_name }},\n\nthank you for registering for {{ event_title }} on {{ event_date }}. Places are "
        "confirmed by our team: we'll email you again as soon as yours is.\n\nChanged your mind? {{ cancel_url }}",
    ),
    EmailKind.APPROVED: (
        "Your place at {{ event_title }} is confirmed",
        "Hello {{ first_name }},\n\ngood news: your place at {{ event_title }} on {{ event_date }} at "
        "{{ event_time }} ({{ time_zone }}) is confirmed.\n\nWhere: {{ where }}\n\nYour ticket: {{ ticket_url }}\n\n"
        "Can't make it? {{ cancel_url }}",
    ),
    EmailKind.REJECTED: (
        "Your registration for {{ event_title }}",
        "Hello {{ first_name }},\n\nthank you for your interest in {{ event_title }}. Unfortunately we can't offer "
        "you a place this time.\n\n{{ rejection_reason }}\n\nWe hope to see you at one of our next events: "
        "{{ event_url }}",
    ),
    EmailKind.WAITLISTED: (
        "You're on the waitlist for {{ event_title }}",
        "Hello {{ first_name }},\n\n{{ event_title }} is full at the moment, so you're on the waitlist. If a seat "
        "opens up it's yours, in the order people joined, and we'll email you your ticket.\n\n"
        "No longer interested? {{ cancel_url }}",
    ),
    EmailKind.PROMOTED: (
        "A seat opened up: you're in for {{ event_title }}",
        "Hello {{ first_name }},\n\na seat opened up and it's yours: you're registered for {{ event_title }} on "
        "{{ event_date }} at {{ event_time }} ({{ time_zone }}).\n\nWhere: {{ where }}\n\nYour ticket: "
        "{{ ticket_url }}\n\nCan't make it after all? {{ cancel_url }}",
    ),
    EmailKind.CANCELLED: (
        "Your registration for {{ event_title }} is cancelled",
        "Hello {{ first_name }},\n\nyour registration for {{ event_title }} on {{ event_date }} is cancelled. "
        "Changed your mind again? Register here: {{ event_url }}",
    ),
    EmailKind.REMINDER: (
        "Reminder: {{ event_title }} starts {{ starts_in }}",
        "Hello {{ first_name }},\n\na reminder: {{ event_title }} starts {{ starts_in }}, on {{ event_date }} at "
        "{{ event_time }} ({{ time_zone }}).\n\nWhere: {{ where }}\n{{ join_line }}\nYour ticket: {{ ticket_url }}\n\n"
        "Can't make it? Please free your seat: {{ cancel_url }}",
    ),
    EmailKind.THANK_YOU: (
        "Thank you for joining {{ event_title }}",
        "Hello {{ first_name }},\n\nthank you for joining {{ event_title }}.\n\n{{ recording_line }}\n\n"
        "We'd love to see you at the next one: {{ event_url }}",
    ),
    EmailKind.MISSED_YOU: (
        "Sorry we missed you at {{ event_title }}",
        "Hello {{ first_name }},\n\nwe missed you at {{ event_title }}. {{ recording_line }}\n\n"
        "Our next events: {{ event_url }}",
    ),
    EmailKind.EVENT_CANCELLED: (
        "Cancelled: {{ event_title }}",
        "Hello {{ first_name }},\n\nwe're sorry: {{ event_title }}, planned for {{ event_date }}, is cancelled. "
        "The attached file removes it from your calendar.\n\nWe apologise for the inconvenience and hope to "
        "see you at another event: {{ event_url }}",
    ),
}

PLACEHOLDER_HELP = (
    "first_name, name, event_title, event_date, event_time, time_zone, starts_in, where, ticket_url, cancel_url, "
    "event_url, calendar_url, join_line, recording_line, rejection_reason"
)


def template_for(kind: str) -> tuple[str, str, bool]:
    """(subject, body, active): the marketers' wording, else the default."""
    row = EventEmailTemplate.objects.filter(kind=kind).first()
    if row is not None:
        return row.subject, row.body, row.is_active
    subject, body = DEFAULT_TEMPLATES[kind]
    return subject, body, True


def render(text: str, context: dict) -> str:
    """{{ name }} placeholders only: marketers' text is never run as a template language."""
    return PLACEHOLDER.sub(lambda match: str(context.get(match.group(1), "")), text)


# --- Queueing ------------------------------------------------------------------------------
def email_queue(registration: Registration, kind: str, *, key: str = "") -> EmailDelivery | None:
    """Write the email down now (in the caller's transaction); it goes out after commit."""
    delivery = EmailDelivery.objects.create(
        registration=registration, kind=kind, key=key or f"{kind}:{uuid.uuid4().hex[:16]}",
    )
    if _queue_is_the_database():
        # Row and task commit together (one commit fewer per registration); a worker can only see
        # the task once the row is there. The savepoint keeps a failing enqueue from taking the row.
        _enqueue(delivery.pk)
    else:
        transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _queue_is_the_database() -> bool:
    from events.tasks import deliver_event_email

    return type(deliver_event_email.get_backend()).__module__.startswith("django_tasks_db")


def _enqueue(delivery_id: int) -> None:
    from events.tasks import deliver_event_email

    try:
        with transaction.atomic():  # a savepoint inside the caller's transaction: a failure stays here
            deliver_event_email.enqueue(delivery_id)
    except Exception:  # noqa: BLE001 - the row is stored; the scheduler's sweep sends it
        logger.exception("Could not queue event email %s", delivery_id)


def emails_queue_for(registrations, kind: str, key: str) -> list[int]:
    """The same email (one key) for many registrations; those who already have it are skipped.

    Returns the deliveries written now (a second run finds none; a row a concurrent run wrote
    first is theirs to send)."""
    newcomers = list(registrations.exclude(emails__key=key).values_list("pk", flat=True))
    if not newcomers:
        return []
    EmailDelivery.objects.bulk_create([EmailDelivery(registration_id=pk, kind=kind, key=key) for pk in newcomers],
                                      ignore_conflicts=True, batch_size=1000)
    ids = list(EmailDelivery.objects.filter(registration_id__in=newcomers, key=key,
                                            status=EmailDelivery.Status.PENDING).values_list("pk", flat=True))
    transaction.on_commit(lambda: [_enqueue(pk) for pk in ids])
    return ids


def emails_sweep(now=None) -> int:
    """Re-queue what a lost task or a dead worker left behind. Returns how many were re-queued."""
    now = now or timezone.now()
    stuck = EmailDelivery.objects.filter(status=EmailDelivery.Status.SENDING, claimed_at__lt=now - EMAIL_STUCK_AFTER)
    # Out of attempts: failed (not "being sent" for ever), like a send that raised.
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(status=EmailDelivery.Status.FAILED,
                                                    error="The worker stopped while sending it, every attempt.")
    stuck.filter(attempts__lt=MAX_ATTEMPTS).update(status=EmailDelivery.Status.PENDING)
    ids = list(EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING,
                                            created_at__lt=now - timedelta(minutes=1)).values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


# --- Sending -------------------------------------------------------------------------------
def email_deliver(delivery_id: int) -> str:
    """Send one queued email if nobody else has; returns what happened."""
    claimed = EmailDelivery.objects.filter(pk=delivery_id, status=EmailDelivery.Status.PENDING).update(
        status=EmailDelivery.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return "already handled"
    delivery = EmailDelivery.objects.select_related("registration__event").get(pk=delivery_id)
    subject, body, active = template_for(delivery.kind)
    outdated = _no_longer_true(delivery)
    if not active or outdated:
        EmailDelivery.objects.filter(pk=delivery_id).update(status=EmailDelivery.Status.SKIPPED,
                                                            error=outdated or "this email is switched off")
        return "skipped"
    try:
        message_build(delivery, subject, body).send()
    except Exception as error:  # noqa: BLE001 - recorded on the row, retried by the sweep
        logger.exception("Sending event email %s failed", delivery_id)
        failed = delivery.attempts >= MAX_ATTEMPTS
        EmailDelivery.objects.filter(pk=delivery_id).update(
            status=EmailDelivery.Status.FAILED if failed else EmailDelivery.Status.PENDING,
            error=f"{type(error).__name__}: {error}"[:500])
        return "failed"
    EmailDelivery.objects.filter(pk=delivery_id).update(status=EmailDelivery.Status.SENT, sent_at=timezone.now(),
                                                        error="")
    return "sent"


# What must still be true when a queued email is finally sent (a backlog, a retry).
STILL_TRUE = {
    EmailKind.PENDING: lambda r: r.status == Registration.Status.PENDING,
    EmailKind.WAITLISTED: lambda r: r.status == Registration.Status.WAITLISTED,
    **dict.fromkeys(TICKET_KINDS, lambda r: r.holds_seat),
}


def _no_longer_true(delivery: EmailDelivery) -> str:
    """Why a queued email would now be wrong: "" while it still holds. A ticket for someone who has
    since cancelled or been rejected, any of these once the event is cancelled, or a reminder once
    the event has started, is not sent (the row says why)."""
    registration, kind = delivery.registration, delivery.kind
    still_true = STILL_TRUE.get(kind)
    if still_true is None:
        return ""  # news that stays true: rejected, cancelled, thank-you, missed-you, event cancelled
    if not still_true(registration):
        return f"not sent: the registration is now {registration.get_status_display().lower()}"
    if registration.event.status == registration.event.Status.CANCELLED:
        return "not sent: the event is cancelled"
    if kind == EmailKind.REMINDER and registration.event.starts_at <= timezone.now():
        return "not sent: the event had started"
    return ""


def email_context(registration: Registration, kind: str) -> dict:
    from events import links

    event = registration.event
    start = event.local_start
    join = ""
    if event.online_url and registration.holds_seat:
        join = f"Join online: {links.watch_url(registration)}\n"
    recording = f"The recording is here: {event.recording_url}" if event.recording_url else (
        "We'll send you the recording as soon as it's ready." if kind == EmailKind.THANK_YOU else "")
    return {
        "first_name": registration.first_name or "there",
        "name": registration.name,
        "event_title": event.title,
        "event_date": f"{start:%A %d %B %Y}".replace(" 0", " "),
        "event_time": f"{start:%H:%M}",
        "time_zone": event.time_zone,
        "starts_in": _starts_in(event.starts_at),
        "where": event.where or "online",
        "ticket_url": links.ticket_url(registration),
        "cancel_url": links.cancel_url(registration),
        "event_url": links.event_page_url(event),
        "calendar_url": links.calendar_url(event),
        "join_line": join,
        "recording_line": recording,
        "rejection_reason": registration.rejection_reason,
    }


def _starts_in(starts_at) -> str:
    seconds = (starts_at - timezone.now()).total_seconds()
    if seconds <= 0:
        return "now"
    if seconds < 90 * 60:
        return f"in {max(1, round(seconds / 60))} minutes"
    if seconds < 36 * 3600:
        return f"in {round(seconds / 3600)} hours"
    return f"in {round(seconds / 86400)} days"


def message_build(delivery: EmailDelivery, subject: str, body: str) -> EmailMultiAlternatives:
    """Plain text first, an HTML part made from it, the ticket's QR code and a calendar file where useful."""
    from events import links
    from events.tickets import ticket_png

    registration = delivery.registration
    context = email_context(registration, delivery.kind)
    text = render(body, context).strip() + "\n"
    message = EmailMultiAlternatives(
        subject=render(subject, context).replace("\n", " ")[:200], body=text,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[registration.email],
    )
    html = urlize(linebreaks(escape(text)))
    if delivery.kind in TICKET_KINDS and registration.holds_seat:
        image = MIMEImage(ticket_png(links.ticket_url(registration)), "png")
        image.add_header("Content-ID", "<ticket-qr>")
        image.add_header("Content-Disposition", "inline", filename="ticket.png")
        message.attach(image)
        html += '<p><img src="cid:ticket-qr" alt="Your ticket QR code" width="220" height="220"></p>'
    message.attach_alternative(f"<!doctype html><html><body>{html}</body></html>", "text/html")
    if delivery.kind in CALENDAR_KINDS:
        cancelled = delivery.kind in (EmailKind.CANCELLED, EmailKind.EVENT_CANCELLED)
        join = links.watch_url(registration) if registration.event.online_url and not cancelled else ""
        ics = event_ics(registration.event, url=context["event_url"], attendee=registration, cancelled=cancelled,
                        join_url=join)
        message.attach("event.ics", ics, "text/calendar; method=" + ("CANCEL" if cancelled else "PUBLISH"))
    return message
