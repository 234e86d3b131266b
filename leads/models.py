"""The lead store: who people are, which company they work for, what they did, and every capture.

The system of record. Other apps write through leads.services and read through leads.selectors;
nothing here imports our other apps.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from core.models import Record

EMPLOYEE_BANDS = [
    ("1-49", "1-49"),
    ("50-249", "50-249"),
    ("250-999", "250-999"),
    ("1000-4999", "1,000-4,999"),
    ("5000+", "5,000+"),
]
FUNDING_STAGES = [
    ("bootstrapped", "Bootstrapped"),
    ("seed", "Seed"),
    ("series_a", "Series A"),
    ("series_b_plus", "Series B+"),
    ("public", "Public"),
    ("private_equity", "Private equity"),
]


class Stage(models.TextChoices):
    LEAD = "lead", "Lead"
    MQL = "mql", "Marketing qualified (MQL)"
    SQL = "sql", "Sales qualified (SQL)"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    NURTURE = "nurture", "Nurture"
    DISQUALIFIED = "disqualified", "Disqualified"


class Seniority(models.TextChoices):
    C_LEVEL = "c_level", "C-level"
    VP = "vp", "VP"
    DIRECTOR = "director", "Director"
    MANAGER = "manager", "Manager"
    INDIVIDUAL = "individual", "Individual contributor"
    STUDENT = "student", "Student"
    OTHER = "other", "Other"


class Consent(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    GRANTED = "granted", "Granted"
    DENIED = "denied", "Not given"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Company(Record):
    """An account (CID). Subsidiaries point at their group (EID) through `parent`."""

    name = models.CharField(max_length=200)
    # Lower-cased, whitespace-collapsed name: how a company submitted without a domain is found.
    name_key = models.CharField(max_length=200, db_index=True, editable=False)
    industry = models.CharField(max_length=100, blank=True)
    employee_band = models.CharField(max_length=20, choices=EMPLOYEE_BANDS, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2, e.g. DE")
    funding_stage = models.CharField(max_length=20, choices=FUNDING_STAGES, blank=True)
    is_key_account = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_companies"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subsidiaries",
        help_text="The group this company belongs to",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def cid(self):
        return f"CID-{self.pk}"


class CompanyDomain(Record):
    """A web/email domain of a company: how a business email finds its company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self):
        return self.domain


class Person(Record):
    """One human being (PID), identified by email, whatever visitor ids and leads they came through."""

    email = models.EmailField(max_length=254, help_text="As first captured, normalised")
    # The identity key: lower-case, without a +tag (jane+news@x.com is jane@x.com's mailbox).
    email_key = models.CharField(max_length=254, unique=True, editable=False)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +4930123456")
    job_title = models.CharField(max_length=150, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="people")
    consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.UNKNOWN)
    do_not_contact = models.BooleanField(default=False)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LEAD, db_index=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_people"
    )
    fit_score = models.IntegerField(default=0)
    interest_score = models.FloatField(default=0)
    grade = models.CharField(max_length=2, blank=True, db_index=True)
    scored_at = models.DateTimeField(null=True, blank=True, help_text="When the scores were last computed")
    # Set by a sales rejection: subtracted from interest (an explanation line says so) and the
    # person cannot become MQL again before the cool-down ends.
    interest_penalty = models.FloatField(default=0)
    mql_blocked_until = models.DateTimeField(null=True, blank=True)
    is_test = models.BooleanField(default=False)
    is_competitor = models.BooleanField(default=False)
    is_personal_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "people"
        ordering = ["-created_at"]
        indexes = [
            # The sales lists page by keyset on (sort value, id): each sortable column has its index.
            models.Index(Lower("last_name"), "id", name="leads_person_name_sort"),
            models.Index(fields=["grade", "id"], name="leads_person_grade_sort"),
            models.Index(fields=["stage", "id"], name="leads_person_stage_sort"),
            models.Index(models.F("fit_score") + models.F("interest_score"), "id", name="leads_person_score_sort"),
            # A rep's and a team's lists: the people they own, newest first.
            models.Index(fields=["owner", "created_at"], name="leads_person_owner_recent"),
        ]
        # The sales workspace's rights (roles are groups holding them; see sales/roles.py). Seeing a
        # listing and seeing whom it is about are separate, and so is taking a list out of the building.
        permissions = [
            ("view_personal_data", "Can see people's email addresses and phone numbers"),
            ("export_people", "Can export lead lists (CSV/XLSX)"),
            ("work_leads", "Can accept, reject, reassign and move people along the funnel"),
            ("view_team_people", "Can see the people owned by their sales team"),
            ("view_all_people", "Can see everybody in the lead store, whoever owns them"),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    @property
    def pid(self):
        return f"PID-{self.pk}"


class VisitorLink(Record):
    """A first-party visitor id (cookie) known to belong to a person.

    A shared browser can identify as several people over time: each gets its own link, and
    interactions carry the person they were recorded for, so every history stays correct.
    """

    visitor_id = models.CharField(max_length=64, db_index=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="visitor_links")
    first_linked_at = models.DateTimeField(auto_now_add=True)
    last_linked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visitor_id", "person"], name="leads_visitor_person_unique")]

    def __str__(self):
        return f"{self.visitor_id} -> {self.person_id}"


class PersonMerge(Record):
    """The log of two people merged into one (the older id is kept)."""

    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges")
    merged_person_id = models.BigIntegerField()
    merged_email = models.EmailField(max_length=254)
    snapshot = models.JSONField(help_text="The merged person's fields as they were")
    moved = models.JSONField(default=dict, help_text="How many rows of each kind were moved")
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self):
        return f"PID-{self.merged_person_id} ({self.merged_email}) merged into PID-{self.kept_id}"


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
            models.Index(fields=["status"], name="leads_lead_unprocessed",
                         condition=models.Q(status__in=["received", "failed"])),
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
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li><strong>{}</strong>: {}</li>", ((f["code"], f["reason"]) for f in self.flags)))

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
        EMAIL_OPEN = "email_open", "Email open"
        EMAIL_CLICK = "email_click", "Email click"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"

    # Not limited to the choices above: new kinds of interaction need no migration.
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions")
    visitor_id = models.CharField(max_length=64, blank=True)
    object_type = models.CharField(max_length=40, blank=True, help_text="e.g. whitepaper, event, form")
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    # ",ai,banking," : topic slugs of the object, comma-wrapped so a rule matches one with LIKE.
    object_topics = models.CharField(max_length=500, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["person", "occurred_at"], name="leads_interaction_person_time"),
            models.Index(fields=["type", "occurred_at"], name="leads_interaction_type_time"),
            models.Index(fields=["visitor_id", "occurred_at"], name="leads_interaction_visitor"),
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

    def __str__(self):
        return f"{self.from_stage or '-'} -> {self.to_stage} ({self.get_reason_type_display()})"


class ScoringRule(models.Model):
    """A marketer-editable rule. Fit rules look at who a person is; interest rules at what they did.

    Negative points make negative rules (competitor, student, personal email, unsubscribed).
    """

    class Kind(models.TextChoices):
        FIT = "fit", "Fit (who they are)"
        INTEREST = "interest", "Interest (what they did)"

    class Attribute(models.TextChoices):
        SENIORITY = "seniority", "Person: seniority"
        JOB_TITLE = "job_title", "Person: job title"
        COUNTRY = "country", "Person: country"
        CONSENT = "consent", "Person: consent"
        PERSONAL_EMAIL = "is_personal_email", "Person: uses a personal email"
        COMPETITOR = "is_competitor", "Person: works for a competitor"
        DO_NOT_CONTACT = "do_not_contact", "Person: do not contact"
        COMPANY_INDUSTRY = "company__industry", "Company: industry"
        COMPANY_EMPLOYEES = "company__employee_count", "Company: employees"
        COMPANY_BAND = "company__employee_band", "Company: employee band"
        COMPANY_COUNTRY = "company__country", "Company: country"
        COMPANY_FUNDING = "company__funding_stage", "Company: funding stage"
        COMPANY_KEY_ACCOUNT = "company__is_key_account", "Company: key account"

    class Operator(models.TextChoices):
        IN = "in", "is one of"
        NOT_IN = "not_in", "is none of"
        CONTAINS = "contains", "contains any of"
        GTE = "gte", "is at least"
        LTE = "lte", "is at most"
        IS_TRUE = "is_true", "is true"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    points = models.IntegerField(help_text="Negative for negative rules")

    attribute = models.CharField(max_length=40, choices=Attribute.choices, blank=True, help_text="Fit rules")
    operator = models.CharField(max_length=10, choices=Operator.choices, blank=True)
    value = models.CharField(
        max_length=500,
        blank=True,
        help_text="Comma-separated for lists (banking, insurance); a number for at least/at most",
    )

    interaction_type = models.CharField(max_length=40, blank=True, help_text="Interest rules, e.g. content_download")
    object_type = models.CharField(max_length=40, blank=True, help_text="Only interactions with this kind of object")
    object_id = models.CharField(max_length=64, blank=True, help_text="Only this object (e.g. one whitepaper)")
    topic = models.SlugField(max_length=100, blank=True, help_text="Only objects with this topic")
    cap_points = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many points from this rule per period"
    )
    cap_period_days = models.PositiveIntegerField(default=30)
    half_life_days = models.FloatField(
        null=True, blank=True, help_text="Points halve every this many days; empty for no decay"
    )
    lookback_days = models.PositiveIntegerField(
        default=365, help_text="Interactions older than this give no points"
    )

    panels = [
        FieldPanel("name"), FieldPanel("kind"), FieldPanel("is_active"), FieldPanel("points"),
        MultiFieldPanel([FieldPanel("attribute"), FieldPanel("operator"), FieldPanel("value")],
                        heading="Fit condition"),
        MultiFieldPanel(
            [FieldPanel("interaction_type"), FieldPanel("object_type"), FieldPanel("object_id"), FieldPanel("topic"),
             FieldPanel("cap_points"), FieldPanel("cap_period_days"), FieldPanel("half_life_days"),
             FieldPanel("lookback_days")],
            heading="Interest condition",
        ),
    ]

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} ({self.points:+d})"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.kind == self.Kind.FIT:
            if not self.attribute:
                errors["attribute"] = "A fit rule needs an attribute."
            if not self.operator:
                errors["operator"] = "A fit rule needs an operator."
            elif self.operator in {self.Operator.GTE, self.Operator.LTE}:
                try:
                    float(self.value)
                except ValueError:
                    errors["value"] = "Enter a number for 'is at least' and 'is at most'."
            elif self.operator != self.Operator.IS_TRUE and not self.value_list:
                errors["value"] = "Enter at least one value."
        elif self.kind == self.Kind.INTEREST and not self.interaction_type:
            errors["interaction_type"] = "An interest rule needs an interaction type."
        if self.cap_points is not None and self.points and self.cap_points < abs(self.points):
            errors["cap_points"] = "The cap must be at least the rule's points."
        if self.half_life_days is not None and self.half_life_days <= 0:
            errors["half_life_days"] = "The half-life must be more than zero days."
        if errors:
            raise ValidationError(errors)

    @property
    def value_list(self):
        return [item.strip().lower() for item in self.value.split(",") if item.strip()]

    @property
    def cap_count(self):
        """How many interactions per period count under the cap (None: no cap)."""
        if self.cap_points is None or not self.points:
            return None
        return max(1, self.cap_points // abs(self.points))


class SalesRep(models.Model):
    """A salesperson who can be assigned leads: territory, weight in the round-robin, availability."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_rep")
    team = models.CharField(max_length=100, default="Inbound", help_text="Round-robin happens within a team")
    territories = models.CharField(
        max_length=500, blank=True, help_text="Countries this rep covers, comma-separated (DE, AT, CH); empty: any"
    )
    weight = models.PositiveSmallIntegerField(default=1, help_text="2 gets twice the leads of 1")
    is_active = models.BooleanField(default=True, help_text="Untick while away: the round-robin skips them")
    assigned_count = models.PositiveIntegerField(default=0, editable=False)

    panels = [FieldPanel("user"), FieldPanel("team"), FieldPanel("territories"), FieldPanel("weight"),
              FieldPanel("is_active")]

    class Meta:
        ordering = ["team", "user__username"]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()

    @property
    def territory_list(self):
        return [code.strip().upper() for code in self.territories.split(",") if code.strip()]


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


def _lines(text: str) -> list[str]:
    return [line.strip().lower() for line in (text or "").splitlines() if line.strip()]


@register_setting(icon="user")
class LeadStoreSettings(BaseGenericSetting):
    """How incoming leads are cleaned. Editable by marketing operations under Settings."""

    duplicate_window_minutes = models.PositiveIntegerField(
        default=60 * 24,
        help_text="A second lead from the same person and source within this many minutes is a duplicate",
    )
    test_patterns = models.TextField(
        default="test\nasdf\nqwerty\nfoo\nfake\nexample.com\nexample.org\nexample.net\ntest.com",
        help_text="One per line. A word matches names and the email's local part as a whole word; "
        "an entry with a dot matches the email domain.",
    )
    competitor_domains = models.TextField(blank=True, help_text="One domain per line, e.g. rival.com")
    extra_disposable_domains = models.TextField(
        blank=True, help_text="One per line, on top of the built-in list of throwaway-mailbox domains"
    )
    extra_free_mail_domains = models.TextField(
        blank=True, help_text="One per line, on top of the built-in list (gmail.com, outlook.com, ...)"
    )

    fit_a_min = models.IntegerField(default=60, help_text="Fit score for grade A")
    fit_b_min = models.IntegerField(default=40, help_text="Fit score for grade B")
    fit_c_min = models.IntegerField(default=20, help_text="Fit score for grade C (below: D)")
    interest_1_min = models.FloatField(default=60, help_text="Interest score for 1")
    interest_2_min = models.FloatField(default=30, help_text="Interest score for 2")
    interest_3_min = models.FloatField(default=10, help_text="Interest score for 3 (below: 4)")
    mql_grades = models.CharField(
        max_length=100, default="A1,A2,B1", help_text="Grades that make a person marketing qualified"
    )
    mql_min_total = models.IntegerField(
        null=True, blank=True, help_text="Or: fit + interest at least this much (empty: grades only)"
    )

    reject_penalty = models.PositiveIntegerField(
        default=20, help_text="Interest points taken off when sales reject a lead"
    )
    reject_cooldown_days = models.PositiveIntegerField(
        default=30, help_text="Days before a rejected person can become MQL again"
    )

    panels = [
        FieldPanel("duplicate_window_minutes"),
        MultiFieldPanel(
            [FieldPanel("test_patterns"), FieldPanel("competitor_domains"),
             FieldPanel("extra_disposable_domains"), FieldPanel("extra_free_mail_domains")],
            heading="Cleaning lists",
        ),
        MultiFieldPanel(
            [FieldPanel("fit_a_min"), FieldPanel("fit_b_min"), FieldPanel("fit_c_min"), FieldPanel("interest_1_min"),
             FieldPanel("interest_2_min"), FieldPanel("interest_3_min")],
            heading="Grades: fit A-D x interest 1-4",
        ),
        MultiFieldPanel([FieldPanel("mql_grades"), FieldPanel("mql_min_total")], heading="Marketing qualified"),
        MultiFieldPanel([FieldPanel("reject_penalty"), FieldPanel("reject_cooldown_days")], heading="Sales rejection"),
    ]

    class Meta:
        verbose_name = "lead store settings"

    @property
    def test_pattern_list(self):
        return _lines(self.test_patterns)

    @property
    def competitor_domain_list(self):
        return _lines(self.competitor_domains)

    @property
    def extra_disposable_domain_list(self):
        return _lines(self.extra_disposable_domains)

    @property
    def extra_free_mail_domain_list(self):
        return _lines(self.extra_free_mail_domains)
