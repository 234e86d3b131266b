"""What the CRM tells us back: its opportunities (deals) with their stage, amount and close date, and the
log of every feedback event it sent (so a replayed event is taken once). Revenue reports read deals."""

from django.db import models

from core.models import Record

from .people import Company, Person


class Deal(Record):
    """An opportunity as the CRM sees it: its stage, amount and close date. Revenue reports read these."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    crm_id = models.CharField(max_length=100, unique=True, help_text="The CRM's opportunity id")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="In `currency`")
    currency = models.CharField(max_length=3, help_text="ISO 4217")
    amount_report = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="In settings.REPORT_CURRENCY"
    )
    close_date = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField(help_text="When the CRM says the opportunity was created")
    # The CRM's timestamp of the state held here: an event older than this changes nothing (newest wins).
    crm_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-crm_changed_at"]
        indexes = [
            models.Index(fields=["person", "status"], name="leads_deal_person_status"),
            models.Index(fields=["status", "close_date"], name="leads_deal_status_close"),
        ]

    def __str__(self):
        return f"deal {self.crm_id} ({self.get_status_display()}, {self.amount} {self.currency})"


class CrmFeedbackEvent(Record):
    """One call of the CRM feedback webhook, kept as received: its event id makes a replay count once."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        STALE = "stale", "Older than the state held: recorded, changed nothing"

    event_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField(help_text="The raw body as received")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    # What the call answered, so a replay answers the same.
    response = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"CRM feedback {self.event_id} ({self.outcome})"
