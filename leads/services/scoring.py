"""Fit and interest scoring, grades A1..D4, and the explanation of every point.

One SQL statement scores people: an UPDATE ... FROM a sub-select that computes, per person, fit
(the sum of the matching fit rules' points), interest (the decayed, capped points of their
interactions, minus any sales penalty) and from those the grade. Both paths run it:

- person_rescore(person): after each interaction, restricted to one person;
- people_rescore_all(): nightly (`manage.py rescore`), for everybody, because decay changes
  interest every day.

They differ only by a `person_id = %s` condition, which is why they agree (tested). The explanation
of a score is the same SQL without the totals, for one person, as of the time the score was
computed (`Person.scored_at`), so its lines always add up to the stored score.

Interest: each active interest rule matches interactions by type (and optionally object and topic)
within its look-back. Under a cap of C points per P days with R points a match, at most C // R
matching interactions count in each P-day period (periods counted back from now). Each counted
interaction gives R x 0.5 ** (age in days / half-life).
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, When
from django.db.models import Value as V
from django.utils import timezone
from django.utils.text import slugify

from leads.models import LeadStoreSettings, Person, PersonTag, ScoringRule
from leads.signals import people_changed, send_after_commit

PENALTY_LABEL = "Rejected by sales (penalty)"
TEXT_ATTRIBUTES = {
    "seniority",
    "job_title",
    "country",
    "consent",
    "company__industry",
    "company__employee_band",
    "company__country",
    "company__funding_stage",
}
UPPER_CASE_ATTRIBUTES = {"country", "company__country"}


def fit_condition(rule: ScoringRule) -> Q:
    """The rule's condition as a filter on Person."""
    attribute, values = rule.attribute, rule.value_list
    if attribute == ScoringRule.Attribute.TAGS:
        return _tag_condition(rule.operator, values)
    if attribute in UPPER_CASE_ATTRIBUTES:
        values = [value.upper() for value in values]
    op = rule.operator
    if op == ScoringRule.Operator.IS_TRUE:
        return Q(**{attribute: True})
    if op in {ScoringRule.Operator.GTE, ScoringRule.Operator.LTE}:
        return Q(**{f"{attribute}__{op}": float(rule.value)})
    lookup = (
        "icontains" if op == ScoringRule.Operator.CONTAINS else ("iexact" if attribute in TEXT_ATTRIBUTES else "exact")
    )
    any_of = Q()
    for value in values:
        any_of |= Q(**{f"{attribute}__{lookup}": value})
    if not values:
        any_of = Q(pk__in=[])
    return ~any_of if op == ScoringRule.Operator.NOT_IN else any_of


def _tag_condition(op: str, values: list[str]) -> Q:
    """The fit rule "Person: has tag": an EXISTS on their tags (the person+tag index), in both scoring paths alike.
    Values are slugs or names (slugified); "contains" matches part of a slug; "is true": any tag."""
    tags = PersonTag.objects.filter(person=OuterRef("pk"))
    # No usable value matches nobody (no slug is empty), with SQL every database accepts.
    slugs = [slug for slug in (slugify(value, allow_unicode=True) for value in values) if slug] or [""]
    if op == ScoringRule.Operator.IS_TRUE:
        return Q(Exists(tags))
    if op == ScoringRule.Operator.CONTAINS:
        any_of = Q()
        for slug in slugs:
            any_of |= Q(tag__slug__contains=slug) if slug else Q(tag__slug="")
        tagged = Exists(tags.filter(any_of))
    else:
        tagged = Exists(tags.filter(tag__slug__in=slugs))
    return ~Q(tagged) if op == ScoringRule.Operator.NOT_IN else Q(tagged)


def _fit_rules():
    return list(ScoringRule.objects.filter(kind=ScoringRule.Kind.FIT, is_active=True).order_by("pk"))


def _matches(rule):
    return Case(When(fit_condition(rule), then=V(1)), default=V(0), output_field=IntegerField())


def _fit_select(rules, person_ids=None):
    """SELECT id, fit, interest_penalty FROM people (SQL, params), compiled by the ORM: the columns
    come out named pk, fit and interest_penalty, which the scoring statement refers to."""
    fit = V(0, output_field=IntegerField())
    for rule in rules:
        fit = fit + _matches(rule) * V(rule.points, output_field=IntegerField())
    people = Person.objects.order_by().annotate(fit=fit).values_list("pk", "fit", "interest_penalty")
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    return people.query.sql_with_params()


def _age_days_sql() -> str:
    """Days between %s (now) and the interaction, in this database's dialect."""
    if connection.vendor == "postgresql":
        return "(EXTRACT(EPOCH FROM (%s::timestamptz - i.occurred_at)) / 86400.0)"
    return "(julianday(%s) - julianday(i.occurred_at))"


def _now_param(now):
    return now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)


INTEREST_LINES_SQL = """
SELECT person_id, rule_id, interaction_id, base_points,
       CASE WHEN half_life_days IS NULL THEN base_points * 1.0
            ELSE base_points * POWER(0.5, age_days / half_life_days) END AS points,
       age_days
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


def _interest_lines(now, person_ids=None):
    """(SQL, params) of one row per counted interaction: person, rule, interaction, base, points, age."""
    if person_ids is None:
        person_filter, id_params = "", []
    elif len(person_ids) == 1:
        person_filter, id_params = "AND i.person_id = %s", list(person_ids)
    elif connection.vendor == "postgresql":
        person_filter, id_params = "AND i.person_id = ANY(%s)", [list(person_ids)]
    else:
        person_filter, id_params = f"AND i.person_id IN ({', '.join(['%s'] * len(person_ids))})", list(person_ids)
    sql = INTEREST_LINES_SQL.format(age=_age_days_sql(), person_filter=person_filter)
    now_param = _now_param(now)
    # Parameters in the order their placeholders appear in the statement.
    return sql, [now_param, now_param, True, now_param, now_param, *id_params]


def _grade_sql(settings: LeadStoreSettings):
    sql = (
        "(CASE WHEN s.fit >= %s THEN 'A' WHEN s.fit >= %s THEN 'B' WHEN s.fit >= %s THEN 'C' ELSE 'D' END"
        " || CASE WHEN s.interest >= %s THEN '1' WHEN s.interest >= %s THEN '2' WHEN s.interest >= %s THEN '3'"
        " ELSE '4' END)"
    )
    params = [
        settings.fit_a_min,
        settings.fit_b_min,
        settings.fit_c_min,
        settings.interest_1_min,
        settings.interest_2_min,
        settings.interest_3_min,
    ]
    return sql, params


SCORES_SQL = """
    SELECT f.pk AS id, f.fit AS fit,
           ROUND(CAST(COALESCE(t.total, 0) - f.interest_penalty AS NUMERIC), 2) AS interest
    FROM ({fit_sql}) AS f
    LEFT JOIN (SELECT person_id, SUM(points) AS total FROM ({lines_sql}) AS l GROUP BY person_id) AS t
      ON t.person_id = f.pk
"""
# The bulk rescore's sort and hash of a million people stay in memory rather than spill to disk.
RESCORE_WORK_MEM = "256MB"
# A bulk rescore that changed at least this many rows refreshes the planner's statistics on people: the
# audiences and lists filter on grade and score, and stale figures turn their index scans into bad plans.
ANALYZE_AFTER_CHANGED = 1000


def _score_everybody_postgresql(now, settings, rules, progress=None) -> tuple[int, int]:
    """Everybody, on PostgreSQL: (people scored, rows written).

    The scores are computed into a temporary table first (CREATE TABLE AS may run in parallel, an
    UPDATE ... FROM may not), then only the people whose fit, interest or grade moved are written. Each
    row written is a new row version in a table with many indexes, and most of a big lead store's scores
    do not move from one night to the next. A person left as they were keeps their `scored_at`: their
    score is what it was when computed then, and its explanation adds up from that moment."""
    fit_sql, fit_params = _fit_select(rules, None)
    lines_sql, lines_params = _interest_lines(now, None)
    grade_sql, grade_params = _grade_sql(settings)
    scores = SCORES_SQL.format(fit_sql=fit_sql, lines_sql=lines_sql)
    started = time.perf_counter()
    # SET LOCAL and ON COMMIT DROP live as long as the transaction: one of its own if the caller has none.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{RESCORE_WORK_MEM}'")
        cursor.execute("DROP TABLE IF EXISTS leads_rescore")
        cursor.execute(
            f"CREATE TEMPORARY TABLE leads_rescore ON COMMIT DROP AS SELECT s.id, s.fit,"
            f" CAST(s.interest AS double precision) AS interest, {grade_sql} AS grade FROM ({scores}) AS s",
            [*grade_params, *fit_params, *lines_params],
        )
        scored = cursor.rowcount
        if progress:
            progress("scores computed", scored, time.perf_counter() - started)
        cursor.execute(
            """
            UPDATE leads_person p SET fit_score = r.fit, interest_score = r.interest, grade = r.grade, scored_at = %s
            FROM leads_rescore r
            WHERE p.id = r.id
              AND (p.fit_score IS DISTINCT FROM r.fit OR p.interest_score IS DISTINCT FROM r.interest
                   OR p.grade IS DISTINCT FROM r.grade)
            """,
            [now],
        )
        written = cursor.rowcount
        if progress:
            progress("changed scores written", written, time.perf_counter() - started)
        cursor.execute("DROP TABLE leads_rescore")
        if written >= ANALYZE_AFTER_CHANGED:
            cursor.execute("ANALYZE leads_person")
            if progress:
                progress("statistics of people refreshed (ANALYZE)", None, time.perf_counter() - started)
    return scored, written


def _score(now, *, person_ids=None, settings=None, rules=None, progress=None) -> int:
    """The one scoring statement, for everybody or a set of people; returns how many it scored."""
    settings = settings or LeadStoreSettings.load()
    rules = _fit_rules() if rules is None else rules
    if person_ids is None and connection.vendor == "postgresql":
        return _score_everybody_postgresql(now, settings, rules, progress)[0]
    fit_sql, fit_params = _fit_select(rules, person_ids)
    lines_sql, lines_params = _interest_lines(now, person_ids)
    grade_sql, grade_params = _grade_sql(settings)
    # Everybody: only the people whose scores moved are written, as on PostgreSQL (SQLite's IS NOT is
    # the null-safe "differs"). A named person is always written: their scored_at says "just now".
    changed_only, changed_params = "", []
    if person_ids is None:
        changed_only = (
            "AND (leads_person.fit_score IS NOT s.fit OR leads_person.interest_score IS NOT s.interest"
            f" OR leads_person.grade IS NOT {grade_sql})"
        )
        changed_params = grade_params
    sql = f"""
        UPDATE leads_person SET fit_score = s.fit, interest_score = s.interest, grade = {grade_sql}, scored_at = %s
        FROM ({SCORES_SQL.format(fit_sql=fit_sql, lines_sql=lines_sql)}) AS s
        WHERE leads_person.id = s.id {changed_only}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*grade_params, _now_param(now), *fit_params, *lines_params, *changed_params])
        return cursor.rowcount if person_ids is not None else Person.objects.count()


@transaction.atomic
def person_rescore(person: Person, *, now=None, settings=None) -> Person:
    """Rescore one person (after an interaction or a change to their record)."""
    _score(now or timezone.now(), person_ids=[person.pk], settings=settings)
    send_after_commit(people_changed, person_ids=[person.pk])
    person.refresh_from_db(fields=["fit_score", "interest_score", "grade", "scored_at"])
    return person


def people_rescore_all(*, now=None, progress=None) -> dict:
    """Rescore everybody in one set-based statement, then apply the stage rules: a person whose
    score rose (a late-joined interaction, a changed rule) becomes an MQL tonight, not at their
    next form fill."""
    from .lifecycle import people_stage_rules_apply  # lifecycle builds on scoring

    started = time.perf_counter()
    with transaction.atomic():
        scored = _score(now or timezone.now(), progress=progress)
        send_after_commit(people_changed, person_ids=None)
    if progress:
        progress("people scored", scored, time.perf_counter() - started)
    promoted = people_stage_rules_apply(now=now)
    if progress:
        progress("became MQL", promoted, time.perf_counter() - started)
    return {"people scored": scored, "became MQL": promoted}


def is_marketing_qualified(person: Person, settings: LeadStoreSettings | None = None) -> bool:
    settings = settings or LeadStoreSettings.load()
    grades = {grade.strip().upper() for grade in settings.mql_grades.split(",") if grade.strip()}
    if person.grade in grades:
        return True
    return settings.mql_min_total is not None and person.fit_score + person.interest_score >= settings.mql_min_total


@dataclass
class ScoreLine:
    """One line of a score's explanation."""

    kind: str  # "fit" or "interest"
    label: str
    base_points: int
    points: float
    rule: ScoringRule | None = None
    interaction_id: int | None = None
    age_days: float | None = None


def score_explanation(person: Person) -> list[ScoreLine]:
    """Every line of the person's score as it was computed (at `scored_at`), biggest first.

    Fit lines, then interest lines (rule, interaction, points before and after decay), then any
    sales penalty. Fit lines sum to `fit_score`; the interest lines sum to `interest_score`
    (before its rounding to two decimals).
    """
    if person.scored_at is None:
        return []
    rules = _fit_rules()
    lines = []
    if rules:
        matched = Person.objects.filter(pk=person.pk).values_list(*(_matches(rule) for rule in rules)).first()
        lines += [
            ScoreLine("fit", rule.name, rule.points, float(rule.points), rule)
            for rule, hit in zip(rules, matched or (), strict=False)
            if hit
        ]
    sql, params = _interest_lines(person.scored_at, [person.pk])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    interest_rules = ScoringRule.objects.in_bulk({row[1] for row in rows})
    lines += [
        ScoreLine("interest", interest_rules[rule_id].name, base, points, interest_rules[rule_id], interaction_id, age)
        for _, rule_id, interaction_id, base, points, age in rows
    ]
    if person.interest_penalty:
        lines.append(ScoreLine("interest", PENALTY_LABEL, -int(person.interest_penalty), -person.interest_penalty))
    lines.sort(key=lambda line: (line.kind != "fit", -line.points))
    return lines


def people_rescore(person_ids, *, now=None, settings=None, notify_unchanged: bool = True) -> int:
    """Rescore a set of people (e.g. everyone an import touched): the scoring statement with
    `person_id IN (...)`, one statement per 2,000 people, so all three paths agree (tested).

    Personalisation is told about everybody (an import changed their records too), or with
    notify_unchanged=False only about those whose score or grade moved: the page-view writer rescores
    the same readers every few seconds, and each person named costs their next page a reload."""
    ids = sorted({int(pk) for pk in person_ids if pk})
    now = now or timezone.now()
    settings = settings or LeadStoreSettings.load()
    rules = _fit_rules()
    scored, changed = 0, []
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        before = {} if notify_unchanged else _scores_of(chunk)
        scored += _score(now, person_ids=chunk, settings=settings, rules=rules)
        after = {} if notify_unchanged else _scores_of(chunk)
        changed += chunk if notify_unchanged else [pk for pk, values in after.items() if before.get(pk) != values]
    if changed:
        send_after_commit(people_changed, person_ids=changed)
    return scored


def _scores_of(person_ids) -> dict:
    return {
        pk: (fit, interest, grade)
        for pk, fit, interest, grade in Person.objects.filter(pk__in=person_ids).values_list(
            "pk", "fit_score", "interest_score", "grade"
        )
    }
