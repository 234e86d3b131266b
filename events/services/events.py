"""Changes to events themselves: saving from the admin, cancelling, generating landing pages."""

from django.db import transaction
from django.utils import timezone

from events.models import EmailKind, Event, Registration
from events.signals import events_changed, landing_pages_requested

from .emails import emails_queue_for
from .registrations import seats_recount, waitlist_promote


def event_saved(event: Event, *, previous: dict | None = None, user=None) -> None:
    """After the admin saved an event: act on what changed (cancellation, more seats) and tell others."""
    previous = previous or {}
    with transaction.atomic():
        if event.status == Event.Status.CANCELLED and previous.get("status") != Event.Status.CANCELLED:
            event_cancel(event)
        elif event.capacity is None or (previous.get("capacity") or 0) < event.capacity:
            waitlist_promote(event)
        transaction.on_commit(lambda: events_changed.send(sender=Event, event_ids=[event.pk]))


def event_cancel(event: Event) -> int:
    """Cancel the event: everyone still expecting to come is told (once) and their places are released."""
    with transaction.atomic():
        now = timezone.now()
        # updated_at moves the calendar files' SEQUENCE on, so calendars take the cancellation.
        Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED, updated_at=now)
        event.status, event.updated_at = Event.Status.CANCELLED, now
        active = Registration.objects.filter(event=event, status__in=Registration.ACTIVE)
        emails_queue_for(active, EmailKind.EVENT_CANCELLED, "event_cancelled")
        cancelled = active.update(status=Registration.Status.CANCELLED, cancelled_at=now)
        seats_recount(event)
        return cancelled


def landing_pages_generate(events, *, publish: bool = False, user=None) -> list[tuple]:
    """Ask cms (which owns page types) for the events' landing pages. [(event, page, what happened)]"""
    results = []
    for _receiver, response in landing_pages_requested.send(
        sender=Event, events=list(events), publish=publish, user=user
    ):
        results.extend(response or [])
    return results
