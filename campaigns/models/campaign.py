"""A campaign email: what it says (blocks made for email), who gets it (audience sources and
exclusions), when and how fast it goes, and its A/B subject lines."""

from django.conf import settings
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Orderable, PreviewableMixin

from campaigns.blocks import EmailBodyBlock


class Campaign(PreviewableMixin, ClusterableModel):
    """One email to one audience, sent once per recipient."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PREPARING = "preparing", "Choosing recipients"
        SENDING = "sending", "Sending"
        TESTING = "testing", "A/B test: waiting for the winner"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    class Winner(models.TextChoices):
        CLICKS = "clicks", "Most human clicks"
        OPENS = "opens", "Most human opens"

    name = models.CharField(max_length=200, help_text="For you; recipients never see it")
    topic = models.ForeignKey(
        "campaigns.EmailTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        help_text="The kind of email: people who left this kind in the preference centre don't get it",
    )
    subject = models.CharField(max_length=200, help_text="Merge fields allowed, e.g. {{ first_name|there }}")
    preheader = models.CharField(max_length=200, blank=True, help_text="The line mail clients show after the subject")
    from_name = models.CharField(max_length=100, blank=True, help_text="Empty: the campaign sender's name")
    reply_to = models.EmailField(blank=True)
    body = StreamField(EmailBodyBlock(), blank=True, use_json_field=True)
    content_topics = models.CharField(
        max_length=500,
        blank=True,
        help_text="Topics this email is about (slugs, comma-separated): audiences and scoring read them",
    )
    # Links to our own site carry these (utm_source/medium/campaign/content).
    utm_source = models.CharField(max_length=100, default="newsletter")
    utm_medium = models.CharField(max_length=100, default="email")
    utm_campaign = models.CharField(max_length=100, blank=True, help_text="Empty: made from the campaign's name")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    send_at = models.DateTimeField(null=True, blank=True, help_text="Empty: now, when you press Send")
    # A/B subject lines: a sample gets the variants, the winner goes to the rest after the wait.
    ab_sample_percent = models.PositiveSmallIntegerField(default=20, help_text="Share of the audience in the test")
    ab_wait_hours = models.PositiveSmallIntegerField(default=4)
    ab_winner_by = models.CharField(max_length=10, choices=Winner.choices, default=Winner.CLICKS)
    ab_winner = models.ForeignKey(
        "campaigns.SubjectVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ab_decided_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counted when recipients are recorded: the progress bar's total, and who was left out and why.
    recipients_total = models.PositiveIntegerField(default=0)
    left_out = models.JSONField(default=dict, blank=True, help_text="{reason: count} when recipients were recorded")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_campaign", "Can send campaigns")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        from campaigns.merge_fields import validate_campaign

        validate_campaign(self)  # unknown merge fields are refused, naming the field and where

    # Preview (campaigns.views_admin.preview): the email as a desktop client and a phone show it.
    preview_modes = [("desktop", "Desktop"), ("phone", "Phone")]

    def serve_preview(self, request, mode_name):
        from campaigns.views_admin.preview import serve_campaign_preview

        return serve_campaign_preview(self, request, mode_name)


class SubjectVariant(Orderable):
    """An A/B subject line. With none, everybody gets the campaign's subject; with one or more, the
    campaign's own subject is variant A and these are B, C..."""

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="subject_variants")
    subject = models.CharField(max_length=200)

    def clean(self):
        from campaigns.merge_fields import validate_text

        validate_text(self.subject, "A/B subject line")

    def __str__(self):
        return self.subject


class AudienceSource(Orderable):
    """One part of the audience: people in it are added (include) or taken away (exclude)."""

    class Kind(models.TextChoices):
        SEGMENT = "segment", "Segment"
        SAVED_FILTER = "saved_filter", "Saved sales filter (people)"
        TAG = "tag", "Tag"
        EVENT_REGISTERED = "event_registered", "Registered for an event"
        EVENT_ATTENDED = "event_attended", "Attended an event"
        WHITEPAPER = "whitepaper", "Whitepaper lead list"

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="audience")
    # Deleting what a part names never fails (a user's saved filters go with the user, a tag or segment
    # is deleted in its own screen): the part then names nothing, and the audience says which part to fix.
    exclude = models.BooleanField(default=False, help_text="Leave these people out")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    segment = models.ForeignKey(
        "personalization.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_filter = models.ForeignKey(
        "sales.SavedFilter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tag = models.ForeignKey("leads.Tag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    whitepaper = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{'not ' if self.exclude else ''}{self.get_kind_display()}"


@register_setting(icon="mail")
class CampaignSettings(BaseSiteSetting):
    """How fast and how often: per site, in Settings → Campaign email."""

    emails_per_minute = models.PositiveIntegerField(
        default=6000, help_text="Sending speed; your mail server or provider may ask for less"
    )
    fatigue_limit = models.PositiveSmallIntegerField(
        default=4, help_text="At most this many marketing emails per person ... (0: no limit)"
    )
    fatigue_days = models.PositiveSmallIntegerField(default=7, help_text="... in this many days")
    conversion_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="A form fill or registration this many days after a click counts as the campaign's conversion",
    )

    postal_address = models.TextField(
        blank=True,
        help_text="Shown at the foot of every campaign email (the law asks bulk senders for a postal address)",
    )

    class Meta:
        verbose_name = "campaign email"
