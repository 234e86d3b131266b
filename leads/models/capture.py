"""What came in and what happened: every capture (Lead), every interaction, every stage move."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.models import Record

from .people import Person, Stage


class Lead(Record):
    """One capture event (LID): a form fill, an import row, a webhook call, a manual entry."""

    class Source(models.TextChoices):
        FORM = "form", "Form"
        IMPORT = "import", "Import"
        WEBHOOK = "webhook", "Webhook"
        MANUAL = "manual", "Manual"

    class OriginType(models.TextChoices):
        FORM = "form", "Form"
        CONTENT = "content", "Content"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Processing failed (will be retried)"

    class Verdict(models.TextChoices):
        PENDING = "pending", "Not cleaned yet"
        CLEAN = "clean", "Clean"
        FLAGGED = "flagged", "Flagged"

    source = models.CharField(max_length=20, choices=Source.choices)
    origin_type = models.CharField(max_length=20, choices=OriginType.choices, default=OriginType.OTHER)
    origin_id = models.CharField(max_length=64, blank=True, help_text="Id of the form, content or event")
    origin_label = models.CharField(max_length=255, blank=True)
    # ",ai,banking," : the topics of what was asked for (a whitepaper's), copied to its interaction.
    origin_topics = models.CharField(max_length=500, blank=True)
    # JSON text rather than a JSON column: PostgreSQL's jsonb refuses NUL characters, and the raw
    # submission must be kept exactly as it came, garbage included.
    raw_payload = models.TextField(help_text="Exactly as received, as JSON")
    mapped_fields = models.TextField(blank=True, help_text="The answers under our field names, as JSON")
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True, db_index=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    landing_page = models.CharField(max_length=2000, blank=True)
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    interaction_type = models.CharField(max_length=40, default="form_submit", help_text="What the capture records")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    processing_error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, default=Verdict.PENDING)
    flags = models.JSONField(default=list, blank=True, help_text='[{"code": ..., "reason": ...}]')
    # Indexed by leads_lead_dup_window below, which starts with person.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", db_index=False
    )
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["person", "source", "received_at"], name="leads_lead_dup_window"),
            # A whitepaper's, event's or form's lead list, and the lead lists' counts per origin.
            models.Index(fields=["origin_type", "origin_id", "received_at"], name="leads_lead_origin"),
            models.Index(Lower("utm_campaign"), name="leads_lead_campaign_ci"),
            # Only the few leads still to process: the sweeper's lookup stays small and writes stay cheap.
            models.Index(
                fields=["status"], name="leads_lead_unprocessed", condition=models.Q(status__in=["received", "failed"])
            ),
        ]

    def __str__(self):
        return f"LID-{self.pk} ({self.get_source_display()}, {self.received_at:%Y-%m-%d %H:%M})"

    @property
    def lid(self):
        return f"LID-{self.pk}"

    @property
    def payload(self):
        import json

        return json.loads(self.raw_payload)

    @property
    def flag_codes(self):
        return [flag["code"] for flag in self.flags]

    def flag_summary(self):
        return ", ".join(self.flag_codes) or "-"

    flag_summary.short_description = "Flags"

    def flag_reasons(self):
        from django.utils.html import format_html, format_html_join

        if not self.flags:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><strong>{}</strong>: {}</li>", ((f["code"], f["reason"]) for f in self.flags)),
        )

    flag_reasons.short_description = "Flags and reasons"


class Interaction(Record):
    """Something a person or visitor did. Written often, read in aggregate."""

    class Type(models.TextChoices):
        PAGE_VIEW = "page_view", "Page view"
        CONTENT_DOWNLOAD = "content_download", "Content download"
        FORM_SUBMIT = "form_submit", "Form submission"
        EVENT_REGISTERED = "event_registered", "Event registration"
        EVENT_ATTENDED = "event_attended", "Event attendance"
        CONTACT_SALES = "contact_sales", "Contact sales"
        EMAIL_SENT = "email_sent", "Email sent"  # a campaign email went out (written per chunk by the sender)
        EMAIL_OPEN = "email_open", "Email open"
        EMAIL_CLICK = "email_click", "Email click"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
        CUSTOM_EVENT = "custom_event", "Custom event"  # object_id names it: trial_started, ...
        TAG_ADDED = "tag_added", "Tag added"
        TAG_REMOVED = "tag_removed", "Tag removed"
        CALL = "call", "Phone call"  # a telemarketer's call and its outcome

    # Not limited to the choices above: new kinds of interaction need no migration.
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    # No index of its own: the (person, occurred_at) index below serves every look-up by person, and one
    # index fewer is one write fewer per interaction (page views come by the million).
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    visitor_id = models.CharField(max_length=64, blank=True)
    object_type = models.CharField(max_length=40, blank=True, help_text="e.g. whitepaper, event, form")
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    # ",ai,banking," : topic slugs of the object, comma-wrapped so a rule matches one with LIKE.
    object_topics = models.CharField(max_length=500, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")
    # Minted when a buffered event (a page view) happened: writing its batch twice stores it once.
    event_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["person", "occurred_at"], name="leads_interaction_person_time"),
            models.Index(fields=["type", "occurred_at"], name="leads_interaction_type_time"),
            models.Index(fields=["visitor_id", "occurred_at"], name="leads_interaction_visitor"),
            # Audiences and sales filters on behaviour ("registered for event 7", "viewed pricing twice
            # in 7 days"): one object's interactions of one type in a window, with the person from the
            # index alone (INCLUDE is PostgreSQL's; elsewhere a plain index on the three columns).
            models.Index(
                fields=["type", "object_id", "occurred_at"], include=["person"], name="leads_interaction_object"
            ),
        ]

    def __str__(self):
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class StageTransition(Record):
    """Every lifecycle move, forward or back, with when and why: stage velocity comes from here."""

    class ReasonType(models.TextChoices):
        RULE = "rule", "Rule"
        USER = "user", "User"
        SALES_FEEDBACK = "sales_feedback", "Sales feedback"
        CRM = "crm", "CRM"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stage_transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason_type = models.CharField(max_length=20, choices=ReasonType.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # The funnel report's moves per stage in a period, with whose they were, from the index alone
            # (INCLUDE is PostgreSQL's; elsewhere a plain index on the two columns).
            models.Index(fields=["occurred_at", "to_stage"], include=["person"], name="leads_transition_moves"),
        ]

    def __str__(self):
        return f"{self.from_stage or '-'} -> {self.to_stage} ({self.get_reason_type_display()})"
