"""The filters of the people, companies and leads lists (django-filter through Wagtail's WagtailFilterSet).

The same filter sets choose the rows of the admin listing, of an export and of a saved filter
(sales.selectors.list_queryset), so a list, its saved filter and its export can never disagree.

Query strings are hostile input: a malformed value (`score_min=abc`, `source=zzz`, `owner=999999`,
`date_from=2026-13-45`) is an error on its field and that one filter is left out; the others still
apply. Relative values stay relative (`period=this_week`, `owner=me`): a saved filter means the same
next Monday and for whoever applies it.

Parameter names (others rely on them):
- people: source (`content:42`, `event:7`, `form:12`), junk (`include`), period, date_from, date_to, grade
  (multiple), score_min, score_max, stage (multiple), owner (a user id, `me` or `none`), country,
  industry, company_size (multiple each), utm_campaign, verdict, consent, is_test; behaviour (with
  behaviour_value, behaviour_times, behaviour_days: sales.behaviour_filter); `q` searches
  (sales.selectors); tag (multiple: slugs, sales.tag_filter); j_* (a report's drill-down: j_channel,
  j_created_from, j_reached, ...: sales.journey_filter).
- companies: source, junk, industry, company_size, country, owner, grade, is_key_account, tag (someone has it).
- leads: source, origin_type, period, date_from, date_to, grade, stage, owner, country, industry,
  company_size, utm_campaign, verdict, status, score_min, score_max, behaviour (of the lead's person).

A source's list (a whitepaper's, event's or form's lead list) leaves its junk out unless `junk=include`:
people whose every lead of that source was flagged by cleaning (test data, competitor, disposable or
invalid address, duplicate, ...) and people marked as test data or competitors (docs/lead-store.md).
The filter menu lists first what reps filter by (FIRST_FILTERS), then the rest.

The menus' choices and the parsing of a source are in sales.filter_choices; the fields and filters that
say what a value may be (and the junk filter) in sales.filter_fields.
"""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries import countries
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.widgets import AdminDateInput, BooleanRadioSelect

from leads.models import EMPLOYEE_BANDS, Company, Consent, Lead, Person, Stage
from sales.access import scope_for
from sales.behaviour_filter import behaviour_filter
from sales.filter_choices import industry_choices, owner_choices, parse_source, source_choices
from sales.filter_fields import (
    JUNK_INCLUDED,
    CodesFilter,
    DateBoundFilter,
    FreeValuesFilter,
    OwnerFilter,
    ScoreFilter,
    SourceFilter,
    junk_filter,
)
from sales.journey_filter import journey_filter
from sales.tag_filter import company_tagged, tag_filter, tagged

GRADES = [(f"{fit}{interest}", f"{fit}{interest}") for fit in "ABCD" for interest in "1234"]
PERIODS = [
    ("today", "Today"),
    ("this_week", "This week"),
    ("last_7_days", "Last 7 days"),
    ("this_month", "This month"),
    ("last_30_days", "Last 30 days"),
    ("this_quarter", "This quarter"),
    ("last_90_days", "Last 90 days"),
    ("this_year", "This year"),
]
# What reps filter by: first in the filter menu (on a laptop's screen, without scrolling).
FIRST_FILTERS = ("stage", "grade", "owner", "source", "junk", "period", "date_from", "date_to")


# --- Periods ----------------------------------------------------------------------------------------
def period_start(period: str, now=None):
    """When `period` began, in the site's time zone: the week starts on Monday, "last 7 days" is today
    and the six days before it."""
    now = timezone.localtime(now or timezone.now())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {
        "today": lambda: today,
        "this_week": lambda: today - timedelta(days=today.weekday()),
        "last_7_days": lambda: today - timedelta(days=6),
        "this_month": lambda: today.replace(day=1),
        "last_30_days": lambda: today - timedelta(days=29),
        "this_quarter": lambda: today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1),
        "last_90_days": lambda: today - timedelta(days=89),
        "this_year": lambda: today.replace(month=1, day=1),
    }
    start = starts[period]()
    # Re-attach the zone for the new wall-clock time (a month ago may be the other side of a DST change).
    return timezone.make_aware(start.replace(tzinfo=None))


def day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


# --- A source's lead list ---------------------------------------------------------------------------------
CONVERTED_LEAD = "_converted_lead"
CONVERTED_VERDICT = "_converted_verdict"


def first_conversions(people, origin_type: str, origin_id: str, *, junk_included: bool):
    """`people` who converted on one whitepaper, event or form, each with `converted_at`: the time of
    their first lead of it (flagged leads and people marked as test data or competitors left out unless
    `junk_included`).

    Each person is joined to exactly that first lead: the join keeps the leads of the source that have
    no earlier one of the same person (ties broken by the lead's pk, so one lead per person, never two).
    `converted_at` is then a column of the lead, so a page in conversion order walks the
    (origin_type, origin_id, received_at) index from its end and stops after 51 people, and a deep page
    starts from its cursor in that index. A correlated subquery per person instead had to compute the
    first conversion of every one of 100,000 people and sort them all for every page."""
    of_source = {"origin_type": origin_type, "origin_id": origin_id}
    people = people.filter(**{f"leads__{name}": value for name, value in of_source.items()})
    # Annotations on the joined lead reuse the join the filter made (one row per lead, not a second join).
    people = people.annotate(
        converted_at=F("leads__received_at"),
        **{CONVERTED_LEAD: F("leads__pk"), CONVERTED_VERDICT: F("leads__verdict")},
    )
    earlier = Lead.objects.filter(person=OuterRef("pk"), **of_source).filter(
        Q(received_at__lt=OuterRef("converted_at"))
        | Q(received_at=OuterRef("converted_at"), pk__lt=OuterRef(CONVERTED_LEAD))
    )
    if not junk_included:
        people = people.filter(is_test=False, is_competitor=False).exclude(**{CONVERTED_VERDICT: Lead.Verdict.FLAGGED})
        earlier = earlier.exclude(verdict=Lead.Verdict.FLAGGED)
    return people.filter(~Exists(earlier))


# --- Filter sets --------------------------------------------------------------------------------------
class ListFilterForm(forms.Form):
    """Cross-field checks: an empty range is a mistake worth saying, not an empty list."""

    def clean(self):
        data = super().clean()
        checks = [
            ("date_from", "date_to", "The end date is before the start date."),
            ("score_min", "score_max", "The maximum score is below the minimum."),
        ]
        for low, high, message in checks:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, message)
                data.pop(low, None)  # the range is the mistake: neither end applies alone
        return data


class ListFilterSet(WagtailFilterSet):
    """Knows who is asking (`owner=me`, and which people count for a company's grade)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        self.user = user if user is not None else getattr(request, "user", None)
        super().__init__(data, queryset, request=request, prefix=prefix)
        for name, choices in (("owner", owner_choices), ("source", source_choices), ("industry", industry_choices)):
            if name in self.filters:
                self.filters[name].extra["choices"] = choices  # a callable: only run when used
        first = [name for name in FIRST_FILTERS if name in self.filters]
        self.filters = {
            **{name: self.filters[name] for name in first},
            **{name: item for name, item in self.filters.items() if name not in first},
        }

    def noop(self, queryset, name, value):
        return queryset  # applied together with its partners in filter_queryset

    @property
    def junk_included(self) -> bool:
        return getattr(self.form, "cleaned_data", {}).get("junk") == JUNK_INCLUDED

    def filter_owner(self, queryset, name, value):
        field = f"{self.owner_path}owner"
        if value == "me":
            user_id = getattr(self.user, "pk", None)
            return queryset.filter(**{f"{field}_id": user_id}) if user_id else queryset.none()
        if value == "none":
            return queryset.filter(**{f"{field}__isnull": True})
        return queryset.filter(**{f"{field}_id": int(value)})

    owner_path = ""


class PersonAttributesFilterSet(ListFilterSet):
    """The filters on a person and their company, shared by the people and the leads lists.

    `person_path` leads from a row to its person ("" on people, "person__" on leads); `lead_level` says
    whether a row is a lead (source, campaign and verdict are the row's own) or a person (then they
    mean "has at least one lead with ...", an EXISTS that never duplicates a person).
    """

    person_path = ""
    lead_level = False
    own_date_field = "created_at"

    source = SourceFilter(label="Source (whitepaper, event or form)", method="filter_source", empty_label="All")
    period = django_filters.ChoiceFilter(
        label="Period", choices=PERIODS, method="noop", empty_label="Any time", widget=forms.RadioSelect
    )
    date_from = DateBoundFilter(label="From (date)", method="noop", widget=AdminDateInput)
    date_to = DateBoundFilter(label="To (date, inclusive)", method="noop", widget=AdminDateInput)
    grade = CodesFilter(label="Grade", choices=GRADES, method="filter_in", widget=forms.CheckboxSelectMultiple)
    score_min = ScoreFilter(label="Score at least (fit + interest)", method="filter_score")
    score_max = ScoreFilter(label="Score at most (fit + interest)", method="filter_score")
    stage = django_filters.MultipleChoiceFilter(
        label="Stage", choices=Stage.choices, method="filter_in", widget=forms.CheckboxSelectMultiple
    )
    owner = OwnerFilter(label="Owner", method="filter_owner", empty_label="Anybody")
    country = CodesFilter(
        label="Country", choices=list(countries), method="filter_in", widget=forms.SelectMultiple(attrs={"size": 6})
    )
    industry = FreeValuesFilter(label="Industry", method="filter_in", widget=forms.CheckboxSelectMultiple)
    company_size = django_filters.MultipleChoiceFilter(
        label="Company size", choices=EMPLOYEE_BANDS, method="filter_in", widget=forms.CheckboxSelectMultiple
    )
    utm_campaign = django_filters.CharFilter(label="UTM campaign", method="filter_campaign", max_length=255)
    tag = tag_filter()  # has any of these tags (sales.tag_filter)
    behaviour = behaviour_filter()  # what the person did, N times in D days (sales.behaviour_filter)
    verdict = django_filters.ChoiceFilter(
        label="Cleaning verdict",
        choices=Lead.Verdict.choices,
        method="filter_verdict",
        empty_label="All",
        widget=forms.RadioSelect,
    )

    # The row's column for each multiple-choice filter, from the person.
    IN_FIELDS = {
        "grade": "grade",
        "stage": "stage",
        "country": "country",
        "industry": "company__industry",
        "company_size": "company__employee_band",
    }

    class Meta:
        form = ListFilterForm
        fields = []

    @property
    def owner_path(self):
        return self.person_path

    def filter_in(self, queryset, name, value):
        return queryset.filter(**{f"{self.person_path}{self.IN_FIELDS[name]}__in": value})

    def filter_score(self, queryset, name, value):
        if "score" not in queryset.query.annotations:
            path = self.person_path
            queryset = queryset.annotate(score=F(f"{path}fit_score") + F(f"{path}interest_score"))
        lookup = "score__gte" if name == "score_min" else "score__lte"
        return queryset.filter(**{lookup: float(value)})

    def _leads(self, **conditions):
        """The leads of the row's person matching `conditions`, for an EXISTS."""
        return Lead.objects.filter(person=OuterRef("pk"), **conditions)

    def filter_source(self, queryset, name, value):
        origin_type, origin_id = parse_source(value)
        if self.lead_level:
            return queryset.filter(origin_type=origin_type, origin_id=origin_id)
        return first_conversions(queryset, origin_type, origin_id, junk_included=self.junk_included)

    def lead_list_junk(self, queryset):
        """Of a lead list with its junk included, the people who are on it only as junk: marked as test data
        or competitors, or whose every lead of that source was flagged (then their first one was too).

        Two queries joined by UNION rather than one OR: each half starts from a few rows through its own
        small index (leads_person_junk, leads_lead_origin_flagged), where an OR across the person and
        their lead would test every one of the list's 100,000 people to find that none is junk."""
        origin_type, origin_id = parse_source(self.form.cleaned_data["source"])
        clean = self._leads(origin_type=origin_type, origin_id=origin_id).exclude(verdict=Lead.Verdict.FLAGGED)
        marked = queryset.filter(Q(is_test=True) | Q(is_competitor=True))
        flagged_only = queryset.filter(**{CONVERTED_VERDICT: Lead.Verdict.FLAGGED}).filter(~Exists(clean))
        return marked.order_by().values("pk").union(flagged_only.order_by().values("pk"))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tagged(value, person_path=self.person_path))

    def filter_campaign(self, queryset, name, value):
        campaign = value.strip().lower()
        if not campaign:
            return queryset
        if self.lead_level:
            return queryset.alias(_campaign=Lower("utm_campaign")).filter(_campaign=campaign)
        leads = Lead.objects.alias(_campaign=Lower("utm_campaign")).filter(person=OuterRef("pk"), _campaign=campaign)
        return queryset.filter(Exists(leads))

    def filter_verdict(self, queryset, name, value):
        if self.lead_level:
            return queryset.filter(verdict=value)
        return queryset.filter(Exists(self._leads(verdict=value)))

    def date_field(self, queryset) -> str:
        """The list's date: the conversion when a source is chosen, else the row's own date."""
        return "converted_at" if "converted_at" in queryset.query.annotations else self.own_date_field

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        field = self.date_field(queryset)
        if data.get("period"):
            queryset = queryset.filter(**{f"{field}__gte": period_start(data["period"])})
        if data.get("date_from"):
            queryset = queryset.filter(**{f"{field}__gte": day_start(data["date_from"])})
        if data.get("date_to"):
            queryset = queryset.filter(**{f"{field}__lt": day_start(data["date_to"] + timedelta(days=1))})
        return queryset


class PeopleFilterSet(PersonAttributesFilterSet):
    junk = junk_filter()
    consent = django_filters.ChoiceFilter(
        label="Consent", choices=Consent.choices, empty_label="All", widget=forms.RadioSelect
    )
    is_test = django_filters.BooleanFilter(label="Test data", widget=BooleanRadioSelect)
    j = journey_filter()  # a report's drill-down: the people its number counts (sales.journey_filter)

    class Meta(PersonAttributesFilterSet.Meta):
        model = Person


class LeadFilterSet(PersonAttributesFilterSet):
    person_path = "person__"
    lead_level = True
    own_date_field = "received_at"

    origin_type = django_filters.ChoiceFilter(
        label="Origin", choices=Lead.OriginType.choices, empty_label="All", widget=forms.RadioSelect
    )
    status = django_filters.ChoiceFilter(
        label="Processing", choices=Lead.Status.choices, empty_label="All", widget=forms.RadioSelect
    )

    class Meta(PersonAttributesFilterSet.Meta):
        model = Lead


class CompanyFilterSet(ListFilterSet):
    source = SourceFilter(
        label="Source (someone converted on a whitepaper, event or form)", method="filter_source", empty_label="All"
    )
    junk = junk_filter()
    # A company's own columns: no join, so no DISTINCT (django-filter's default for multiple choices).
    industry = FreeValuesFilter(
        label="Industry", field_name="industry", distinct=False, widget=forms.CheckboxSelectMultiple
    )
    company_size = django_filters.MultipleChoiceFilter(
        label="Company size",
        choices=EMPLOYEE_BANDS,
        field_name="employee_band",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    country = CodesFilter(
        label="Country",
        choices=list(countries),
        field_name="country",
        distinct=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    owner = OwnerFilter(label="Owner", method="filter_owner", empty_label="Anybody")
    grade = CodesFilter(
        label="Has someone graded", choices=GRADES, method="filter_grade", widget=forms.CheckboxSelectMultiple
    )
    is_key_account = django_filters.BooleanFilter(label="Key account", widget=BooleanRadioSelect)
    tag = tag_filter(label="Has someone tagged")

    class Meta:
        model = Company
        form = ListFilterForm
        fields = []

    def filter_grade(self, queryset, name, value):
        # Only the people the user may see: a rep's company "has an A1" when one of *their* people is.
        people = Person.objects.filter(company=OuterRef("pk"), grade__in=value)
        condition = scope_for(self.user).owner_q()
        if condition is not None:
            people = people.filter(condition)
        return queryset.filter(Exists(people))

    def filter_tag(self, queryset, name, value):
        # Only the people the user may see, as for grades.
        return queryset.filter(company_tagged(value, scope_for(self.user).owner_q("person__")))

    def filter_source(self, queryset, name, value):
        """Companies with someone on that source's lead list (in the user's view, junk left out as there)."""
        origin_type, origin_id = parse_source(value)
        leads = Lead.objects.filter(person__company=OuterRef("pk"), origin_type=origin_type, origin_id=origin_id)
        if not self.junk_included:
            leads = leads.exclude(verdict=Lead.Verdict.FLAGGED).filter(
                person__is_test=False, person__is_competitor=False
            )
        condition = scope_for(self.user).owner_q("person__")
        if condition is not None:
            leads = leads.filter(condition)
        return queryset.filter(Exists(leads))


FILTERSETS = {"people": PeopleFilterSet, "companies": CompanyFilterSet, "leads": LeadFilterSet}


def filter_param_names(list_name: str) -> set[str]:
    """The query-string keys that choose a list's rows (its filters and the search `q`); anything else
    in a saved query string is noise."""
    return {*FILTERSETS[list_name].base_filters, "q"}


__all__ = [
    "FILTERSETS",
    "PeopleFilterSet",
    "CompanyFilterSet",
    "LeadFilterSet",
    "filter_param_names",
    "period_start",
    "django_filters",
]
