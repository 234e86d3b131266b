"""Receipts of signed webhook calls from lead-gen providers: one per provider lead id, so a retry or
a replay never makes a second lead."""

from django.db import models

from core.models import Record


class WebhookReceipt(Record):
    """A provider's lead, received once. The unique constraint is what makes intake idempotent, also
    when the provider sends the same lead twice at the same instant."""

    provider = models.CharField(max_length=40, help_text="As in the intake URL, e.g. linkedin")
    provider_lead_id = models.CharField(max_length=255, help_text="The provider's id of the lead")
    form_id = models.CharField(max_length=255, blank=True, help_text="The provider's id of the form")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the first body received, hex")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duplicates = models.PositiveIntegerField(default=0, help_text="How many times the same lead was sent again")
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_lead_id"], name="leadforms_webhook_receipt_once"),
        ]

    def __str__(self):
        return f"{self.provider} lead {self.provider_lead_id}"

    @property
    def lead_lid(self):
        return f"LID-{self.lead_id}" if self.lead_id else None
