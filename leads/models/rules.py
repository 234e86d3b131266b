"""What marketing operations edit: scoring rules, the sales reps leads are routed to, and the lead
store's settings (cleaning lists, grade thresholds, what makes an MQL, what a rejection costs)."""

from django.conf import settings
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


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
        TAGS = "tags", "Person: has tag"  # values are tag slugs (or names); "is true": has any tag
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

    interaction_type = models.CharField(
        max_length=40,
        blank=True,
        help_text="Interest rules: page_view, content_download, form_submit, event_registered, event_attended, "
        "email_click, custom_event (with the event's name as object id, e.g. trial_started), ...",
    )
    object_type = models.CharField(max_length=40, blank=True, help_text="Only interactions with this kind of object")
    object_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="Only this object: a whitepaper's id, a page's slug (pricing), a custom event's name",
    )
    topic = models.SlugField(max_length=100, blank=True, help_text="Only objects with this topic")
    cap_points = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many points from this rule per period"
    )
    cap_period_days = models.PositiveIntegerField(default=30)
    half_life_days = models.FloatField(
        null=True, blank=True, help_text="Points halve every this many days; empty for no decay"
    )
    lookback_days = models.PositiveIntegerField(default=365, help_text="Interactions older than this give no points")

    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("is_active"),
        FieldPanel("points"),
        MultiFieldPanel(
            [FieldPanel("attribute"), FieldPanel("operator"), FieldPanel("value")], heading="Fit condition"
        ),
        MultiFieldPanel(
            [
                FieldPanel("interaction_type"),
                FieldPanel("object_type"),
                FieldPanel("object_id"),
                FieldPanel("topic"),
                FieldPanel("cap_points"),
                FieldPanel("cap_period_days"),
                FieldPanel("half_life_days"),
                FieldPanel("lookback_days"),
            ],
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
            if self.attribute == self.Attribute.TAGS and self.operator in {self.Operator.GTE, self.Operator.LTE}:
                errors["operator"] = "For tags, choose 'is one of', 'is none of', 'contains any of' or 'is true'."
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

    panels = [
        FieldPanel("user"),
        FieldPanel("team"),
        FieldPanel("territories"),
        FieldPanel("weight"),
        FieldPanel("is_active"),
    ]

    class Meta:
        ordering = ["team", "user__username"]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()

    @property
    def territory_list(self):
        return [code.strip().upper() for code in self.territories.split(",") if code.strip()]


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
            [
                FieldPanel("test_patterns"),
                FieldPanel("competitor_domains"),
                FieldPanel("extra_disposable_domains"),
                FieldPanel("extra_free_mail_domains"),
            ],
            heading="Cleaning lists",
        ),
        MultiFieldPanel(
            [
                FieldPanel("fit_a_min"),
                FieldPanel("fit_b_min"),
                FieldPanel("fit_c_min"),
                FieldPanel("interest_1_min"),
                FieldPanel("interest_2_min"),
                FieldPanel("interest_3_min"),
            ],
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
