"""The demo's events: reusable speakers, upcoming and past events of every type with their landing
pages, and registrations in every status, so a newcomer sees the events app working at once.

- Upcoming: a webinar, a Berlin meetup that needs approval, a small workshop that is full (with a
  waitlist), a one-day conference with two tracks, and a roundtable that was cancelled.
- Past: last month's webinar (with its recording) and a meetup two months ago, with attendees and
  no-shows.

Dates are relative to the moment of loading, so a fresh load always has upcoming events.

This module decides which events are made and loads them; the speakers are in cms.demo.event_speakers
and the events themselves (text, venue, sessions) in cms.demo.event_programme.

Registrations (cms.demo.event_registrations) go through the events services (seats, waitlist,
approval, check-in, email rows) and the lead store's capture pipeline, by demo people already in the
lead store (cms.demo.leads), so their timelines show event registrations and attendance. Past moments
(when someone registered, was approved, checked in) are then set back to when they happened in the
story.

Loaded like the rest of the demo: a speaker is created only when no speaker has its name, an event
only when no event has its title (so a second run changes nothing, and an old demo database gets
the events it lacks), and registrations only for an event created in this run. A lead store
without the demo's people (DemoLeadLoader adds none to a store that has people) gets no demo
registrants: the events and their pages are created without registrations.
"""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from wagtail.images import get_image_model

from cms.demo.event_programme import DemoEventProgramme
from cms.demo.event_registrations import DemoRegistrations
from cms.demo.event_speakers import DemoSpeakers
from cms.event_pages import event_pages_sync
from events.models import Event, Registration
from events.signals import events_changed
from leads.services import people_rescore
from outbox.models import OutgoingEmail

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
NOT_EMAILED = "Demo data: not emailed"


@dataclass
class DemoEvent:
    """How to find the demo event (its title, or a pattern for a title with a year) and how to make it."""

    title: str
    build: Callable[..., Event]  # (loader) -> the event, saved with its speakers, topics and sessions
    register: Callable[..., None]  # (loader, event): its registrations and what happened to them
    title_pattern: str = ""

    def exists(self) -> bool:
        lookup = {"title__regex": self.title_pattern} if self.title_pattern else {"title": self.title}
        return Event.objects.filter(**lookup).exists()


class DemoEventLoader(DemoSpeakers, DemoEventProgramme, DemoRegistrations):
    """Loads the demo's events: speakers (DemoSpeakers), the events themselves (DemoEventProgramme) and
    their registrations (DemoRegistrations), with the clock both halves share (see time)."""

    def __init__(self, report, *, staff_username: str = "admin"):
        self.report = report
        self.staff_username = staff_username
        self.Image = get_image_model()

    # --- entry point ---
    def load(self):
        # The services queue an email for every registration, decision and check-in. Demo people's
        # addresses are fictional, and loading the demo must not print a hundred emails to the
        # console (dev) or hand them to a mail server (a database task queue sends them later,
        # outside this block). So: the services run with the in-memory email backend, and before
        # this transaction commits the demo's email rows are marked skipped ("Demo data: not
        # emailed"), which leaves every delivery task, now or later, nothing to send. The rows stay,
        # with their kinds and dates, as the registrations' email history.
        with override_settings(EMAIL_BACKEND=LOCMEM_EMAIL), transaction.atomic():
            self.now = self.started = timezone.now()
            self.speakers = self.speakers_load()
            missing = [spec for spec in self.specs() if not spec.exists()]
            if not missing:
                return
            events = []
            for spec in missing:
                event = spec.build(self)
                events.append((spec, event))
                self.report.add(f"event {event.title}")
            event_pages_sync([event for _, event in events], publish=True)
            self.pool = self.demo_people()
            self.users = self.demo_users()
            self.attendees = set()
            for spec, event in events:
                spec.register(self, event)
            if self.attendees:
                people_rescore(self.attendees)  # their attendance was moved back to the event's date
            OutgoingEmail.objects.filter(
                registration__event__in=[event for _, event in events],
                status=OutgoingEmail.Status.PENDING,
            ).update(status=OutgoingEmail.Status.SKIPPED, last_error=NOT_EMAILED)
            count = Registration.objects.filter(event__in=[event for _, event in events]).count()
            if count:
                self.report.add(f"event registrations: {count}")
            event_ids = [event.pk for _, event in events]
            transaction.on_commit(lambda: events_changed.send(sender=Event, event_ids=event_ids))
            self.navigation_link()

    def navigation_link(self):
        """An Events link in the main menu, when the menu is still exactly the demo's own."""
        from wagtail.models import Site

        from cms.event_pages import events_index
        from cms.models import SiteSettings

        index = events_index()
        site = Site.objects.filter(root_page=index.get_parent()).first()
        if site is None:
            return
        site_settings = SiteSettings.for_site(site)
        links = [(block.block_type, dict(block.value)) for block in site_settings.primary_navigation]
        labels = [value.get("label") for _, value in links]
        if labels != ["Platform", "Solutions", "Customers", "Resources", "Pricing"]:
            return  # someone changed the menu: it is theirs
        links.insert(4, ("link", {"label": "Events", "page": index, "url": ""}))
        site_settings.primary_navigation = links
        site_settings.save()
        self.report.add("Events in the main menu")

    def specs(self) -> list[DemoEvent]:
        return [
            DemoEvent("Pipeline forecasting with AI", DemoEventLoader.webinar, DemoEventLoader.webinar_registrations),
            DemoEvent("RevOps Meetup Berlin", DemoEventLoader.meetup, DemoEventLoader.meetup_registrations),
            DemoEvent(
                "Lead scoring workshop: build your first model",
                DemoEventLoader.workshop,
                DemoEventLoader.workshop_registrations,
            ),
            DemoEvent(
                "Revenue Summit",
                DemoEventLoader.conference,
                DemoEventLoader.conference_registrations,
                title_pattern=r"^Revenue Summit [0-9]{4}$",
            ),
            DemoEvent(
                "Banking data roundtable Frankfurt",
                DemoEventLoader.roundtable,
                DemoEventLoader.roundtable_registrations,
            ),
            DemoEvent(
                "Speed to lead: what the fastest teams do differently",
                DemoEventLoader.past_webinar,
                DemoEventLoader.past_webinar_registrations,
            ),
            DemoEvent("RevOps Meetup Munich", DemoEventLoader.past_meetup, DemoEventLoader.past_meetup_registrations),
        ]

    # --- time ---
    def at(self, days: int, hour: int, minute: int = 0, *, zone: str) -> datetime:
        """A wall-clock time in the event's zone about `days` from today (negative: in the past), moved
        off a weekend to the Monday after, as marketers would schedule it."""
        tz = zoneinfo.ZoneInfo(zone)
        day = (timezone.localtime(self.now, tz) + timedelta(days=days)).date()
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    def spread(self, first, last, n: int) -> list[datetime]:
        """n moments from first to last, in order (when people registered)."""
        if n <= 1:
            return [last] * n
        step = (last - first) / (n - 1)
        return [first + step * number for number in range(n)]
