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
from .models import PersonJourney
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
    """The people who were created, or first reached each stage, during the period. The step rates here
    compare different people (this period's SQLs against this period's MQLs): a ratio of flows, not a
    conversion of the same people; the cohort funnel gives that."""
    return period_figures(user, period, filters).steps


def stage_moves(user, period, filters) -> dict[str, int]:
    """{stage: moves into it during the period} from the stage history, over the same people (scope,
    filters, test and competitor people out) as the journeys."""
    journey = "person__journey__"
    moves = StageTransition.objects.filter(_between("occurred_at", period))
    scope = person_scope_q(user, journey)
    if filters or scope is not None:
        moves = moves.filter(filters.q(journey), **{f"{journey}is_excluded": False})
        if scope is not None:
            moves = moves.filter(scope)
    else:
        # Everybody, unfiltered: leave out the few excluded people by their ids rather than joining a
        # year of moves to a million journeys (the period's moves are read from the occurred_at index).
        excluded = PersonJourney.objects.filter(is_excluded=True).values("person_id")
        moves = moves.exclude(person_id__in=excluded)
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
    the period."""
    return period_figures(user, period, filters).velocity


@dataclass(frozen=True)
class Recycling:
    recycled: int  # first recycled during the period
    came_back: int  # of those, back to MQL or later since
    rate: float | None


def recycling(user, period, filters) -> Recycling:
    return period_figures(user, period, filters).recycling


@dataclass(frozen=True)
class PeriodFigures:
    steps: list[Step]
    velocity: list[Velocity]
    recycling: Recycling


def period_figures(user, period, filters) -> PeriodFigures:
    """The period funnel, velocity and recycling in one pass over the journeys that moved in the period
    (one query on PostgreSQL: counts and percentiles each with their own FILTER)."""
    counts = {key: _between(column, period) for key, _, column in STEPS}
    counts["recycled"] = _between("recycled_at", period)
    counts["came_back"] = counts["recycled"] & Q(returned_at__isnull=False)
    measures = {
        key: Measure(start, end, _between(end, period) & Q(**{f"{start}__isnull": False}))
        for key, _, start, end, _ in VELOCITY_STEPS
    }
    any_in_period = Q()
    for condition in counts.values():
        any_in_period |= condition
    figures = day_percentiles(journeys(user, filters).filter(any_in_period), measures, counts=counts)[None]
    speed = [
        Velocity(key, label, reached, figures[key]["n"], figures[key][0.5], figures[key][0.8])
        for key, label, _, _, reached in VELOCITY_STEPS
    ]
    recycled, came_back = figures["recycled"], figures["came_back"]
    steps = _steps({key: figures[key] for key, _, _ in STEPS})
    return PeriodFigures(steps, speed, Recycling(recycled, came_back, rate(came_back, recycled)))
