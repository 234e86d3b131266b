"""Events, their speakers and agenda, registrations, and the wording of the emails sent about them
(the emails themselves are rows of the product's outbox: outbox.models.OutgoingEmail).

An event is the record marketers fill in; its landing page (a cms page type) is generated from it
and reads the details from here on every view, so the page never holds a stale copy.
"""

import re
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
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

from core.models import Record

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
OFFSET_PATTERN = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$", re.IGNORECASE)
OFFSET_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_offsets(text: str) -> list[timedelta]:
    """ "24h, 1h" -> [24 hours, 1 hour], largest first. Raises ValueError naming the bad part."""
    offsets = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = OFFSET_PATTERN.match(part)
        if not match:
            raise ValueError(f"“{part.strip()[:20]}” is not an offset: use a number and m, h or d, e.g. 24h, 1h, 30m.")
        seconds = int(match.group(1)) * OFFSET_UNITS[match.group(2).lower()]
        if not 0 < seconds <= 60 * 86400:
            raise ValueError(f"“{part.strip()}”: reminders go out between a minute and 60 days before the start.")
        offsets.append(timedelta(seconds=seconds))
    return sorted(set(offsets), reverse=True)


def offset_label(offset: timedelta) -> str:
    """How people write it: 30m, 1h, 24h, 2d (days only from two days up)."""
    seconds = int(offset.total_seconds())
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def validate_offsets(text):
    try:
        parse_offsets(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Speaker(index.Indexed, models.Model):
    """A speaker, reused across events and sessions."""

    name = models.CharField(max_length=120)
    job_title = models.CharField(max_length=120, blank=True)
    company = models.CharField(max_length=120, blank=True)
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bio = models.TextField(blank=True)

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("job_title"), FieldPanel("company")]),
        FieldPanel("photo"),
        FieldPanel("bio"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"), index.SearchField("company")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name


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


def new_secret() -> str:
    return secrets.token_urlsafe(12)


class Registration(Record):
    """One person's place at one event. The form fill behind it is a lead in the lead store."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Registered"
        WAITLISTED = "waitlisted", "Waitlisted"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"

    class Source(models.TextChoices):
        WEB = "web", "Landing page"
        API = "api", "API"
        SALES = "sales", "Registered by sales"
        WALK_IN = "walk_in", "Walk-in at the door"
        IMPORT = "import", "Import"

    # Statuses that hold a seat.
    SEATED = (Status.APPROVED, Status.ATTENDED)
    # Statuses still expecting to come (reminders, cancellation notices).
    ACTIVE = (Status.PENDING, Status.APPROVED, Status.WAITLISTED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, editable=False, help_text="The address as identity rules compare it")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    registered_at = models.DateTimeField(default=timezone.now)
    # Waitlist order: first come, first promoted (a re-registration goes to the back).
    queued_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejection_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A salesperson who registered them",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The salesperson whose invite link they used",
    )
    visitor_id = models.CharField(max_length=64, blank=True)
    # Part of the signed ticket and cancellation links: a leaked id alone opens nothing, and
    # changing it (cancel and register again) retires old links.
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    # Its emails, in the product's outbox (one per key: `registrations.exclude(emails__key=...)`).
    emails = GenericRelation(
        "outbox.OutgoingEmail",
        content_type_field="about_type",
        object_id_field="about_id",
        related_query_name="registration",
    )

    search_fields = []  # searched with database lookups (check-in, lists); see events.selectors

    class Meta:
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "email_key"], name="events_registration_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "queued_at"], name="events_reg_event_status"),
        ]

    def __str__(self):
        # Never the bare address: Wagtail shows this in places masking can't reach (history, messages).
        who = " ".join(part for part in (self.first_name, self.last_name) if part) or f"Registration #{self.pk}"
        return f"{who} at {self.event.title}"

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email

    @property
    def holds_seat(self) -> bool:
        return self.status in self.SEATED


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Registered (confirmation with ticket)"
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved (with ticket)"
    REJECTED = "rejected", "Not approved"
    WAITLISTED = "waitlisted", "On the waitlist"
    PROMOTED = "promoted", "A seat opened up (with ticket)"
    CANCELLED = "cancelled", "Registration cancelled"
    REMINDER = "reminder", "Reminder before the start"
    THANK_YOU = "thank_you", "Thank you for attending (with the recording)"
    MISSED_YOU = "missed_you", "Sorry we missed you (no-shows)"
    EVENT_CANCELLED = "event_cancelled", "The event is cancelled"


class EventEmailTemplate(models.Model):
    """The wording of one kind of event email, editable by marketers; placeholders in {{ braces }}."""

    kind = models.CharField(max_length=30, choices=EmailKind.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text. The HTML part is made from it. Placeholders: see below.")
    is_active = models.BooleanField("send this email", default=True)

    panels = [FieldPanel("kind", read_only=True), FieldPanel("subject"), FieldPanel("body"), FieldPanel("is_active")]

    class Meta:
        ordering = ["kind"]
        verbose_name = "event email"

    def __str__(self):
        return self.get_kind_display()
