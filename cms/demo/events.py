"""The demo's events: reusable speakers, upcoming and past events of every type with their landing
pages, and registrations in every status, so a newcomer sees the events app working at once.

- Upcoming: a webinar, a Berlin meetup that needs approval, a small workshop that is full (with a
  waitlist), a one-day conference with two tracks, and a roundtable that was cancelled.
- Past: last month's webinar (with its recording) and a meetup two months ago, with attendees and
  no-shows.

Dates are relative to the moment of loading, so a fresh load always has upcoming events.

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

import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.files.images import ImageFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify
from wagtail.images import get_image_model

from cms.demo.event_registrations import DemoRegistrations
from cms.demo.media import abstract_image
from cms.event_pages import event_pages_sync
from events.models import Event, EventSession, Registration, Speaker
from events.signals import events_changed
from leads.services import people_rescore
from outbox.models import OutgoingEmail

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
NOT_EMAILED = "Demo data: not emailed"
# The stream of a webinar (shown to registrants) and the past webinar's recording: the demo's product video.
STREAM_URL = RECORDING_URL = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"

SPEAKERS = [
    # name, job title, company, bio
    (
        "Priya Raman",
        "VP Research",
        "Northwind Signal",
        "Priya leads Northwind Signal's research team and writes the annual State of RevOps report. Before "
        "Northwind she built forecasting models for a European payments company.",
    ),
    (
        "Tomás Ortega",
        "Principal Analyst, Revenue Operations",
        "Northwind Signal",
        "Tomás helps revenue teams design scoring and routing that sales actually trusts. He has run RevOps "
        "at two scale-ups and still reads every rejected MQL.",
    ),
    (
        "Laura Chen",
        "Head of Commercial Banking Growth",
        "Meridian Bank",
        "Laura runs growth for Meridian Bank's commercial banking arm, where her team cut lead response time "
        "from two days to 40 minutes without a single compliance finding.",
    ),
    (
        "Devon Park",
        "Head of Demand Generation",
        "Brightline Software",
        "Devon doubled Brightline's demo bookings with explainable lead scoring. He writes about demand "
        "generation for small teams with big targets.",
    ),
    (
        "Anja Novak",
        "Director of Channel Sales",
        "Kestrel Manufacturing",
        "Anja moved 300 Kestrel distributors from spreadsheets to a shared pipeline and now changes "
        "territories in an afternoon instead of a quarter.",
    ),
    (
        "Rachel Okafor",
        "Chief Data Officer",
        "Northgate Insurance",
        "Rachel is responsible for data and consent across Northgate's twelve broker channels. She speaks "
        "about governance that speeds sales up rather than slowing it down.",
    ),
]


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


class DemoEventLoader(DemoRegistrations):
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

    # --- speakers ---
    def speakers_load(self) -> dict[str, Speaker]:
        result = {}
        for name, job_title, company, bio in SPEAKERS:
            speaker = Speaker.objects.filter(name=name).first()
            if speaker is None:
                speaker = Speaker.objects.create(
                    name=name, job_title=job_title, company=company, bio=bio, photo=self.photo(name)
                )
                self.report.add(f"speaker {name}")
            result[name] = speaker
        return result

    def photo(self, name: str):
        """A generated square portrait placeholder with the speaker's initials (reused when it exists)."""
        title = f"Speaker photo: {name}"
        existing = self.Image.objects.filter(title=title).first()
        if existing:
            return existing
        initials = "".join(part[0] for part in name.split()[:2])
        data = abstract_image(title, width=480, height=480, label=initials)
        image = self.Image(
            title=title,
            description=f"Portrait placeholder for {name}",
            file=ImageFile(io.BytesIO(data), name=f"demo-speaker-{slugify(name)}.jpg"),
        )
        image.save()
        self.report.add(f"image {title}")
        return image

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

    # --- events ---
    def event(self, *, speakers=(), topics=(), sessions=(), **fields) -> Event:
        event = Event(**fields)
        event.full_clean()  # a mistake in the demo's own data fails here, loudly
        event.save()
        event.speakers.set([self.speakers[name] for name in speakers])
        if topics:
            event.topics.add(*topics)
        event.save()
        for order, (title, start, minutes, track, room, names, description) in enumerate(sessions):
            session = EventSession(
                event=event,
                sort_order=order,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                track=track,
                room=room,
                description=description,
            )
            session.full_clean()
            session.save()
            session.speakers.set([self.speakers[name] for name in names])
            session.speakers.commit()  # a plain model: modelcluster defers the set until told
        return event

    def webinar(self) -> Event:
        start = self.at(14, 16, zone="Europe/Berlin")
        return self.event(
            title="Pipeline forecasting with AI",
            type=Event.Type.WEBINAR,
            time_zone="Europe/Berlin",
            summary="How revenue teams forecast pipeline with machine learning they can explain to the board, "
            "in 45 minutes plus questions.",
            description="<p>Spreadsheets and gut feeling still drive most pipeline forecasts. Priya Raman shares "
            "what our research found in 400 revenue teams' forecasts, and Devon Park shows the model "
            "Brightline's team reviews every Monday.</p><ul><li>Which signals predict a deal closing</li>"
            "<li>Explaining a forecast to sales and finance</li><li>Starting small: a first model in a week</li></ul>",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            online_url=STREAM_URL,
            stream_preview_seconds=60,
            reminders="24h, 1h",
            speakers=["Priya Raman", "Devon Park"],
            topics=["AI & automation", "Revenue operations"],
        )

    def meetup(self) -> Event:
        start = self.at(21, 18, 30, zone="Europe/Berlin")
        return self.event(
            title="RevOps Meetup Berlin",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Berlin",
            summary="An evening of two short talks and plenty of time to talk shop with revenue operations "
            "people from Berlin.",
            description="<p>Two 20-minute talks from practitioners, then drinks and food. Places are limited "
            "and confirmed by our team, so that the room is a mix of companies and roles.</p>",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="Factory Görlitzer Park",
            address="Lohmühlenstraße 65, 12435 Berlin",
            city="Berlin",
            country="DE",
            capacity=40,
            requires_approval=True,
            registration_deadline=start - timedelta(days=2),
            speakers=["Tomás Ortega", "Anja Novak"],
            topics=["Revenue operations"],
            sessions=[
                ("Doors open", start, 30, "", "", [], "Drinks and name badges."),
                (
                    "Territories in an afternoon, not a quarter",
                    start + timedelta(minutes=30),
                    25,
                    "",
                    "",
                    ["Anja Novak"],
                    "How Kestrel reorganised 300 distributors without a spreadsheet.",
                ),
                (
                    "What rejected MQLs tell you",
                    start + timedelta(minutes=60),
                    25,
                    "",
                    "",
                    ["Tomás Ortega"],
                    "Reading sales feedback to fix scoring.",
                ),
                ("Food and conversation", start + timedelta(minutes=90), 90, "", "", [], ""),
            ],
        )

    def workshop(self) -> Event:
        start = self.at(10, 10, zone="Europe/Lisbon")
        return self.event(
            title="Lead scoring workshop: build your first model",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Lisbon",
            summary="A hands-on morning for five people: bring a laptop and leave with fit and interest rules "
            "for your own funnel.",
            description="<p>Tomás Ortega walks a small group through designing fit and interest scoring with "
            "sales, testing it on last quarter's leads and explaining every score. Five seats, so everyone "
            "works on their own funnel.</p>",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="Northwind Signal Lisbon office",
            address="Rua Example 12, 1200-000 Lisboa",
            city="Lisbon",
            country="PT",
            capacity=5,
            speakers=["Tomás Ortega"],
            topics=["Revenue operations", "AI & automation"],
        )

    def conference(self) -> Event:
        start = self.at(42, 9, zone="Europe/Amsterdam")
        main, workshop = "Main stage", "Workshop room"
        hall, room = "Grote Zaal", "Keurzaal (1st floor)"

        def t(hour, minute=0):
            return start.replace(hour=hour, minute=minute)

        return self.event(
            title=f"Revenue Summit {start.year}",
            type=Event.Type.CONFERENCE,
            time_zone="Europe/Amsterdam",
            summary="A day of talks and hands-on workshops for marketing, sales and RevOps leaders: forecasting, "
            "scoring, consent and routing from the teams doing it.",
            description="<p>The Revenue Summit brings 300 revenue leaders together for one day in Amsterdam. The "
            "main stage has customer stories and research; the workshop room has small hands-on sessions "
            "(first come, first seated on the day).</p>",
            starts_at=start,
            ends_at=t(17, 30),
            venue_name="Beurs van Berlage",
            address="Damrak 243, 1012 ZJ Amsterdam",
            city="Amsterdam",
            country="NL",
            capacity=300,
            reminders="7d, 24h",
            speakers=["Priya Raman"],
            topics=["Revenue operations", "AI & automation", "Data governance"],
            sessions=[
                (
                    "Keynote: the state of revenue operations",
                    t(9, 30),
                    45,
                    main,
                    hall,
                    ["Priya Raman"],
                    "What changed in 400 revenue teams this year, and what the best ones do next.",
                ),
                (
                    "One list of who to call: Meridian Bank's story",
                    t(10, 30),
                    45,
                    main,
                    hall,
                    ["Laura Chen"],
                    "From two days to 40 minutes to first response, with compliance on board.",
                ),
                (
                    "Explainable scoring sales actually trusts",
                    t(11, 30),
                    45,
                    main,
                    hall,
                    ["Devon Park"],
                    "Why Brightline's reps stopped ignoring the score.",
                ),
                (
                    "Consent that scales across twelve channels",
                    t(13, 30),
                    45,
                    main,
                    hall,
                    ["Rachel Okafor"],
                    "Recording consent once and respecting it everywhere.",
                ),
                (
                    "Panel: forecasting you can explain to the board",
                    t(14, 30),
                    60,
                    main,
                    hall,
                    ["Priya Raman", "Laura Chen", "Devon Park"],
                    "",
                ),
                (
                    "Hands-on: routing rules for territories",
                    t(10, 30),
                    90,
                    workshop,
                    room,
                    ["Anja Novak"],
                    "Build round-robin and territory routing for a sample team. Bring a laptop.",
                ),
                (
                    "Hands-on: a forecast model in an afternoon",
                    t(13, 30),
                    120,
                    workshop,
                    room,
                    ["Tomás Ortega"],
                    "From last quarter's pipeline to a first, explainable forecast.",
                ),
                ("Closing remarks and drinks", t(16, 0), 90, main, hall, ["Priya Raman"], ""),
            ],
        )

    def roundtable(self) -> Event:
        start = self.at(25, 17, zone="Europe/Berlin")
        return self.event(
            title="Banking data roundtable Frankfurt",
            type=Event.Type.IN_PERSON,
            time_zone="Europe/Berlin",
            summary="An evening roundtable for banking data and growth leaders. Cancelled: the discussion moves "
            "to the Revenue Summit's main stage.",
            starts_at=start,
            ends_at=start + timedelta(hours=2, minutes=30),
            venue_name="Main Tower, 54th floor",
            address="Neue Mainzer Straße 52, 60311 Frankfurt am Main",
            city="Frankfurt",
            country="DE",
            capacity=20,
            speakers=["Laura Chen", "Rachel Okafor"],
            topics=["Data governance", "Security & compliance"],
        )

    def past_webinar(self) -> Event:
        start = self.at(-30, 16, zone="Europe/Berlin")
        return self.event(
            title="Speed to lead: what the fastest teams do differently",
            type=Event.Type.WEBINAR,
            status=Event.Status.FINISHED,
            time_zone="Europe/Berlin",
            summary="Why the first five minutes decide most inbound deals, and how three teams got there.",
            description="<p>Tomás Ortega and Laura Chen on routing, response times and the handover from "
            "marketing to sales. Missed it? The recording is below.</p>",
            starts_at=start,
            ends_at=start + timedelta(minutes=45),
            online_url=STREAM_URL,
            recording_url=RECORDING_URL,
            reminders="24h, 1h",
            speakers=["Tomás Ortega", "Laura Chen"],
            topics=["Revenue operations", "Customer experience"],
        )

    def past_meetup(self) -> Event:
        start = self.at(-60, 18, 30, zone="Europe/Berlin")
        return self.event(
            title="RevOps Meetup Munich",
            type=Event.Type.IN_PERSON,
            status=Event.Status.FINISHED,
            time_zone="Europe/Berlin",
            summary="Talks about territory design and consent, then an evening with Munich's revenue operations "
            "community.",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            venue_name="WERK1",
            address="Atelierstraße 29, 81671 München",
            city="Munich",
            country="DE",
            capacity=50,
            speakers=["Anja Novak", "Rachel Okafor"],
            topics=["Revenue operations", "Data governance"],
        )
