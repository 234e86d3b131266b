"""The funnel and its velocity (issue 18 item 3): who reached which stage, how many moved, how fast.

Read from the person journey rollup (one row per person; reports.models.PersonJourney) scoped to the
user (reports.access.journeys_for: a rep's own people, test and competitor people out) and narrowed
by the report's filters. "Reached" a stage means moved into it or a later stage of the success path
(a person taken straight from lead to SQL reached MQL at the same moment).

- By cohort: the people created in the period, and how many of them reached each stage so far. The
  newest cohorts are incomplete: their people have not had the time to progress.
- By period: the people who first reached each stage during the period (whenever they were created),
  and the moves into each stage during the period (leads.models.StageTransition: every move counts,
  a person moved into MQL twice counts twice; a stage skipped is not a move into it).
- Velocity: for the people who reached the later stage of a step during the period, the median and
  80th-percentile days from the earlier stage (reached) to it.
- Recycling: the people first recycled (moved back to nurture or disqualified after MQL) during the
  period, and how many of them came back to MQL or later since.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from leads.models import StageTransition

from .access import journeys_for, person_scope_q
from .percentiles import Measure, day_percentiles

STAGES = [
    # (key, label, journey column): the success path in order
    ("mql", "MQL", "mql_at"),
    ("sql", "SQL", "sql_at"),
    ("opportunity", "Opportunity", "opportunity_at"),
    ("customer", "Customer", "customer_at"),
]
NEW = ("created", "New people", "created_at")
STEPS = [NEW, *STAGES]
VELOCITY_STEPS = [
    # (key, label, from column, to column, the stage whose reaching in the period selects the people)
    ("lead_mql", "Lead to MQL", "created_at", "mql_at", "mql"),
    ("mql_sql", "MQL to SQL", "mql_at", "sql_at", "sql"),
    ("sql_opportunity", "SQL to opportunity", "sql_at", "opportunity_at", "opportunity"),
    ("opportunity_customer", "Opportunity to customer", "opportunity_at", "customer_at", "customer"),
    ("lead_customer", "Lead to customer (whole path)", "created_at", "customer_at", "customer"),
]


def _between(column: str, period) -> Q:
    start, end = period.bounds()
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def journeys(user, filters):
    """The journeys a funnel counts for `user` with these filters."""
    return journeys_for(user).filter(filters.q())


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    people: int
    rate_from_previous: float | None  # of the previous step's people, the share who reached this one
    rate_from_first: float | None


def _steps(counts: dict) -> list[Step]:
    steps, first, previous = [], None, None
    for key, label, _ in STEPS:
        people = counts.get(key) or 0
        first = people if first is None else first
        steps.append(
            Step(
                key,
                label,
                people,
                rate(people, previous) if previous is not None else None,
                rate(people, first) if key != STEPS[0][0] else None,
            )
        )
        previous = people
    return steps


def rate(part, whole) -> float | None:
    return None if not whole else part / whole


def cohort_funnel(user, period, filters) -> list[Step]:
    """The people created in the period, and how many of them reached each stage so far (one query, on
    the cohort index)."""
    counts = (
        journeys(user, filters)
        .filter(_between("created_at", period))
        .aggregate(created=Count("pk"), **{key: Count(column) for key, _, column in STAGES})
    )
    return _steps(counts)


def period_funnel(user, period, filters) -> list[Step]:
    """The people who were created, or first reached each stage, during the period (one query). The
    step rates here compare different people (this period's SQLs against this period's MQLs): a ratio
    of flows, not a conversion of the same people; the cohort funnel gives that."""
    conditions = {key: _between(column, period) for key, _, column in STEPS}
    any_in_period = Q()
    for condition in conditions.values():
        any_in_period |= condition
    counts = (
        journeys(user, filters)
        .filter(any_in_period)
        .aggregate(**{key: Count("pk", filter=condition) for key, condition in conditions.items()})
    )
    return _steps(counts)


def stage_moves(user, period, filters) -> dict[str, int]:
    """{stage: moves into it during the period} from the stage history, over the same people (scope,
    filters, test and competitor people out) as the journeys."""
    journey = "person__journey__"
    moves = StageTransition.objects.filter(
        _between("occurred_at", period),
        filters.q(journey),
        **{f"{journey}is_excluded": False},
    )
    scope = person_scope_q(user, journey)
    if scope is not None:
        moves = moves.filter(scope)
    rows = moves.order_by().values("to_stage").annotate(moves=Count("pk"))
    return {row["to_stage"]: row["moves"] for row in rows}


@dataclass(frozen=True)
class Velocity:
    key: str
    label: str
    reached: str  # the stage reached in the period (the people counted: the drill-down)
    people: int
    median_days: float | None
    p80_days: float | None


def velocity(user, period, filters) -> list[Velocity]:
    """Median and 80th-percentile days of each step, for the people who reached its later stage during
    the period (one query on PostgreSQL)."""
    measures = {
        key: Measure(start, end, _between(end, period) & Q(**{f"{start}__isnull": False}))
        for key, _, start, end, _ in VELOCITY_STEPS
    }
    any_in_period = Q()
    for measure in measures.values():
        any_in_period |= measure.condition
    figures = day_percentiles(journeys(user, filters).filter(any_in_period), measures).get(None, {})
    result = []
    for key, label, _, _, reached in VELOCITY_STEPS:
        figure = figures.get(key) or {"n": 0, 0.5: None, 0.8: None}
        result.append(Velocity(key, label, reached, figure["n"], figure[0.5], figure[0.8]))
    return result


@dataclass(frozen=True)
class Recycling:
    recycled: int  # first recycled during the period
    came_back: int  # of those, back to MQL or later since
    rate: float | None


def recycling(user, period, filters) -> Recycling:
    counts = (
        journeys(user, filters)
        .filter(_between("recycled_at", period))
        .aggregate(recycled=Count("pk"), came_back=Count("returned_at"))
    )
    return Recycling(counts["recycled"], counts["came_back"], rate(counts["came_back"], counts["recycled"]))
