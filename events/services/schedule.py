"""The clock's part: statuses by time, reminders, no-shows and follow-ups.

`event_schedule_run` is run every few minutes (`manage.py send_event_emails`, from cron or a
platform scheduler, or the `run_event_schedule` task). Running it twice, or in two places at once,
sends nothing twice: every email it decides on is an outbox row under a fixed key
(reminder:24h, thank_you, ...) that can exist once per registration. It also runs the outbox's
sweep (every email the product sends, not only these), so deployments that schedule only this
command still retry failed sends and take up what a dead worker left.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from events.models import EmailKind, Event, Registration
from events.models.reminders import offset_label
from outbox.services import outbox_sweep

from .emails import emails_queue_for

LONGEST_REMINDER = timedelta(days=60)
FOLLOW_UP_WINDOW = timedelta(days=14)  # an old event that just got a recording sends nothing


def event_schedule_run(now=None) -> dict:
    now = now or timezone.now()
    counts = {"went live": 0, "finished": 0, "reminders": 0, "no-shows": 0, "thank-yous": 0, "missed-yous": 0}
    with transaction.atomic():
        counts["went live"] = Event.objects.filter(
            status=Event.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now
        ).update(status=Event.Status.LIVE)
        counts["finished"] = Event.objects.filter(
            status__in=[Event.Status.SCHEDULED, Event.Status.LIVE], ends_at__lte=now
        ).update(status=Event.Status.FINISHED)

    upcoming = Event.objects.filter(
        status__in=[Event.Status.SCHEDULED, Event.Status.LIVE], starts_at__gt=now, starts_at__lte=now + LONGEST_REMINDER
    )
    for event in upcoming:
        counts["reminders"] += _reminders(event, now)

    delay = timedelta(minutes=settings.EVENTS_FOLLOW_UP_DELAY_MINUTES)
    ended = Event.objects.filter(status=Event.Status.FINISHED, ends_at__lte=now, ends_at__gt=now - FOLLOW_UP_WINDOW)
    for event in ended:
        with transaction.atomic():
            Event.objects.select_for_update().filter(pk=event.pk).values_list("pk", flat=True).first()  # lock order
            no_shows = Registration.objects.filter(
                event=event, status=Registration.Status.APPROVED, checked_in_at__isnull=True
            ).update(status=Registration.Status.NO_SHOW)
            if no_shows:  # their seats were held until the end; the counter stays the seated count
                Event.objects.filter(pk=event.pk).update(seats_taken=Greatest(F("seats_taken") - no_shows, 0))
            counts["no-shows"] += no_shows
            if event.ends_at + delay <= now:
                registrations = Registration.objects.filter(event=event)
                counts["thank-yous"] += len(
                    emails_queue_for(
                        registrations.filter(status=Registration.Status.ATTENDED), EmailKind.THANK_YOU, "thank_you"
                    )
                )
                counts["missed-yous"] += len(
                    emails_queue_for(
                        registrations.filter(status=Registration.Status.NO_SHOW), EmailKind.MISSED_YOU, "missed_you"
                    )
                )
    counts["re-queued"] = outbox_sweep(now)
    return counts


def _reminders(event: Event, now) -> int:
    """The latest reminder that is due; earlier ones the scheduler missed are not sent late."""
    due = [(offset, event.starts_at - offset) for offset in event.reminder_offsets if event.starts_at - offset <= now]
    if not due:
        return 0
    offset, due_at = min(due, key=lambda pair: pair[0])
    # People who registered after the reminder was due have just had their confirmation.
    recipients = Registration.objects.filter(event=event, status=Registration.Status.APPROVED, registered_at__lt=due_at)
    with transaction.atomic():
        return len(emails_queue_for(recipients, EmailKind.REMINDER, f"reminder:{offset_label(offset)}"))
