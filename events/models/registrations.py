"""Registrations: one person's place at one event (seat, waitlist, approval, check-in) and the
secret in their ticket and cancellation links. The emails sent about it are rows of the outbox.

Migrations name new_secret as events.models.new_secret, so the package re-exports it.
"""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone

from core.models import Record

from .event import Event


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
