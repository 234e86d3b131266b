"""Visitors, segments with their rules, and per-variant statistics."""

from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable
from wagtail.search import index

from core.models import Record

from .rules import FACT_CHOICES, OPERATOR_CHOICES, parse_rule


class Visitor(Record):
    """One browser, by its first-party cookie. Written once per visit (not per page view)."""

    visitor_id = models.CharField(max_length=64, unique=True)
    # Set when the visitor is identified (form fill, tracked link); read with the visitor in one query.
    person = models.ForeignKey("leads.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    visit_count = models.PositiveIntegerField(default=1)
    page_views = models.PositiveIntegerField(default=0)
    first_utm_source = models.CharField(max_length=255, blank=True)
    first_utm_medium = models.CharField(max_length=255, blank=True)
    first_utm_campaign = models.CharField(max_length=255, blank=True)
    last_utm_source = models.CharField(max_length=255, blank=True)
    last_utm_medium = models.CharField(max_length=255, blank=True)
    last_utm_campaign = models.CharField(max_length=255, blank=True)
    first_referrer_domain = models.CharField(max_length=253, blank=True)
    last_referrer_domain = models.CharField(max_length=253, blank=True)
    landing_page = models.CharField(max_length=500, blank=True)
    device_type = models.CharField(max_length=20, blank=True)
    os = models.CharField(max_length=50, blank=True)
    browser = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=2, blank=True)
    topics_viewed = models.JSONField(default=dict, blank=True, help_text="topic slug -> pages viewed")
    industries_viewed = models.JSONField(default=dict, blank=True, help_text="industry slug -> pages viewed")
    pages_viewed = models.JSONField(default=dict, blank=True, help_text="page id -> views (latest 100 pages)")
    seen_variants = models.JSONField(default=dict, blank=True, help_text="variants seen since the last form fill")

    class Meta:
        indexes = [models.Index(fields=["person"], name="pz_visitor_person")]

    def __str__(self):
        return self.visitor_id


class Segment(index.Indexed, ClusterableModel):
    """A group of visitors defined by rules; a personalised block shows a variant per segment."""

    class Match(models.TextChoices):
        ALL = "all", "All rules (and)"
        ANY = "any", "Any rule (or)"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive segments match nobody")
    priority = models.IntegerField(
        default=0, help_text="When a visitor is in several segments, a block shows the variant of the highest priority"
    )
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    updated_at = models.DateTimeField(auto_now=True)

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self):
        return self.name


class SegmentRule(Orderable):
    segment = ParentalKey(Segment, on_delete=models.CASCADE, related_name="rules")
    fact = models.CharField(max_length=40, choices=FACT_CHOICES)
    operator = models.CharField(max_length=10, choices=OPERATOR_CHOICES)
    value = models.CharField(max_length=500, blank=True, help_text="Several values: separate with commas")
    negate = models.BooleanField(default=False, verbose_name="not", help_text="Turns the rule round")
    # Behaviour rules only ("visited /pricing/ at least 2 times in the last 7 days"); other rules leave both empty.
    times = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="at least (times)", help_text="What someone did: empty = once"
    )
    days = models.PositiveIntegerField(
        null=True, blank=True, verbose_name="in the last (days)", help_text="What someone did: empty = ever"
    )

    panels = [
        FieldRowPanel([FieldPanel("fact"), FieldPanel("operator"), FieldPanel("negate")]),
        FieldPanel("value"),
        FieldRowPanel([FieldPanel("times"), FieldPanel("days")]),
    ]

    def clean(self):
        self.parsed()  # a ValidationError names the field: fact, operator, value, times or days

    def parsed(self):
        return parse_rule(self.fact, self.operator, self.value, self.negate, self.times, self.days)

    def __str__(self):
        text = f"{'not ' if self.negate else ''}{self.get_fact_display()} {self.get_operator_display()} {self.value}"
        text = text.rstrip()
        if self.times and self.times > 1:
            text += f", {self.times}+ times"
        return text + (f", in the last {self.days} days" if self.days else "")


class VariantStat(models.Model):
    """Impressions, CTA clicks and conversions of one variant (or the default) of a personalised block, per day."""

    day = models.DateField()
    page_id = models.PositiveIntegerField()
    block = models.CharField(max_length=80, help_text="The personalised block's name")
    segment_id = models.PositiveIntegerField(default=0, help_text="0 for the default")
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "page_id", "block", "segment_id"], name="pz_variant_stat_unique")
        ]
        indexes = [models.Index(fields=["page_id", "block"], name="pz_stat_page_block")]

    def __str__(self):
        return f"{self.day} page {self.page_id} {self.block} segment {self.segment_id or 'default'}"
