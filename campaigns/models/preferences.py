"""What people said they want: kinds of email (topics) they left, and the suppression list that every
send honours (unsubscribed from everything, hard bounces, complaints, imported addresses)."""

from django.db import models

from core.models import Record


class EmailTopic(models.Model):
    """A kind of email people can choose in the preference centre (newsletter, events, product news)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True, help_text="Shown in the preference centre")
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class TopicOptOut(Record):
    """A person does not want this kind of email (chosen in the preference centre)."""

    person = models.ForeignKey("leads.Person", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(EmailTopic, on_delete=models.CASCADE, related_name="opt_outs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "topic"], name="campaigns_one_opt_out_per_topic")]


class Suppression(Record):
    """An address no campaign email goes to, whoever it belongs to now or later. Keyed by the lead
    store's email key (lower case, no +tag), so jane+news@x.com unsubscribing covers jane@x.com."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed from everything"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint (marked as spam)"
        IMPORTED = "imported", "Imported"
        MANUAL = "manual", "Added by hand"

    email_key = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True, help_text="e.g. the provider's bounce reason")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} #{self.pk}"  # never the address: shown where masking can't reach
