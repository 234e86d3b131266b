"""Event emails: their parts (text, HTML, QR code, calendar file), marketers' wording, exactly-once
delivery, and the schedule (reminders, no-shows, follow-ups, statuses, the sweep)."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time
from icalendar import Calendar

from events import links
from events.models import EmailKind, Event, EventEmailTemplate, Registration
from events.models.reminders import offset_label
from events.services import (
    email_queue,
    event_cancel,
    event_schedule_run,
    registration_approve,
    registration_cancel,
    registration_check_in,
    registration_reject,
)
from outbox.models import OutgoingEmail
from outbox.services import outbox_deliver
from tests.factories import EventFactory, WebinarFactory

from .conftest import committed, fresh, mails_to, sign_up

pytestmark = pytest.mark.django_db

TITLE = "RevOps Meetup Berlin"
SUBJECTS = {
    EmailKind.CONFIRMATION: f"You're registered: {TITLE}",
    EmailKind.PENDING: f"We've received your registration for {TITLE}",
    EmailKind.APPROVED: f"Your place at {TITLE} is confirmed",
    EmailKind.REJECTED: f"Your registration for {TITLE}",
    EmailKind.WAITLISTED: f"You're on the waitlist for {TITLE}",
    EmailKind.PROMOTED: f"A seat opened up: you're in for {TITLE}",
    EmailKind.CANCELLED: f"Your registration for {TITLE} is cancelled",
    EmailKind.REMINDER: f"Reminder: {TITLE} starts in 10 days",
    EmailKind.THANK_YOU: f"Thank you for joining {TITLE}",
    EmailKind.MISSED_YOU: f"Sorry we missed you at {TITLE}",
    EmailKind.EVENT_CANCELLED: f"Cancelled: {TITLE}",
}
# 18:00 in Berlin (winter time) on a Tuesday; the event lasts three hours.
START = datetime(2030, 3, 12, 17, 0, tzinfo=UTC)
END = START + timedelta(hours=3)
# The delivery keys of the default reminders (docs call the first "reminder:24h"; the code labels it "1d").
DAY_BEFORE, HOUR_BEFORE = (f"reminder:{offset_label(timedelta(hours=h))}" for h in (24, 1))


def mime_parts(message):
    return list(message.message().walk())


def part_types(message):
    return [part.get_content_type() for part in mime_parts(message)]


def calendar_of(message) -> Calendar:
    [part] = [p for p in mime_parts(message) if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def sent_keys(registration, prefix=""):
    return sorted(
        OutgoingEmail.objects.filter(registration=registration, status="sent", key__startswith=prefix).values_list(
            "key", flat=True
        )
    )


def keys_like(prefix):
    return OutgoingEmail.objects.filter(key__startswith=prefix)


# --- What each email is made of -----------------------------------------------------------------
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_kind_has_a_text_and_an_html_part(kind):
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1, first_name="Ana")
    # In the state the email is about (a queued email that no longer holds is skipped: tested below).
    fitting = {EmailKind.PENDING: Registration.Status.PENDING, EmailKind.WAITLISTED: Registration.Status.WAITLISTED}
    if kind in fitting:
        Registration.objects.filter(pk=registration.pk).update(status=fitting[kind])
        registration.refresh_from_db()
    mail.outbox.clear()
    with committed():
        delivery = email_queue(registration, kind)
    [message] = mail.outbox
    assert message.subject == SUBJECTS[kind]
    assert message.to == [registration.email]
    assert message.body.startswith("Hello Ana,")
    assert "{{" not in message.body and "}}" not in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert html.startswith("<!doctype html>") and "<p>Hello Ana,</p>" in html
    assert "text/plain" in part_types(message) and "text/html" in part_types(message)
    assert fresh(delivery).status == OutgoingEmail.Status.SENT and fresh(delivery).sent_at is not None
    assert (delivery.subject, delivery.recipients) == (SUBJECTS[kind], [registration.email])  # what was sent


def test_the_confirmation_carries_the_qr_code_and_a_calendar_file():
    event = EventFactory(title=TITLE, capacity=10)
    with committed():
        registration = sign_up(event, 1, first_name="Ana", last_name="Silva")
    [message] = mail.outbox
    [image] = [part for part in mime_parts(message) if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<ticket-qr>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert 'src="cid:ticket-qr"' in message.alternatives[0][0]
    assert links.ticket_url(registration) in message.body and links.cancel_url(registration) in message.body

    [ics] = [part for part in mime_parts(message) if part.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "PUBLISH"
    assert ics.get_filename() == "event.ics"
    calendar = calendar_of(message)
    assert str(calendar["method"]) == "PUBLISH"
    [item] = calendar.walk("VEVENT")
    assert str(item["summary"]) == TITLE
    assert item.decoded("dtstart") == event.starts_at
    assert str(item["attendee"]) == f"mailto:{registration.email}"
    assert str(item["status"]) == "CONFIRMED"


@pytest.mark.parametrize("kind", [EmailKind.WAITLISTED, EmailKind.PENDING, EmailKind.REJECTED])
def test_emails_without_a_seat_carry_no_ticket(kind):
    event = EventFactory(title=TITLE, capacity=1, requires_approval=kind != EmailKind.WAITLISTED)
    if kind == EmailKind.WAITLISTED:
        sign_up(event, 0)
    with committed():
        registration = sign_up(event, 1)
        if kind == EmailKind.REJECTED:
            registration_reject(registration, reason="Sorry")
    message = mails_to(registration.email)[-1]
    assert message.subject == SUBJECTS[kind]
    assert "image/png" not in part_types(message) and "text/calendar" not in part_types(message)
    assert "cid:ticket-qr" not in message.alternatives[0][0]
    assert links.ticket_url(registration) not in message.body


def test_a_ticket_email_for_a_place_given_up_before_it_went_out_has_no_qr_code():
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1)  # the confirmation is queued, not sent yet
    registration_cancel(registration)
    delivery = OutgoingEmail.objects.get(registration=registration, kind="events.confirmation")
    # The ticket would be for a place they no longer have: not sent at all (the row says why).
    assert outbox_deliver(delivery.pk) == "skipped"
    assert not [m for m in mail.outbox if m.subject == SUBJECTS[EmailKind.CONFIRMATION]]


@pytest.mark.parametrize("how", ["registration cancelled", "event cancelled"])
def test_cancellation_emails_remove_the_event_from_calendars(how):
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1)
    mail.outbox.clear()
    with committed():
        if how == "registration cancelled":
            registration_cancel(registration)
        else:
            event_cancel(event)
    [message] = mail.outbox
    assert (
        message.subject
        == SUBJECTS[EmailKind.CANCELLED if how == "registration cancelled" else EmailKind.EVENT_CANCELLED]
    )
    [ics] = [part for part in mime_parts(message) if part.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "CANCEL"
    calendar = calendar_of(message)
    assert str(calendar["method"]) == "CANCEL"
    [item] = calendar.walk("VEVENT")
    assert str(item["status"]) == "CANCELLED"
    assert str(item["uid"]) == f"event-{event.pk}@testserver"
    assert "image/png" not in part_types(message)


def test_a_webinar_reminder_carries_the_join_link():
    webinar = WebinarFactory(title="Pipeline webinar", capacity=None)
    registration = sign_up(webinar, 1)
    mail.outbox.clear()
    with committed():
        email_queue(registration, EmailKind.REMINDER)
    [message] = mail.outbox
    assert f"Join online: {links.watch_url(registration)}" in message.body
    assert webinar.online_url not in message.body  # the stream itself stays behind the watch page
    [item] = calendar_of(message).walk("VEVENT")
    assert links.watch_url(registration) in str(item["description"])


# --- Marketers' wording ---------------------------------------------------------------------------
def wording(kind, subject, body, active=True):
    EventEmailTemplate.objects.update_or_create(
        kind=kind, defaults={"subject": subject, "body": body, "is_active": active}
    )


def test_edited_wording_is_used_with_placeholders():
    wording(
        EmailKind.CONFIRMATION,
        "See you soon, {{ first_name }}!",
        "Hi {{first_name}} {{ name }},\n{{ event_title }} on {{ event_date }} at {{ event_time }}.\n"
        "Ticket: {{ ticket_url }}\n{{ no_such_placeholder }}|",
    )
    event = EventFactory(title=TITLE, starts_at=START, ends_at=END, capacity=10)
    with freeze_time(START - timedelta(days=3)), committed():
        registration = sign_up(event, 1, first_name="Ana", last_name="Silva")
    [message] = mail.outbox
    assert message.subject == "See you soon, Ana!"
    assert message.body == (
        f"Hi Ana Ana Silva,\n{TITLE} on Tuesday 12 March 2030 at 18:00.\nTicket: {links.ticket_url(registration)}\n|\n"
    )
    assert "See you soon" not in message.alternatives[0][0]
    assert "Hi Ana Ana Silva" in message.alternatives[0][0]


def test_a_switched_off_email_is_skipped():
    wording(EmailKind.CONFIRMATION, "x", "y", active=False)
    event = EventFactory(capacity=10)
    with committed():
        registration = sign_up(event, 1)
    delivery = OutgoingEmail.objects.get(registration=registration)
    assert (delivery.status, delivery.last_error) == (OutgoingEmail.Status.SKIPPED, "this email is switched off")
    assert mail.outbox == []
    assert outbox_deliver(delivery.pk) == "not claimed"
    assert mail.outbox == []


def test_placeholders_cannot_run_template_code(settings):
    wording(
        EmailKind.CONFIRMATION,
        "{{ settings.SECRET_KEY }} {% now 'Y' %}",
        "{% load static %}{{ settings.SECRET_KEY }}{{ request }}{% debug %}{{ FIRST_NAME }} {{ first_name }}",
    )
    event = EventFactory(capacity=10)
    with committed():
        sign_up(event, 1, first_name="{{ cancel_url }}<script>alert(1)</script>")
    [message] = mail.outbox
    assert settings.SECRET_KEY not in message.subject + message.body + message.alternatives[0][0]
    assert message.subject == "{{ settings.SECRET_KEY }} {% now 'Y' %}"
    # Only {{ lower_case }} names are placeholders, and what they insert is never rendered again.
    assert message.body == (
        "{% load static %}{{ settings.SECRET_KEY }}{% debug %}{{ FIRST_NAME }} "
        "{{ cancel_url }}<script>alert(1)</script>\n"
    )
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Exactly once ---------------------------------------------------------------------------------
def test_delivering_the_same_email_twice_sends_it_once():
    event = EventFactory(capacity=10)
    registration = sign_up(event, 1)  # not committed: queued, not sent
    delivery = OutgoingEmail.objects.get(registration=registration)
    assert (delivery.status, delivery.kind, delivery.recipients) == (
        OutgoingEmail.Status.PENDING,
        "events.confirmation",
        [registration.email],
    )
    assert outbox_deliver(delivery.pk) == "sent"
    assert outbox_deliver(delivery.pk) == "not claimed"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (OutgoingEmail.Status.SENT, 1)
    assert outbox_deliver(987654) == "not claimed"


def test_a_delivery_task_queued_before_the_outbox_still_sends_its_email_once():
    """The database queue may still hold events.tasks.deliver_event_email(id): the rows kept their ids."""
    from events.tasks import deliver_event_email

    event = EventFactory(capacity=10)
    registration = sign_up(event, 1)
    delivery = OutgoingEmail.objects.get(registration=registration)
    assert deliver_event_email.enqueue(delivery.pk).return_value == "sent"
    assert deliver_event_email.enqueue(delivery.pk).return_value == "not claimed"
    assert [m.to for m in mail.outbox] == [[registration.email]]


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    event = EventFactory(capacity=10)
    registration = sign_up(event, 1)
    delivery = OutgoingEmail.objects.get(registration=registration)

    def refuse(self, *args, **kwargs):
        raise SMTPException("421 try again later")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    now = timezone.now()
    assert outbox_deliver(delivery.pk, now=now) == "will retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (OutgoingEmail.Status.PENDING, 1)
    assert "421 try again later" in delivery.last_error and delivery.next_attempt_at == now + timedelta(minutes=1)
    # The scheduler's sweep (the outbox's) retries what is due: after 1 minute, then 2.
    assert run_at(now + timedelta(seconds=30))["re-queued"] == 0
    assert run_at(now + timedelta(minutes=1))["re-queued"] == 1
    assert fresh(delivery).attempts == 2
    assert run_at(now + timedelta(minutes=3))["re-queued"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (OutgoingEmail.Status.FAILED, 3)
    monkeypatch.undo()
    assert run_at(now + timedelta(hours=5))["re-queued"] == 0
    assert mail.outbox == []


def test_an_email_left_sending_by_a_dead_worker_is_sent_by_the_sweep(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    event = EventFactory(title=TITLE, capacity=10)
    crashed, busy, hopeless = sign_up(event, 1), sign_up(event, 2), sign_up(event, 3)
    now = timezone.now()
    for registration, minutes_ago, attempts in ((crashed, 20, 1), (busy, 5, 1), (hopeless, 20, 3)):
        OutgoingEmail.objects.filter(registration=registration).update(
            status=OutgoingEmail.Status.SENDING,
            created_at=now - timedelta(minutes=minutes_ago + 1),
            claimed_at=now - timedelta(minutes=minutes_ago),
            attempts=attempts,
        )

    counts = run_at(now)
    assert counts["re-queued"] == 1
    assert [m.to for m in mail.outbox] == [[crashed.email]]
    assert mail.outbox[0].subject == SUBJECTS[EmailKind.CONFIRMATION]
    rows = {r.about_id: r for r in OutgoingEmail.objects.all()}
    assert (rows[crashed.pk].status, rows[crashed.pk].attempts) == ("sent", 2)
    assert rows[busy.pk].status == "sending"  # still within its worker's time
    assert rows[hopeless.pk].status == "failed"  # out of attempts: not "being sent" for ever
    assert run_at(now + timedelta(minutes=1))["re-queued"] == 0
    assert len(mail.outbox) == 1


def test_reminders_reach_the_mail_server_once_per_person_however_often_the_scheduler_runs(mail_server):
    """Through a real SMTP server: what it receives, not what a test backend kept."""
    event = EventFactory(title=TITLE, starts_at=START, ends_at=END, capacity=None, reminders="24h")
    with freeze_time(START - timedelta(days=3)), committed():
        people = [sign_up(event, n) for n in range(3)]
    assert len(mail_server.messages) == 3  # the confirmations
    run_at(START - timedelta(hours=23), times=3)
    reminders = [m for m in mail_server.messages if m.subject.startswith("Reminder:")]
    assert sorted(r for m in reminders for r in m.rcpt_tos) == sorted(p.email for p in people)
    assert all("image/png" in m.parts() and "text/calendar" in m.parts() for m in reminders)
    assert keys_like(DAY_BEFORE).filter(status="sent").count() == 3


# --- The schedule: reminders --------------------------------------------------------------------
@pytest.fixture
def reminded_event():
    """capacity 2, approval required: two approved, one waitlisted, one pending; registered 10 days before."""
    event = EventFactory(
        title=TITLE, starts_at=START, ends_at=END, capacity=2, requires_approval=True, reminders="24h, 1h"
    )
    with freeze_time(START - timedelta(days=10)), committed():
        people = [sign_up(event, n) for n in range(4)]
        for person in people[:3]:
            registration_approve(person)
    assert [fresh(p).status for p in people] == ["approved", "approved", "waitlisted", "pending"]
    return event, people


def run_at(moment, times=1):
    """The scheduler at this moment (each run commits, as in production); the last run's counts."""
    counts = None
    with freeze_time(moment):
        for _ in range(times):
            with committed():
                counts = event_schedule_run()
    return counts


def test_the_24h_reminder_goes_once_to_approved_people(reminded_event):
    event, people = reminded_event
    mail.outbox.clear()
    first = run_at(START - timedelta(hours=23))
    second = run_at(START - timedelta(hours=23) + timedelta(minutes=5))
    assert (first["reminders"], second["reminders"]) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[:2])
    assert {m.subject for m in mail.outbox} == {f"Reminder: {TITLE} starts in 23 hours"}
    assert all("image/png" in part_types(m) for m in mail.outbox)  # the ticket again
    assert [sent_keys(p, "reminder:") for p in people[:2]] == [[DAY_BEFORE]] * 2
    assert keys_like("reminder:").filter(registration__in=people[2:]).count() == 0

    mail.outbox.clear()
    run_at(START - timedelta(minutes=50), times=2)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people[:2])
    assert {m.subject for m in mail.outbox} == {f"Reminder: {TITLE} starts in 50 minutes"}
    assert [sent_keys(p, "reminder:") for p in people[:2]] == [sorted([DAY_BEFORE, HOUR_BEFORE])] * 2

    mail.outbox.clear()
    run_at(START - timedelta(minutes=10))
    assert mail.outbox == []


def test_nothing_is_due_before_the_first_reminder(reminded_event):
    mail.outbox.clear()
    counts = run_at(START - timedelta(hours=25))
    assert counts["reminders"] == 0 and mail.outbox == []


def test_a_scheduler_that_was_down_sends_only_the_latest_reminder(reminded_event):
    event, people = reminded_event
    mail.outbox.clear()
    run_at(START - timedelta(minutes=30), times=2)
    assert len(mail.outbox) == 2
    assert keys_like(DAY_BEFORE).count() == 0
    assert keys_like(HOUR_BEFORE).count() == 2


def test_people_who_registered_after_a_reminder_was_due_do_not_get_it():
    event = EventFactory(title=TITLE, starts_at=START, ends_at=END, capacity=None, reminders="24h, 1h")
    with freeze_time(START - timedelta(days=10)):
        early = sign_up(event, 1)
    run_at(START - timedelta(hours=23))
    with freeze_time(START - timedelta(hours=12)):
        midway = sign_up(event, 2)
    run_at(START - timedelta(hours=11))
    with freeze_time(START - timedelta(minutes=55)):
        late = sign_up(event, 3)
    run_at(START - timedelta(minutes=50), times=2)
    assert keys_like("reminder:").filter(registration=early).count() == 2
    assert list(keys_like("reminder:").filter(registration=midway).values_list("key", flat=True)) == [HOUR_BEFORE]
    assert keys_like("reminder:").filter(registration=late).count() == 0


def test_an_event_without_reminders_sends_none():
    event = EventFactory(starts_at=START, ends_at=END, reminders="")
    with freeze_time(START - timedelta(days=3)):
        sign_up(event, 1)
    assert run_at(START - timedelta(minutes=30))["reminders"] == 0
    assert keys_like("reminder:").count() == 0


def test_cancelled_people_and_events_get_no_reminders():
    kept = EventFactory(starts_at=START, ends_at=END, capacity=None)
    dropped = EventFactory(starts_at=START, ends_at=END, capacity=None)
    with freeze_time(START - timedelta(days=3)):
        leaving, staying = sign_up(kept, 1), sign_up(kept, 2)
        registration_cancel(leaving)
        sign_up(dropped, 3)
        event_cancel(dropped)
    run_at(START - timedelta(minutes=30))
    assert list(keys_like("reminder:").values_list("registration", flat=True)) == [staying.pk]


# --- The schedule: statuses, no-shows and follow-ups ------------------------------------------------
def test_statuses_move_on_with_the_clock():
    event = EventFactory(starts_at=START, ends_at=END)
    assert run_at(START - timedelta(minutes=1))["went live"] == 0
    assert fresh(event).status == Event.Status.SCHEDULED
    counts = run_at(START + timedelta(minutes=1), times=2)
    assert (counts["went live"], fresh(event).status) == (0, Event.Status.LIVE)  # the second run: nothing left
    assert run_at(END + timedelta(minutes=1))["finished"] == 1
    assert fresh(event).status == Event.Status.FINISHED


def test_a_missed_live_phase_goes_straight_to_finished_and_drafts_stay_drafts():
    event = EventFactory(starts_at=START, ends_at=END)
    draft = EventFactory(starts_at=START, ends_at=END, status=Event.Status.DRAFT)
    cancelled = EventFactory(starts_at=START, ends_at=END, status=Event.Status.CANCELLED)
    assert run_at(END + timedelta(hours=1))["finished"] == 1
    assert [fresh(e).status for e in (event, draft, cancelled)] == ["finished", "draft", "cancelled"]


def test_no_shows_and_follow_ups_after_the_event(settings):
    settings.EVENTS_FOLLOW_UP_DELAY_MINUTES = 60
    event = EventFactory(
        title=TITLE, starts_at=START, ends_at=END, capacity=2, recording_url="https://video.example.com/revops-berlin"
    )
    with freeze_time(START - timedelta(days=5)), committed():
        came, missed, waiting, gone = (sign_up(event, n) for n in range(4))
        registration_cancel(gone)
    with freeze_time(START + timedelta(minutes=5)):
        registration_check_in(came)
    assert [fresh(r).status for r in (came, missed, waiting, gone)] == [
        "attended",
        "approved",
        "waitlisted",
        "cancelled",
    ]
    mail.outbox.clear()

    counts = run_at(END + timedelta(minutes=10))
    assert counts["no-shows"] == 1 and counts["thank-yous"] == 0
    assert [fresh(r).status for r in (came, missed, waiting, gone)] == [
        "attended",
        "no_show",
        "waitlisted",
        "cancelled",
    ]
    assert mail.outbox == []  # the follow-ups wait for the delay

    counts = run_at(END + timedelta(minutes=61), times=2)
    assert (counts["thank-yous"], counts["missed-yous"]) == (0, 0)  # the second run finds them sent
    [thanks] = mails_to(came.email)
    assert thanks.subject == f"Thank you for joining {TITLE}"
    assert "The recording is here: https://video.example.com/revops-berlin" in thanks.body
    [sorry] = mails_to(missed.email)
    assert sorry.subject == f"Sorry we missed you at {TITLE}"
    assert "https://video.example.com/revops-berlin" in sorry.body
    assert mails_to(waiting.email) == [] and mails_to(gone.email) == []
    assert len(mail.outbox) == 2
    assert "thank_you" in sent_keys(came) and "missed_you" in sent_keys(missed)
    run_at(END + timedelta(days=2))
    assert len(mail.outbox) == 2


def test_thank_you_without_a_recording_promises_one(settings):
    settings.EVENTS_FOLLOW_UP_DELAY_MINUTES = 60
    event = EventFactory(title=TITLE, starts_at=START, ends_at=END, recording_url="")
    with freeze_time(START - timedelta(days=1)), committed():
        registration = sign_up(event, 1)
    with freeze_time(START + timedelta(minutes=1)):
        registration_check_in(registration)
    mail.outbox.clear()
    counts = run_at(END + timedelta(hours=2))
    assert counts["thank-yous"] == 1
    [thanks] = mail.outbox
    assert "We'll send you the recording as soon as it's ready." in thanks.body


def test_old_events_send_no_follow_ups():
    event = EventFactory(starts_at=START, ends_at=END, recording_url="https://video.example.com/x")
    with freeze_time(START - timedelta(days=1)), committed():
        sign_up(event, 1)
    mail.outbox.clear()
    run_at(END + timedelta(days=30))
    assert fresh(event).status == Event.Status.FINISHED
    assert mail.outbox == []


def test_the_management_command_runs_the_schedule_and_prints_counts():
    event = EventFactory(title=TITLE, starts_at=START, ends_at=END, capacity=None)
    with freeze_time(START - timedelta(days=3)), committed():
        sign_up(event, 1)
        sign_up(event, 2)
    mail.outbox.clear()
    out = StringIO()
    with freeze_time(START - timedelta(hours=23)), committed():
        call_command("send_event_emails", stdout=out)
    assert out.getvalue().strip() == (
        "went live: 0, finished: 0, reminders: 2, no-shows: 0, thank-yous: 0, missed-yous: 0, re-queued: 0"
    )
    assert len(mail.outbox) == 2
    out = StringIO()
    with freeze_time(START - timedelta(hours=22)), committed():
        call_command("send_event_emails", stdout=out)
    assert "reminders: 0" in out.getvalue()
    assert len(mail.outbox) == 2


# --- A queued email that no longer holds is not sent ------------------------------------------------
def test_a_queued_ticket_is_not_sent_after_the_registration_was_cancelled():
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1, first_name="Ana")
    delivery = email_queue(registration, EmailKind.CONFIRMATION, key="late")
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    mail.outbox.clear()
    assert outbox_deliver(delivery.pk) == "skipped"
    assert mail.outbox == []
    assert fresh(delivery).status == OutgoingEmail.Status.SKIPPED and "cancelled" in fresh(delivery).last_error


def test_a_queued_reminder_is_not_sent_once_the_event_has_started():
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1, first_name="Ana")
    delivery = email_queue(registration, EmailKind.REMINDER, key="reminder:1h")
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    mail.outbox.clear()
    assert outbox_deliver(delivery.pk) == "skipped"
    assert mail.outbox == [] and "started" in fresh(delivery).last_error


def test_a_queued_waitlist_email_is_not_sent_after_a_promotion_but_news_of_a_rejection_is():
    event = EventFactory(title=TITLE, capacity=10)
    registration = sign_up(event, 1, first_name="Ana")
    waitlisted = email_queue(registration, EmailKind.WAITLISTED, key="w")
    rejected = email_queue(registration, EmailKind.REJECTED, key="r")
    mail.outbox.clear()
    assert outbox_deliver(waitlisted.pk) == "skipped"  # they hold a seat now
    assert outbox_deliver(rejected.pk) == "sent"
    assert len(mail.outbox) == 1
