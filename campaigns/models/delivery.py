"""Who a campaign went to, written down before anything is sent, and what each recipient did."""

from django.db import models

from core.models import Record


class CampaignRecipient(Record):
    """One person in one campaign: recorded when the audience is resolved, before any message is sent.
    Sent once: a worker claims rows with one conditional UPDATE and marks each sent right after the mail
    server accepts it. A person left out is recorded too, with the reason (the campaign's counts)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        LEFT_OUT = "left_out", "Left out"
        CANCELLED = "cancelled", "Not sent (cancelled)"

    class LeftOut(models.TextChoices):
        NO_CONSENT = "no_consent", "No consent for email in their country's policy"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        TOPIC = "topic", "Left this kind of email"
        DO_NOT_CONTACT = "do_not_contact", "Do not contact"
        SUPPRESSED = "suppressed", "Bounced or complained"
        TEST_OR_COMPETITOR = "test_or_competitor", "Test or competitor"
        FATIGUE = "fatigue", "Over the fatigue limit"
        NO_ADDRESS = "no_address", "No valid address"
        EXCLUDED = "excluded", "In an excluded audience"

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey("leads.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.CharField(max_length=254, blank=True, help_text="The address when recorded")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    left_out_reason = models.CharField(max_length=20, choices=LeftOut.choices, blank=True)
    variant = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A/B: 0 = the campaign's subject, 1.. = its variants"
    )
    in_test = models.BooleanField(default=False, help_text="A/B: in the test sample")
    attempts = models.PositiveSmallIntegerField(default=0)
    # Names the attempt: every write after sending says "WHERE claimed_at = mine", so a worker that comes
    # back late (after the sweep handed its rows on) cannot overwrite a newer attempt.
    claimed_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="A temporary refusal: not before this time")
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # What they did (first time each), kept here so the results are counts over one table.
    opened_at = models.DateTimeField(null=True, blank=True)
    machine_opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    # The provider could not deliver for now (mailbox full, server down...): it retries, and reports a hard
    # bounce if it gives up. Counted in the results; never suppresses the address.
    soft_bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="campaigns_one_message_per_person"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="campaigns_recipient_status"),
            models.Index(fields=["person", "sent_at"], name="campaigns_recipient_fatigue"),
        ]

    def __str__(self):
        return f"recipient #{self.pk} of campaign {self.campaign_id} ({self.get_status_display()})"


class CampaignLink(Record):
    """A link in a campaign's email, numbered: a click link names the campaign, the recipient and this
    number, so the redirect only ever goes to a link the email holds (never an open redirect)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)
    label = models.CharField(max_length=255, blank=True)
    is_trap = models.BooleanField(default=False, help_text="The link no person can see: a click on it is a machine's")

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [models.UniqueConstraint(fields=["campaign", "position"], name="campaigns_link_position")]

    def __str__(self):
        return self.label or self.url


class RecipientActivity(Record):
    """One open, click, bounce, complaint or unsubscribe of one recipient (written in batches from the
    tracking buffer, never on the request path)."""

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLICK = "click", "Click"
        BOUNCE = "bounce", "Bounce"
        SOFT_BOUNCE = "soft_bounce", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"

    recipient = models.ForeignKey(CampaignRecipient, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_machine = models.BooleanField(default=False, help_text="A mail-privacy proxy or a security scanner")
    link = models.ForeignKey(CampaignLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField()
    user_agent = models.CharField(max_length=255, blank=True)
    event_id = models.UUIDField(unique=True, null=True, blank=True, help_text="A batch written twice counts once")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["recipient", "kind"], name="campaigns_activity_recipient")]
