"""Fit and interest scoring, grades A1..D4, and the explanation of every point.

Scores are sums of ScoreContribution rows, so the explanation always adds up to the score. Both
paths use the same SQL, in the database, set-based:

- person_rescore(person): after each interaction, for one person;
- people_rescore_all(): nightly (`manage.py rescore`), for everybody, because decay changes
  interest scores every day.

The two differ only by a `person_id = %s` condition, which is why they agree (tested).

Interest: each active interest rule matches interactions by type (and optionally object and topic)
within its look-back. Under a cap of C points per P days with R points a match, at most C // R
matching interactions count in each P-day period (periods counted back from now). Each counted
interaction gives R x 0.5 ** (age in days / half-life).
"""

import time

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models import Value as V
from django.db.models.functions import Cast, Coalesce, Concat, Round
from django.utils import timezone

from leads.models import LeadStoreSettings, Person, ScoreContribution, ScoringRule

PENALTY_LABEL = "Rejected by sales (penalty)"
TEXT_ATTRIBUTES = {"seniority", "job_title", "country", "consent", "company__industry", "company__employee_band",
                   "company__country", "company__funding_stage"}
UPPER_CASE_ATTRIBUTES = {"country", "company__country"}


def fit_condition(rule: ScoringRule) -> Q:
    """The rule's condition as a filter on Person."""
    attribute, values = rule.attribute, rule.value_list
    if attribute in UPPER_CASE_ATTRIBUTES:
        values = [value.upper() for value in values]
    op = rule.operator
    if op == ScoringRule.Operator.IS_TRUE:
        return Q(**{attribute: True})
    if op in {ScoringRule.Operator.GTE, ScoringRule.Operator.LTE}:
        return Q(**{f"{attribute}__{op}": float(rule.value)})
    lookup = "icontains" if op == ScoringRule.Operator.CONTAINS else (
        "iexact" if attribute in TEXT_ATTRIBUTES else "exact")
    any_of = Q()
    for value in values:
        any_of |= Q(**{f"{attribute}__{lookup}": value})
    if not values:
        any_of = Q(pk__in=[])
    return ~any_of if op == ScoringRule.Operator.NOT_IN else any_of


def _age_days_sql() -> str:
    """Days between %s (now) and the interaction, in this database's dialect."""
    if connection.vendor == "postgresql":
        return "(EXTRACT(EPOCH FROM (%s::timestamptz - i.occurred_at)) / 86400.0)"
    return "(julianday(%s) - julianday(i.occurred_at))"


def _now_param(now):
    return now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)


INTEREST_SQL = """
INSERT INTO leads_scorecontribution
    (person_id, rule_id, kind, interaction_id, base_points, points, age_days, computed_at)
SELECT person_id, rule_id, 'interest', interaction_id, base_points,
       CASE WHEN half_life_days IS NULL THEN base_points * 1.0
            ELSE base_points * POWER(0.5, age_days / half_life_days) END,
       age_days, %s
FROM (
    SELECT i.person_id AS person_id, r.id AS rule_id, i.id AS interaction_id, r.points AS base_points,
           r.half_life_days AS half_life_days, r.cap_points AS cap_points, {age} AS age_days,
           ROW_NUMBER() OVER (
               PARTITION BY i.person_id, r.id, CAST({age} / r.cap_period_days AS INTEGER)
               ORDER BY i.occurred_at, i.id
           ) AS nth
    FROM leads_interaction i
    JOIN leads_scoringrule r
      ON r.kind = 'interest' AND r.is_active = %s AND r.interaction_type = i.type
     AND (r.object_type = '' OR r.object_type = i.object_type)
     AND (r.object_id = '' OR r.object_id = i.object_id)
     AND (r.topic = '' OR i.object_topics LIKE '%%,' || r.topic || ',%%')
    WHERE i.person_id IS NOT NULL AND i.occurred_at <= %s AND {age} <= r.lookback_days {person_filter}
) counted
WHERE cap_points IS NULL OR base_points = 0 OR nth <= cap_points / ABS(base_points)
"""


def _insert_interest(now, person_id=None) -> int:
    age = _age_days_sql()
    sql = INTEREST_SQL.format(age=age, person_filter="AND i.person_id = %s" if person_id else "")
    now_param = _now_param(now)
    # Parameters in the order their placeholders appear in the statement.
    params = [now_param, now_param, now_param, True, now_param, now_param]
    if person_id:
        params.append(person_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _insert_fit_for_person(rules: list[ScoringRule], now, person_id: int) -> int:
    """One person's fit lines from one query: each rule's condition (the same fit_condition() the
    bulk path filters on) becomes a CASE column, then the matching rules are written."""
    if not rules:
        return 0
    matches = Person.objects.filter(pk=person_id).values_list(
        *(Case(When(fit_condition(rule), then=V(True)), default=V(False)) for rule in rules)
    ).first()
    lines = [
        ScoreContribution(person_id=person_id, rule=rule, kind="fit", base_points=rule.points,
                          points=float(rule.points), computed_at=now)
        for rule, matched in zip(rules, matches or (), strict=False) if matched
    ]
    ScoreContribution.objects.bulk_create(lines)
    return len(lines)


def _insert_fit(rule: ScoringRule, now) -> int:
    people = Person.objects.filter(fit_condition(rule))
    rows = people.values_list(
        "pk", V(rule.pk, output_field=IntegerField()), V("fit", output_field=CharField()),
        V(rule.points, output_field=IntegerField()), V(float(rule.points), output_field=FloatField()),
        V(now, output_field=DateTimeField()),
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_scorecontribution (person_id, rule_id, kind, base_points, points, computed_at) " + sql,
            params,
        )
        return cursor.rowcount


def _insert_penalties(now, person_id=None) -> int:
    """A line for each person carrying a sales-rejection penalty, so the explanation shows it."""
    people = Person.objects.filter(interest_penalty__gt=0)
    if person_id:
        people = people.filter(pk=person_id)
    rows = people.values_list(
        "pk", V("interest", output_field=CharField()), V(PENALTY_LABEL, output_field=CharField()),
        Cast(-F("interest_penalty"), IntegerField()), -F("interest_penalty"), V(now, output_field=DateTimeField()),
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_scorecontribution (person_id, kind, label, base_points, points, computed_at) " + sql,
            params,
        )
        return cursor.rowcount


def _score_update(settings: LeadStoreSettings) -> dict:
    def total(kind, field):
        return Coalesce(
            Subquery(
                ScoreContribution.objects.filter(person=OuterRef("pk"), kind=kind)
                .values("person").annotate(total=Sum(field)).values("total")
            ),
            V(0, output_field=IntegerField() if kind == "fit" else FloatField()),
        )

    return {"fit_score": total("fit", "base_points"), "interest_score": Round(total("interest", "points"), 2)}


def _grade_expression(settings: LeadStoreSettings):
    letter = Case(
        *(
            When(Q(fit_score__gte=threshold), then=V(letter))
            for threshold, letter in ((settings.fit_a_min, "A"), (settings.fit_b_min, "B"), (settings.fit_c_min, "C"))
        ),
        default=V("D"), output_field=CharField(),
    )
    number = Case(
        *(
            When(Q(interest_score__gte=threshold), then=V(digit))
            for threshold, digit in ((settings.interest_1_min, "1"), (settings.interest_2_min, "2"),
                                     (settings.interest_3_min, "3"))
        ),
        default=V("4"), output_field=CharField(),
    )
    return Concat(letter, number, output_field=CharField())


def _rescore(people, now, person_id=None, progress=None, settings=None) -> dict:
    settings = settings or LeadStoreSettings.load()
    counts = {}
    started = time.perf_counter()

    def step(name, count=None):
        counts[name] = count
        if progress:
            progress(name, count, time.perf_counter() - started)

    # Nothing points at contributions, so Django deletes them in one statement.
    lines = ScoreContribution.objects.filter(person_id=person_id) if person_id else ScoreContribution.objects.all()
    deleted, _ = lines.delete()
    step("cleared old lines", deleted)
    fit_rules = list(ScoringRule.objects.filter(kind=ScoringRule.Kind.FIT, is_active=True))
    if person_id:
        step("fit lines", _insert_fit_for_person(fit_rules, now, person_id))
    else:
        step("fit lines", sum(_insert_fit(rule, now) for rule in fit_rules))
    step("interest lines", _insert_interest(now, person_id))
    step("penalty lines", _insert_penalties(now, person_id))
    step("people scored", people.update(**_score_update(settings)))
    people.update(grade=_grade_expression(settings))
    step("grades", None)
    return counts


@transaction.atomic
def person_rescore(person: Person, *, now=None, settings=None) -> Person:
    """Rescore one person (after an interaction or a change to their record)."""
    now = now or timezone.now()
    _rescore(Person.objects.filter(pk=person.pk), now, person_id=person.pk, settings=settings)
    person.refresh_from_db(fields=["fit_score", "interest_score", "grade"])
    return person


@transaction.atomic
def people_rescore_all(*, now=None, progress=None) -> dict:
    """Rescore everybody in a handful of set-based statements."""
    return _rescore(Person.objects.all(), now or timezone.now(), progress=progress)


def is_marketing_qualified(person: Person, settings: LeadStoreSettings | None = None) -> bool:
    settings = settings or LeadStoreSettings.load()
    grades = {grade.strip().upper() for grade in settings.mql_grades.split(",") if grade.strip()}
    if person.grade in grades:
        return True
    return settings.mql_min_total is not None and person.fit_score + person.interest_score >= settings.mql_min_total


def score_explanation(person: Person):
    """Every line of the person's score, biggest first: rule, interaction, points before and after decay."""
    return (
        ScoreContribution.objects.filter(person=person)
        .select_related("rule", "interaction")
        .order_by("kind", F("points").desc(nulls_last=True))
    )
