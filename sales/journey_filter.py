"""The people list's journey filter: the people a report's number counts, so a drill-down shows them.

A count in a report (reports.funnel, reports.channel_quality, the dashboard) links here with the same
filters, read from the person's journey row (`Person.journey`, the reports app's PersonJourney rollup:
how they came, who they are, when they first reached each stage). One filter, parameters `j_*`
(a SuffixedMultiWidget, as the behaviour filter is):

- how they came and who they are: j_channel, j_source, j_medium, j_campaign, j_referrer,
  j_form (`form:12`, `content:42`, `event:7`: the first capture), j_industry, j_country, j_owner (a user
  id), j_team; the value `(not set)` means the column is empty (a channel table's "(not set)" row);
- the cohort: j_created_from / j_created_to (days, inclusive, the site's time zone);
- reached: j_reached = mql | sql | opportunity | customer (reached it or a later stage, ever) or
  recycled | returned, with j_reached_from / j_reached_to bounding when, and j_returned=yes (of the
  recycled, those who came back).

Test and competitor people (the journey's `is_excluded`) are left out whenever the filter is used,
as every report leaves them out. Scope is the list's own (sales.access), which the reports share.

Sales must not import the reports app (reports depends on sales), so the filter reaches the journey
through the reverse relation's name only: lookups, no import. A malformed part is an error naming its
parameter, and the filter is left out (the list's rule for hostile query strings).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.widgets import SuffixedMultiWidget
from wagtail.admin.active_filters import ActiveFilter, BaseFilterAdapter, register_filter_adapter_class

from sales.filter_fields import FIRST_YEAR, LAST_YEAR

NAME = "j"
RELATION = "journey"  # Person.journey: reports.models.PersonJourney's OneToOne to the person
NOT_SET = "(not set)"  # the value that means "empty": what a report shows for a blank source, medium, ...
MAX_TEXT = 255
REACHED = {
    # j_reached value: (journey column, label)
    "mql": ("mql_at", "MQL"),
    "sql": ("sql_at", "SQL"),
    "opportunity": ("opportunity_at", "opportunity"),
    "customer": ("customer_at", "customer"),
    "recycled": ("recycled_at", "recycled"),
    "returned": ("returned_at", "came back after recycling"),
}
TEXT_PARTS = {
    # suffix: (journey column, label)
    "channel": ("channel", "channel"),
    "source": ("source", "source"),
    "medium": ("medium", "medium"),
    "campaign": ("campaign", "campaign"),
    "referrer": ("referrer_domain", "referrer"),
    "industry": ("industry", "industry"),
    "team": ("team", "team"),
}
DATE_PARTS = ("created_from", "created_to", "reached_from", "reached_to")
SUFFIXES = [*TEXT_PARTS, "form", "country", "owner", *DATE_PARTS, "reached", "returned"]
PARAMS = [f"{NAME}_{suffix}" for suffix in SUFFIXES]


@dataclass(frozen=True)
class JourneyCondition:
    """The parts given, cleaned: text parts by suffix, form as (type, id), dates as dates."""

    text: tuple = ()  # ((suffix, value), ...)
    form: tuple | None = None
    country: str = ""
    owner: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    reached: str = ""
    reached_from: date | None = None
    reached_to: date | None = None
    returned: bool = False

    def q(self, prefix: str) -> Q:
        """The condition on a person (`prefix` leads from the row to its journey, e.g. "journey__")."""
        from sales.filters import day_start  # the lists' one reading of a day (site time zone)

        condition = Q(**{f"{prefix}is_excluded": False})
        for suffix, value in self.text:
            condition &= Q(**{f"{prefix}{TEXT_PARTS[suffix][0]}": "" if value == NOT_SET else value})
        if self.form:
            condition &= Q(**{f"{prefix}first_origin_type": self.form[0], f"{prefix}first_origin_id": self.form[1]})
        if self.country:
            condition &= Q(**{f"{prefix}country": "" if self.country == NOT_SET else self.country})
        if self.owner is not None:
            condition &= Q(**{f"{prefix}owner_id": self.owner})
        if self.created_from:
            condition &= Q(**{f"{prefix}created_at__gte": day_start(self.created_from)})
        if self.created_to:
            condition &= Q(**{f"{prefix}created_at__lt": day_start(self.created_to + timedelta(days=1))})
        if self.reached:
            column = f"{prefix}{REACHED[self.reached][0]}"
            condition &= Q(**{f"{column}__isnull": False})
            if self.reached_from:
                condition &= Q(**{f"{column}__gte": day_start(self.reached_from)})
            if self.reached_to:
                condition &= Q(**{f"{column}__lt": day_start(self.reached_to + timedelta(days=1))})
        if self.returned:
            condition &= Q(**{f"{prefix}returned_at__isnull": False})
        return condition

    def __str__(self):
        words = [f"{TEXT_PARTS[suffix][1]} {value}" for suffix, value in self.text]
        if self.form:
            words.append(f"first came through {self.form[0]} {self.form[1]}")
        if self.country:
            words.append(f"country {self.country}")
        if self.owner is not None:
            words.append(f"owner #{self.owner}")
        if self.created_from or self.created_to:
            words.append(f"created {_span(self.created_from, self.created_to)}")
        if self.reached:
            when = f" {_span(self.reached_from, self.reached_to)}" if self.reached_from or self.reached_to else ""
            words.append(f"reached {REACHED[self.reached][1]}{when}")
        if self.returned:
            words.append("came back")
        return ", ".join(words) or "any journey"


def _span(start, end) -> str:
    return f"{start or '…'} to {end or '…'}"


class JourneyWidget(SuffixedMultiWidget):
    suffixes = SUFFIXES

    def __init__(self, attrs=None):
        def text(label):
            return forms.TextInput(attrs={"placeholder": label, "aria-label": f"Journey: {label}"})

        def day(label):
            return forms.DateInput(attrs={"type": "date", "aria-label": f"Journey: {label}"})

        widgets = [text(label) for _, label in TEXT_PARTS.values()]
        widgets += [text("first form: form:12, content:42"), text("country: DE"), text("owner: user id")]
        widgets += [day("created from"), day("created to"), day("reached from"), day("reached to")]
        widgets.append(
            forms.Select(
                choices=[("", "Reached: any"), *((key, label) for key, (_, label) in REACHED.items())],
                attrs={"aria-label": "Journey: reached"},
            )
        )
        widgets.append(
            forms.Select(choices=[("", "-"), ("yes", "came back")], attrs={"aria-label": "Journey: came back"})
        )
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if value is None:
            return [None] * len(SUFFIXES)
        text = dict(value.text)
        form = f"{value.form[0]}:{value.form[1]}" if value.form else None
        return [
            *(text.get(suffix) for suffix in TEXT_PARTS),
            form,
            value.country or None,
            value.owner,
            value.created_from,
            value.created_to,
            value.reached_from,
            value.reached_to,
            value.reached or None,
            "yes" if value.returned else None,
        ]


def _error(suffix: str, message: str) -> ValidationError:
    return ValidationError(f"{NAME}_{suffix}: {message}", code="invalid")


def _day(suffix: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise _error(suffix, "must be a date, YYYY-MM-DD.")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _error(suffix, f"must be a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return value


def journey_parse(parts: dict) -> JourneyCondition | None:
    """The condition from {suffix: raw text}; None when no part is given. Raises ValidationError naming
    the first wrong parameter."""
    parts = {suffix: str(parts.get(suffix) or "").strip() for suffix in SUFFIXES}
    if not any(parts.values()):
        return None
    for suffix, raw in parts.items():
        if "\x00" in raw or len(raw) > MAX_TEXT:
            raise _error(suffix, f"must be text of at most {MAX_TEXT} characters.")
    text = tuple((suffix, parts[suffix]) for suffix in TEXT_PARTS if parts[suffix])
    form = None
    if parts["form"]:
        origin_type, _, origin_id = parts["form"].partition(":")
        if origin_type not in ("form", "content", "event", "other") or not origin_id or len(origin_id) > 64:
            raise _error("form", "must be <form|content|event>:<id>, e.g. form:12.")
        form = (origin_type, origin_id)
    country = parts["country"]
    if country and country != NOT_SET:
        if not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise _error("country", "must be a two-letter country code, e.g. DE.")
        country = country.upper()
    owner = None
    if parts["owner"]:
        if not (parts["owner"].isascii() and parts["owner"].isdigit() and len(parts["owner"]) <= 12):
            raise _error("owner", "must be a user id.")
        owner = int(parts["owner"])
    reached = parts["reached"]
    if reached and reached not in REACHED:
        raise _error("reached", f"must be one of {', '.join(REACHED)}.")
    dates = {suffix: _day(suffix, parts[suffix]) for suffix in DATE_PARTS}
    if (dates["reached_from"] or dates["reached_to"]) and not reached:
        raise _error("reached", "say which stage the reached dates are for.")
    for low, high in (("created_from", "created_to"), ("reached_from", "reached_to")):
        if dates[low] and dates[high] and dates[low] > dates[high]:
            raise _error(high, f"must be on or after {NAME}_{low}.")
    if parts["returned"] and parts["returned"] != "yes":
        raise _error("returned", "must be yes (or left out).")
    return JourneyCondition(
        text=text,
        form=form,
        country=country,
        owner=owner,
        reached=reached,
        returned=bool(parts["returned"]),
        **dates,
    )


class JourneyField(forms.MultiValueField):
    """The parts as one JourneyCondition, or None when unused."""

    widget = JourneyWidget

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        fields = tuple(forms.CharField(required=False, strip=True) for _ in SUFFIXES)
        super().__init__(fields, require_all_fields=False, **{"required": False, **kwargs})

    def clean(self, value):
        # Each part is checked in journey_parse (the sub-fields would refuse a date input's `date` object
        # shape differently from the query string's text); here only the raw text counts.
        if not isinstance(value, list | tuple):
            value = [value]
        raw = ["" if item is None else str(item) for item in value]
        return self.compress(raw)

    def compress(self, data_list):
        values = (list(data_list or []) + [""] * len(SUFFIXES))[: len(SUFFIXES)]
        return journey_parse(dict(zip(SUFFIXES, values, strict=True)))


class JourneyFilter(django_filters.Filter):
    """People whose journey matches: a one-to-one join on the journey's primary key, never duplicated."""

    field_class = JourneyField

    def filter(self, qs, value):
        if value is None:
            return qs
        person_path = getattr(self.parent, "person_path", "")
        return qs.filter(value.q(f"{person_path}{RELATION}__"))


class JourneyFilterAdapter(BaseFilterAdapter):
    """The active-filter chip: the journey in words; removing it removes every `j_` parameter."""

    def get_active_filters(self):
        yield ActiveFilter(
            self.bound_field.auto_id,
            self.filter.label,
            str(self.value),
            self.get_url_without_filter_param(PARAMS),
        )


def journey_filter():
    return JourneyFilter(
        label="Journey (from reports)",
        help_text="How they came and when they reached a stage, as the reports count them: a report's number "
        "opens this list with these filled in",
    )


register_filter_adapter_class(JourneyFilter, JourneyFilterAdapter)
