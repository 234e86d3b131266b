"""Submissions refused by the spam and abuse rules: kept for review, never turned into leads."""

from django.db import models

from core.models import Record


class RejectedSubmission(Record):
    class Reason(models.TextChoices):
        HONEYPOT = "honeypot", "Filled in the hidden honeypot field"
        TOO_FAST = "too_fast", "Sent faster than a person can fill in the form"
        BAD_TOKEN = "bad_token", "Missing, forged or stale form token"
        RATE_LIMIT_IP = "rate_limit_ip", "Too many submissions from this IP address"
        RATE_LIMIT_EMAIL = "rate_limit_email", "Too many submissions for this email address"
        TOO_LARGE = "too_large", "Request body too large"
        BAD_SIGNATURE = "bad_signature", "Webhook signature missing or wrong"
        STALE_TIMESTAMP = "stale_timestamp", "Webhook timestamp outside the replay window"
        BAD_PAYLOAD = "bad_payload", "Webhook body malformed or without a lead id"

    form_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, default="web", help_text="web, api or webhook")
    reason = models.CharField(max_length=20, choices=Reason.choices, db_index=True)
    detail = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    email = models.CharField(max_length=254, blank=True)
    payload_excerpt = models.TextField(blank=True, help_text="The first few kilobytes, for review")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.received_at:%Y-%m-%d %H:%M})"
