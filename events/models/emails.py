"""The wording of the emails sent about events, one editable template per kind of email.

The emails themselves are rows of the product's outbox (outbox.models.OutgoingEmail), built by
events.services.emails from these templates.
"""

from django.db import models
from wagtail.admin.panels import FieldPanel


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
