"""One email the product sends: written down before it is sent, kept after (the outbox).

A row holds either the message itself (recipients, from, subject, text and HTML bodies: form
emails) or only what it is about and its kind, for mail that its app builds when it is sent
(event emails: the wording of the day, "is this still true?", the QR ticket and the calendar file;
see outbox.kinds). `key` names the email among those about the same object ("reminder:24h" for a
registration), and the database keeps one per object and key: a scheduler run twice writes it once.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .kinds import kind_label


class OutgoingEmail(models.Model):
    # A record, not content: Wagtail's reference index ("usage") would cost queries on every write.
    # Not core.models.Record: the outbox depends on nothing of ours, core included (tests/outbox/test_app.py).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60, help_text="What the email is, e.g. forms.confirmation, events.reminder")
    # What it is about (an event registration, a lead, a campaign recipient), for "one per key" and
    # for the owning app's builder. Empty only for mail about nothing in particular.
    about_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    key = models.CharField(max_length=100, help_text="e.g. reminder:24h; one email per key and object")

    recipients = models.JSONField(default=list, blank=True, help_text="To: addresses (filled in when built)")
    from_email = models.CharField("from", max_length=254, blank=True, help_text="Empty: DEFAULT_FROM_EMAIL")
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField("text body", blank=True)
    html = models.TextField("HTML body", blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField("queued at", default=timezone.now)
    next_attempt_at = models.DateTimeField("next attempt", default=timezone.now)
    # When its delivery task was last handed to the queue to run (None: no task is expected). The
    # sweep re-queues a due row only when that is long past: a lost task, not one still waiting.
    queued_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField("last error or reason", blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outgoing email"
        constraints = [
            models.UniqueConstraint(fields=["about_type", "about_id", "key"], name="outbox_once_per_object_and_key"),
        ]
        indexes = [
            # The sweep: due pending rows, and rows stuck "sending" (few; filtered by claimed_at).
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        permissions = [("send_again_outgoingemail", "Can send a failed email again")]

    def __str__(self):
        # Never the address: Wagtail shows this in places masking can't reach (history, messages).
        return f"{self.kind_label} #{self.pk} ({self.get_status_display()})"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def headline(self) -> str:
        """The subject; before an email built when sent has one, what it is."""
        return self.subject or f"{self.kind_label} (written when sent)"

    @property
    def to_addresses(self) -> str:
        return ", ".join(self.recipients or [])

    # Column headings in the admin's listing.
    headline.fget.short_description = "Email"
    kind_label.fget.short_description = "Kind"
    to_addresses.fget.short_description = "To"
