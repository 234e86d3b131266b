"""Segment rules: the facts a rule can test, how a rule is checked and parsed, and how it is read
from a visitor. The same parsed rule becomes SQL over known people in rule_queries (the segment
editor's audience count).

A rule is compiled once per segment version into a plain Python predicate; evaluating every
segment for a visitor is then a loop of attribute reads and comparisons, with no query.

Behaviour rules (what someone did: visited a page or URL, downloaded, registered, attended, submitted a
form, did a custom event, opened or clicked an email, has a tag, reached a stage) also carry how many
times (`times`, 1 by default) and within how many days (`days`, empty for ever). What each means is the
lead store's (leads.behaviour_conditions); personalization.behaviour evaluates them over the visitor's
state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.behaviour_conditions import KINDS, Condition, condition_parse

from .behaviour import behaviour_predicate

# Operators a marketer picks from. "not" is a tick box on the rule, so every operator can be negated.
IS_ONE_OF, CONTAINS, STARTS_WITH, AT_LEAST, AT_MOST, HAS_ANY, IS_TRUE, BETWEEN = (
    "is",
    "contains",
    "starts",
    "gte",
    "lte",
    "any",
    "true",
    "between",
)
OPERATOR_CHOICES = [
    (IS_ONE_OF, "is one of"),
    (CONTAINS, "contains"),
    (STARTS_WITH, "starts with"),
    (AT_LEAST, "is at least"),
    (AT_MOST, "is at most"),
    (HAS_ANY, "includes any of"),
    (IS_TRUE, "is true"),
    (BETWEEN, "is between"),
]
TEXT_OPS = (IS_ONE_OF, CONTAINS, STARTS_WITH)
NUMBER_OPS = (AT_LEAST, AT_MOST)
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_VALUES = 100  # values in one rule (a longer list belongs in a fact of its own)


@dataclass(frozen=True)
class Fact:
    code: str
    label: str
    group: str  # "visit", "person", "behaviour" or "time"
    kind: str  # "text", "number", "set", "bool", "hours", "days", "dates", "behaviour"
    help: str = ""
    # For SQL over known people: a Person lookup, or a Visitor field reached through the person's visitors.
    person_field: str = ""
    visitor_field: str = ""

    @property
    def operators(self) -> tuple[str, ...]:
        return {
            "text": TEXT_OPS,
            "number": NUMBER_OPS,
            "set": (HAS_ANY,),
            "bool": (IS_TRUE,),
            "hours": (BETWEEN,),
            "days": (IS_ONE_OF,),
            "dates": (BETWEEN,),
            "behaviour": (HAS_ANY,),
        }[self.kind]


FACTS = [
    Fact(
        "utm_campaign",
        "UTM campaign (latest visit)",
        "visit",
        "text",
        "e.g. banking-q4",
        visitor_field="last_utm_campaign",
    ),
    Fact("utm_source", "UTM source (latest visit)", "visit", "text", "e.g. linkedin", visitor_field="last_utm_source"),
    Fact(
        "utm_medium", "UTM medium (latest visit)", "visit", "text", "e.g. cpc, email", visitor_field="last_utm_medium"
    ),
    Fact("first_utm_campaign", "UTM campaign (first visit)", "visit", "text", visitor_field="first_utm_campaign"),
    Fact("first_utm_source", "UTM source (first visit)", "visit", "text", visitor_field="first_utm_source"),
    Fact(
        "referrer_domain",
        "Referrer domain",
        "visit",
        "text",
        "e.g. google.com, linkedin.com",
        visitor_field="last_referrer_domain",
    ),
    Fact("landing_page", "Landing page (path)", "visit", "text", "e.g. /whitepapers/", visitor_field="landing_page"),
    Fact("device", "Device type", "visit", "text", "mobile, tablet or desktop", visitor_field="device_type"),
    Fact("os", "Operating system", "visit", "text", "e.g. iOS, Android, Windows, Mac OS X", visitor_field="os"),
    Fact("browser", "Browser", "visit", "text", "e.g. Chrome, Safari, Firefox", visitor_field="browser"),
    Fact("country", "Visitor's country", "visit", "text", "ISO codes, e.g. DE, FR", visitor_field="country"),
    Fact(
        "visit_count",
        "Number of visits",
        "visit",
        "number",
        "2 or more = a returning visitor",
        visitor_field="visit_count",
    ),
    Fact("page_views", "Pages viewed", "visit", "number", visitor_field="page_views"),
    Fact(
        "viewed_topic",
        "Viewed content on topic",
        "visit",
        "set",
        "topic slugs, e.g. ai-automation",
        visitor_field="topics_viewed",
    ),
    Fact(
        "viewed_industry",
        "Viewed content for industry",
        "visit",
        "set",
        "industry slugs, e.g. banking",
        visitor_field="industries_viewed",
    ),
    Fact("viewed_page", "Viewed page", "visit", "set", "page ids", visitor_field="pages_viewed"),
    Fact("known", "Is a known person", "person", "bool", "filled in a form or clicked a tracked link"),
    Fact(
        "industry", "Industry (company)", "person", "text", "e.g. banking, healthcare", person_field="company__industry"
    ),
    Fact(
        "company_size",
        "Company size (employees)",
        "person",
        "text",
        "bands: 1-49, 50-249, 250-999, 1000-4999, 5000+",
        person_field="company__employee_band",
    ),
    Fact("person_country", "Country (person)", "person", "text", "ISO codes", person_field="country"),
    Fact(
        "stage",
        "Lifecycle stage",
        "person",
        "text",
        "lead, mql, sql, opportunity, customer, nurture",
        person_field="stage",
    ),
    Fact("grade", "Grade", "person", "text", "e.g. A1, A2, B1", person_field="grade"),
    Fact("score", "Score (fit + interest)", "person", "number", person_field="score"),
    Fact("fit_score", "Fit score", "person", "number", person_field="fit_score"),
    Fact("interest_score", "Interest score", "person", "number", person_field="interest_score"),
    # What someone did, with how many times and within how many days. `downloaded` and `registered_event`
    # were person facts before: the same codes and values, now with a count and a window.
    *(Fact(kind.code, kind.label, "behaviour", "behaviour", kind.help) for kind in KINDS),
    Fact("time_of_day", "Time of day", "time", "hours", "hours, e.g. 9-17 (site time zone)"),
    Fact("day_of_week", "Day of week", "time", "days", "e.g. mon,tue,wed,thu,fri"),
    Fact("date_range", "Date", "time", "dates", "e.g. 2026-12-01..2026-12-31"),
]
FACTS_BY_CODE = {fact.code: fact for fact in FACTS}
FACT_CHOICES = [(fact.code, fact.label) for fact in FACTS]
TIME_FACTS = {fact.code for fact in FACTS if fact.group == "time"}
BEHAVIOUR_FACTS = {fact.code for fact in FACTS if fact.kind == "behaviour"}
# The behaviour facts a page view changes (membership of segments reading them is looked at again).
PAGE_VIEW_FACTS = frozenset(kind.code for kind in KINDS if "page_view" in kind.types)


def split_values(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\n]", value or "") if item.strip()]


@dataclass(frozen=True)
class ParsedRule:
    fact: Fact
    operator: str
    values: tuple
    negate: bool
    condition: Condition | None = None  # behaviour rules: what, how many times, within how many days

    @property
    def is_timed(self) -> bool:
        """Whether the answer can change with the clock alone (a time rule, a behaviour window)."""
        return self.fact.group == "time" or bool(self.condition and self.condition.days)


def parse_rule(fact_code: str, operator: str, value: str, negate: bool = False, times=None, days=None) -> ParsedRule:
    """Check one rule and turn its value into what the predicate compares; errors name the field
    (fact, operator, value, times, days)."""
    fact = FACTS_BY_CODE.get(fact_code)
    if fact is None:
        raise ValidationError({"fact": "Choose a fact from the list."})
    if operator not in fact.operators:
        allowed = ", ".join(label for code, label in OPERATOR_CHOICES if code in fact.operators)
        raise ValidationError({"operator": f"“{fact.label}” can be tested with: {allowed}."})
    if fact.kind == "behaviour":
        condition = condition_parse(fact.code, split_values(value), times, days)
        return ParsedRule(fact, operator, tuple(split_values(value)), negate, condition)
    if str(times if times is not None else "").strip() not in ("", "1"):
        raise ValidationError({"times": f"“{fact.label}” is not something done: leave the number of times at 1."})
    if str(days if days is not None else "").strip():
        raise ValidationError({"days": f"“{fact.label}” has no time window: leave the days empty."})
    items = split_values(value)
    if len(items) > MAX_VALUES:
        raise ValidationError({"value": f"At most {MAX_VALUES} values in one rule; split it, or use “contains”."})
    if fact.kind == "number":
        if len(items) != 1:
            raise ValidationError({"value": "Enter one number, e.g. 2 or 60."})
        try:
            number = float(items[0])
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValidationError({"value": f"“{items[0][:50]}” is not a number."})
        return ParsedRule(fact, operator, (number,), negate)
    if fact.kind == "bool":
        return ParsedRule(fact, operator, (), negate)
    if fact.kind == "hours":
        match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", value or "")
        if not match or not all(0 <= int(h) <= 24 for h in match.groups()) or match.group(1) == match.group(2):
            raise ValidationError({"value": "Enter hours as from-to, e.g. 9-17 (22-6 spans midnight)."})
        return ParsedRule(fact, operator, (int(match.group(1)), int(match.group(2))), negate)
    if fact.kind == "days":
        days = [item.lower()[:3] for item in items]
        if not days or any(day not in DAYS for day in days):
            raise ValidationError({"value": "Enter days such as mon,tue,wed (mon to sun)."})
        return ParsedRule(fact, operator, tuple(DAYS.index(day) for day in days), negate)
    if fact.kind == "dates":
        match = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})?\s*\.\.\s*(\d{4}-\d{2}-\d{2})?\s*", value or "")
        try:
            start, end = (date.fromisoformat(d) if d else None for d in match.groups()) if match else (None, None)
        except ValueError:
            start = end = None
            match = None
        if not match or (start is None and end is None) or (start and end and start > end):
            raise ValidationError({"value": "Enter dates as YYYY-MM-DD..YYYY-MM-DD (either end may be left out)."})
        return ParsedRule(fact, operator, (start, end), negate)
    if fact.kind == "set":
        return ParsedRule(fact, operator, tuple(item.lower() for item in items), negate)
    if not items:
        raise ValidationError({"value": "Enter at least one value (separate several with commas)."})
    return ParsedRule(fact, operator, tuple(item.lower() for item in items), negate)


# --- Python predicates over a visitor's facts ------------------------------------------------------
def _text_test(operator, values) -> Callable[[str], bool]:
    if operator == IS_ONE_OF:
        wanted = frozenset(values)
        return lambda text: text in wanted
    if operator == CONTAINS:
        return lambda text: any(value in text for value in values)
    return lambda text: text.startswith(values)


def _number_test(operator, values) -> Callable[[float], bool]:
    (limit,) = values
    return (lambda n: n >= limit) if operator == AT_LEAST else (lambda n: n <= limit)


def compile_rule(rule: ParsedRule) -> Callable[[object, datetime], bool]:
    """A predicate (facts, now) -> bool. `facts` is a personalization.state.Facts."""
    fact, values = rule.fact, rule.values
    code = fact.code
    if fact.kind == "text":
        test = _text_test(rule.operator, values)
        predicate = lambda facts, now: test((facts.get(code) or "").lower())  # noqa: E731
    elif fact.kind == "number":
        test = _number_test(rule.operator, values)
        predicate = lambda facts, now: facts.get(code) is not None and test(facts.get(code))  # noqa: E731
    elif fact.kind == "set":
        wanted = frozenset(values)
        if wanted:
            predicate = lambda facts, now: not wanted.isdisjoint(facts.get(code))  # noqa: E731
        else:
            predicate = lambda facts, now: bool(facts.get(code))  # noqa: E731
    elif fact.kind == "bool":
        predicate = lambda facts, now: bool(facts.get(code))  # noqa: E731
    elif fact.kind == "behaviour":
        predicate = behaviour_predicate(rule.condition)
    else:
        predicate = time_predicate(rule)
    if rule.negate:
        return lambda facts, now: not predicate(facts, now)
    return predicate


def time_predicate(rule: ParsedRule) -> Callable[[object, datetime], bool]:
    code, values = rule.fact.code, rule.values
    if code == "time_of_day":
        start, end = values
        if start < end:
            return lambda facts, now: start <= timezone.localtime(now).hour < end
        return lambda facts, now: not (end <= timezone.localtime(now).hour < start)  # spans midnight
    if code == "day_of_week":
        days = frozenset(values)
        return lambda facts, now: timezone.localtime(now).weekday() in days
    start, end = values
    return lambda facts, now: (
        (start is None or timezone.localtime(now).date() >= start)
        and (end is None or timezone.localtime(now).date() <= end)
    )
