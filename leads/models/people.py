"""Who: companies and their domains, people, the visitor ids known to be theirs, merges; and the
choices (stages, seniority, consent, employee bands, funding stages) the lead store describes them with."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

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
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
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
    tags = models.ManyToManyField("leads.Tag", through="leads.PersonTag", related_name="people", blank=True)
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
            ("tag_people", "Can add and remove tags on people"),
            ("qualify_by_phone", "Can work the telemarketing queue: record calls, mark MQL or disqualify"),
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
