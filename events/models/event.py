"""The event record marketers fill in (what, when, where, registration), its topics and its agenda.

Its landing page (a cms page type) is generated from it and reads the details from here on every
view, so the page never holds a stale copy. The agenda's sessions live here too: they are edited
inside the event's form and saved with it.
"""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index

from .reminders import parse_offsets, validate_offsets
from .speakers import Speaker

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


class EventTopic(TaggedItemBase):
    content_object = ParentalKey("events.Event", on_delete=models.CASCADE, related_name="tagged_topics")


class Event(index.Indexed, ClusterableModel):
    class Type(models.TextChoices):
        IN_PERSON = "in_person", "In person (meetup, workshop)"
        CONFERENCE = "conference", "Conference (sessions and tracks)"
        WEBINAR = "webinar", "Webinar"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.IN_PERSON)
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.SCHEDULED,
        help_text="Scheduled events go live at their start and finish at their end by themselves. "
        "Cancelling tells every registrant.",
    )
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences for cards and the hero")
    description = RichTextField(blank=True, features=["bold", "italic", "link", "ul", "ol", "h3"])
    topics = ClusterTaggableManager(through=EventTopic, blank=True, help_text="e.g. AI, banking")

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default=settings.TIME_ZONE,
        choices=[(name, name) for name in TIME_ZONES],
        help_text="Where the event happens: times are shown in it",
    )

    venue_name = models.CharField("venue", max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="Two-letter code, e.g. DE")
    online_url = models.URLField(
        "join or stream link",
        max_length=500,
        blank=True,
        help_text="Webinars: the stream, shown only to approved registrants (on the watch page and in reminders)",
    )
    stream_preview_seconds = models.PositiveIntegerField(
        default=0,
        help_text="Webinars: how long people who have not registered may watch before the form appears (0: never)",
    )
    recording_url = models.URLField(max_length=500, blank=True, help_text="Sent to attendees after the event")

    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Seats; empty for no limit")
    requires_approval = models.BooleanField(default=False, help_text="Registrations wait for a marketer's yes")
    registration_deadline = models.DateTimeField(null=True, blank=True, help_text="Empty: until the start")
    registration_form = models.ForeignKey(
        "leadforms.LeadFormPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the site's default event registration form",
    )
    speakers = ParentalManyToManyField(Speaker, blank=True, related_name="events")
    reminders = models.CharField(
        max_length=100,
        default="24h, 1h",
        blank=True,
        validators=[validate_offsets],
        help_text="When reminders go out before the start, e.g. 24h, 1h (m, h or d); empty for none",
    )

    # Counted in the same statement that gives a seat away, so two people can't take the last one.
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("title"),
                FieldRowPanel([FieldPanel("type"), FieldPanel("status")]),
                FieldPanel("summary"),
                FieldPanel("description"),
                FieldPanel("topics"),
            ],
            heading="What",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]), FieldPanel("time_zone")], heading="When"
        ),
        MultiFieldPanel(
            [
                FieldPanel("venue_name"),
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("city"), FieldPanel("country")]),
                FieldPanel("online_url"),
                FieldPanel("stream_preview_seconds"),
            ],
            heading="Where",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("requires_approval")]),
                FieldPanel("registration_deadline"),
                PageChooserPanel("registration_form", "leadforms.LeadFormPage"),
                FieldPanel("reminders"),
            ],
            heading="Registration",
        ),
        FieldPanel("speakers"),
        InlinePanel("sessions", label="Agenda sessions", heading="Agenda"),
        FieldPanel("recording_url"),
    ]
    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("city"),
        index.FilterField("status"),
        index.FilterField("type"),
    ]

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["status", "starts_at"], name="events_event_status_start")]
        permissions = [("check_in_registration", "Can check people in at the door")]

    def __str__(self):
        return f"{self.title} ({self.local_start:%d %b %Y})"

    def save(self, **kwargs):
        """Never write the seat counter back from a loaded copy: while a marketer edits the event,
        registrations keep taking and freeing seats, and an old value would let the event overbook.
        Only the registration services change it (with conditional UPDATEs)."""
        if not self._state.adding and kwargs.get("update_fields") is None and self.pk is not None:
            from modelcluster.models import get_all_child_m2m_relations, get_all_child_relations

            kwargs["update_fields"] = [
                *(
                    field.name
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.name != "seats_taken"
                ),
                *(relation.get_accessor_name() for relation in get_all_child_relations(self)),
                *(field.name for field in get_all_child_m2m_relations(self)),
            ]
        super().save(**kwargs)

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if self.registration_deadline and self.ends_at and self.registration_deadline > self.ends_at:
            errors["registration_deadline"] = "Registration must close before the event ends."
        if self.type == self.Type.WEBINAR and not self.online_url:
            errors["online_url"] = "A webinar needs its stream or join link."
        if self.type != self.Type.WEBINAR and not (self.venue_name or self.address or self.online_url):
            errors["venue_name"] = "Say where it happens: a venue, an address, or a join link for online events."
        if self.country and not (len(self.country) == 2 and self.country.isalpha()):
            errors["country"] = "Use the two-letter country code, e.g. DE."
        if self.capacity == 0:
            errors["capacity"] = "A capacity of 0 lets nobody in: leave it empty for no limit."
        if errors:
            raise ValidationError(errors)
        self.country = (self.country or "").upper()

    # --- Time ---
    @cached_property
    def zone(self):
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, self.zone)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at, self.zone)

    @property
    def closes_at(self):
        return self.registration_deadline or self.starts_at

    @property
    def current_status(self) -> str:
        """The stored status, moved on by the clock for scheduled events (the scheduler stores it too)."""
        if self.status in (self.Status.SCHEDULED, self.Status.LIVE):
            now = timezone.now()
            if now >= self.ends_at:
                return self.Status.FINISHED
            if now >= self.starts_at:
                return self.Status.LIVE
        return self.status

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def is_online(self) -> bool:
        return self.type == self.Type.WEBINAR or (bool(self.online_url) and not (self.venue_name or self.address))

    def registration_closed_reason(self) -> str:
        """Why nobody can register now; empty while registration is open."""
        status = self.current_status
        if status == self.Status.CANCELLED:
            return "This event has been cancelled."
        if status == self.Status.DRAFT:
            return "Registration has not opened yet."
        if status == self.Status.FINISHED:
            return "This event has ended."
        if timezone.now() >= self.closes_at and self.type != self.Type.WEBINAR:
            return "Registration has closed."
        if self.registration_deadline and timezone.now() >= self.registration_deadline:
            return "Registration has closed."
        return ""

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    @property
    def reminder_offsets(self) -> list[timedelta]:
        try:
            return parse_offsets(self.reminders)
        except ValueError:
            return []

    @property
    def where(self) -> str:
        parts = [self.venue_name, self.address, self.city]
        text = ", ".join(part for part in parts if part)
        return text or ("Online" if self.online_url else "")

    def all_speakers(self) -> list[Speaker]:
        """The event's speakers, then anyone speaking in a session, each once."""
        seen, result = set(), []
        for speaker in [*self.speakers.all(), *(s for session in self.sessions.all() for s in session.speakers.all())]:
            if speaker.pk not in seen:
                seen.add(speaker.pk)
                result.append(speaker)
        return result

    def tracks(self) -> list[tuple[str, list]]:
        """Agenda sessions grouped by track, in time order; one unnamed group when there are no tracks."""
        groups: dict[str, list] = {}
        for session in sorted(self.sessions.all(), key=lambda s: (s.starts_at, s.sort_order or 0)):
            groups.setdefault(session.track, []).append(session)
        return list(groups.items())


class EventSession(Orderable, ClusterableModel):
    """One slot of the agenda: a talk, a workshop, a break; conferences give each a track.

    Clusterable because its speakers (a ParentalManyToManyField) are edited inside the event's
    form: a plain model would drop them when the event is saved."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    track = models.CharField(max_length=80, blank=True, help_text="e.g. Main stage, Track B; empty for everyone")
    room = models.CharField(max_length=80, blank=True)
    description = models.TextField(blank=True)
    speakers = ParentalManyToManyField(Speaker, blank=True, related_name="sessions")

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([FieldPanel("track"), FieldPanel("room")]),
        FieldPanel("description"),
        FieldPanel("speakers"),
    ]

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A session must end after it starts."})

    def __str__(self):
        return self.title

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, self.event.zone)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at, self.event.zone)
