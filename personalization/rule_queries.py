"""Segment rules as SQL over known people: the audience count in the segment editor.

A parsed rule (personalization.rules) becomes a filter on leads.Person; facts about visits go through
the visitors linked to the person, so they count only people whose browsers have been identified.
Behaviour rules are the lead store's conditions (leads.behaviour_conditions): an uncorrelated
`id IN (people who did it)`, grouped with HAVING COUNT for "N or more times", relative to `now`.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from leads.behaviour_conditions import condition_q

from .rules import AT_LEAST, CONTAINS, IS_ONE_OF, STARTS_WITH, ParsedRule, compile_rule


def rule_q(rule: ParsedRule, *, now: datetime) -> Q:
    """The rule as a filter on leads.Person; visitor facts go through the person's linked visitors."""
    q = _positive_q(rule, now=now)
    return ~q if rule.negate else q


ALWAYS, NEVER = ~Q(pk__in=[]), Q(pk__in=[])


def _lookup_q(field: str, operator: str, values) -> Q:
    if operator == IS_ONE_OF:
        q = NEVER
        for value in values:
            q |= Q(**{f"{field}__iexact": value})
        return q
    if operator in (CONTAINS, STARTS_WITH):
        suffix = "icontains" if operator == CONTAINS else "istartswith"
        q = NEVER
        for value in values:
            q |= Q(**{f"{field}__{suffix}": value})
        return q
    if operator == AT_LEAST:
        return Q(**{f"{field}__gte": values[0]})
    return Q(**{f"{field}__lte": values[0]})


def _positive_q(rule: ParsedRule, *, now: datetime) -> Q:
    from .models import Visitor

    fact = rule.fact
    if fact.group == "time":
        return ALWAYS if compile_rule(ParsedRule(fact, rule.operator, rule.values, False))(None, now) else NEVER
    if fact.code == "known":
        return ALWAYS
    if rule.condition is not None:
        return condition_q(rule.condition, now=now)
    if fact.person_field:
        field = "pz_score" if fact.code == "score" else fact.person_field
        return _lookup_q(field, rule.operator, rule.values)
    visitors = Visitor.objects.filter(person=OuterRef("pk"))
    if fact.kind == "set":
        if rule.values:
            visitors = visitors.filter(**{f"{fact.visitor_field}__has_any_keys": list(rule.values)})
        else:
            visitors = visitors.exclude(**{fact.visitor_field: {}})
    else:
        visitors = visitors.filter(_lookup_q(fact.visitor_field, rule.operator, rule.values))
    return Q(Exists(visitors))


def people_matching(parsed_rules: list[ParsedRule], match: str, *, now: datetime | None = None):
    """Known people a segment with these rules matches, as a queryset (count it in one query)."""
    from leads.models import Person

    now = now or timezone.now()
    people = Person.objects.filter(is_test=False).annotate(pz_score=F("fit_score") + F("interest_score"))
    if not parsed_rules:
        return people.none()
    qs = [rule_q(rule, now=now) for rule in parsed_rules]
    combined = qs[0]
    for q in qs[1:]:
        combined = (combined & q) if match == "all" else (combined | q)
    return people.filter(combined)
