"""Pushes to the CRM: a delivery row written with the stage change (transactional outbox) and the log
of every attempt to deliver it."""

from django.db import models

from core.models import Record

from .people import Person


class CrmDelivery(Record):
    """A push to the CRM, written in the same transaction as the stage change (transactional outbox)
    and delivered by a background task until the CRM accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        GAVE_UP = "gave_up", "Gave up after too many attempts"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="crm_deliveries")
    event = models.CharField(max_length=40, help_text="Why it was pushed, e.g. mql or fast_lane")
    idempotency_key = models.CharField(max_length=100, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "CRM deliveries"

    def __str__(self):
        return f"{self.event} push for PID-{self.person_id} ({self.get_status_display()})"


class CrmDeliveryAttempt(Record):
    delivery = models.ForeignKey(CrmDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at"]

    def __str__(self):
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
