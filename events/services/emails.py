"""Event emails: their wording, what they say and carry, and when one is no longer true.

They go through the product's outbox (outbox.services): `email_queue` writes the email down in the
caller's transaction (so a status change and its email commit together), and the outbox sends it,
retries it with backoff, never sends it twice once the mail server accepted it, and shows it in the
admin's Outbox. The message itself is built when it is sent, by `event_email_build` (registered for
every kind in EventsConfig.ready): with the marketers' wording of that moment, the QR ticket and the
calendar file, and skipped with its reason when it is no longer true (a ticket for a place given up,
a reminder after the start).

Each email is a row about its registration under a key ("reminder:24h", "thank_you") that can exist
once per registration, so the scheduler run twice, or in two places at once, writes it once.
"""

import re
import uuid
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.html import escape, linebreaks, urlize

from events.calendar import event_ics
from events.models import EmailKind, EventEmailTemplate, Registration
from outbox import kinds
from outbox.models import OutgoingEmail
from outbox.services import outbox_queue, outbox_queue_many

KIND_PREFIX = "events."  # their kinds in the outbox: events.confirmation, events.reminder, ...
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
def outbox_kind(kind: str) -> str:
    return f"{KIND_PREFIX}{kind}"


def email_queue(registration: Registration, kind: str, *, key: str = "") -> OutgoingEmail:
    """Write the email down now (in the caller's transaction); it goes out after commit."""
    return outbox_queue(
        outbox_kind(kind), about=registration, to=[registration.email], key=key or f"{kind}:{uuid.uuid4().hex[:16]}"
    )


def emails_queue_for(registrations, kind: str, key: str) -> list[int]:
    """The same email (one key) for many registrations; those who already have it are skipped.

    Returns the emails written now (a second run finds none; a row a concurrent run wrote first is
    theirs to send)."""
    newcomers = dict(registrations.exclude(emails__key=key).values_list("pk", "email"))
    return outbox_queue_many(
        outbox_kind(kind),
        key=key,
        about_model=Registration,
        recipients={pk: [email] for pk, email in newcomers.items()},
    )


# --- Building, when it is sent ----------------------------------------------------------------
def event_email_build(email: OutgoingEmail) -> EmailMultiAlternatives | str:
    """The outbox's builder for event emails: the message, or why it is not sent any more."""
    kind = email.kind.removeprefix(KIND_PREFIX)
    registration = Registration.objects.select_related("event").filter(pk=email.about_id).first()
    if registration is None:
        return "not sent: the registration no longer exists"
    subject, body, active = template_for(kind)
    reason = _no_longer_true(registration, kind) or ("" if active else "this email is switched off")
    if reason:
        return reason
    return message_build(registration, kind, subject, body)


def register_kinds() -> None:
    """Every event email kind in the outbox's registry (EventsConfig.ready)."""
    for kind in EmailKind:
        kinds.register(outbox_kind(kind.value), f"Event: {kind.label}", build=event_email_build)


# What must still be true when a queued email is finally sent (a backlog, a retry).
STILL_TRUE = {
    EmailKind.PENDING: lambda r: r.status == Registration.Status.PENDING,
    EmailKind.WAITLISTED: lambda r: r.status == Registration.Status.WAITLISTED,
    **dict.fromkeys(TICKET_KINDS, lambda r: r.holds_seat),
}


def _no_longer_true(registration: Registration, kind: str) -> str:
    """Why a queued email would now be wrong: "" while it still holds. A ticket for someone who has
    since cancelled or been rejected, any of these once the event is cancelled, or a reminder once
    the event has started, is not sent (the row says why)."""
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
    recording = (
        f"The recording is here: {event.recording_url}"
        if event.recording_url
        else ("We'll send you the recording as soon as it's ready." if kind == EmailKind.THANK_YOU else "")
    )
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


def message_build(registration: Registration, kind: str, subject: str, body: str) -> EmailMultiAlternatives:
    """Plain text first, an HTML part made from it, the ticket's QR code and a calendar file where useful."""
    from events import links
    from events.tickets import ticket_png

    context = email_context(registration, kind)
    text = render(body, context).strip() + "\n"
    message = EmailMultiAlternatives(
        subject=render(subject, context).replace("\n", " ")[:200],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[registration.email],
    )
    html = urlize(linebreaks(escape(text)))
    if kind in TICKET_KINDS and registration.holds_seat:
        image = MIMEImage(ticket_png(links.ticket_url(registration)), "png")
        image.add_header("Content-ID", "<ticket-qr>")
        image.add_header("Content-Disposition", "inline", filename="ticket.png")
        message.attach(image)
        html += '<p><img src="cid:ticket-qr" alt="Your ticket QR code" width="220" height="220"></p>'
    message.attach_alternative(f"<!doctype html><html><body>{html}</body></html>", "text/html")
    if kind in CALENDAR_KINDS:
        cancelled = kind in (EmailKind.CANCELLED, EmailKind.EVENT_CANCELLED)
        join = links.watch_url(registration) if registration.event.online_url and not cancelled else ""
        ics = event_ics(
            registration.event, url=context["event_url"], attendee=registration, cancelled=cancelled, join_url=join
        )
        message.attach("event.ics", ics, "text/calendar; method=" + ("CANCEL" if cancelled else "PUBLISH"))
    return message
