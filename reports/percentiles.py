"""Median and 80th percentile of the days between two journey timestamps, in one function for both
databases.

PostgreSQL computes them where the rows are (`percentile_cont(f) WITHIN GROUP (ORDER BY days)`, each
measure with its own FILTER, so a whole velocity table is one query). Other databases (SQLite in tests
and development) fetch the two timestamps and compute the same continuous percentile in Python:
`percentile_cont` below is PostgreSQL's definition (linear interpolation between the two nearest
ranks), and a test runs the same data through both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Func, Q

FRACTIONS = (0.5, 0.8)
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Measure:
    """Days from `start` to `end` (journey columns) for the rows matching `condition`."""

    start: str
    end: str
    condition: Q


def percentile_cont(values, fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: the value at rank fraction * (n - 1), interpolated; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class DaysBetween(Func):
    """(end - start) in days, as a float (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, start: str, end: str):
        super().__init__(F(end), F(start))


class PercentileCont(Aggregate):
    """percentile_cont(fraction) WITHIN GROUP (ORDER BY expression) (PostgreSQL's ordered-set aggregate)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _key(name: str, fraction: float) -> str:
    return f"{name}__p{round(fraction * 100)}"


def day_percentiles(
    queryset, measures: dict[str, Measure], *, group=None, fractions=FRACTIONS, counts: dict | None = None
) -> dict:
    """{group value (None without `group`): {measure name: {"n": count, 0.5: days, 0.8: days}}}.

    `group` is an expression or column name the rows are grouped by (a channel table's rows). A measure
    with no rows has n 0 and None for each fraction. `counts` ({name: Q}) adds plain counts of the rows
    matching each condition, under their names, computed in the same pass (one scan for a whole report).
    """
    queryset = queryset.order_by()
    group = F(group) if isinstance(group, str) else group
    if connections[queryset.db].vendor == "postgresql":
        return _in_database(queryset, measures, group, fractions, counts or {})
    return _in_python(queryset, measures, group, fractions, counts or {})


def _count_aggregates(counts: dict) -> dict:
    return {f"{name}__count": Count("pk", filter=condition) for name, condition in counts.items()}


def _in_database(queryset, measures, group, fractions, counts) -> dict:
    aggregates = _count_aggregates(counts)
    for name, measure in measures.items():
        aggregates[f"{name}__n"] = Count("pk", filter=measure.condition)
        for fraction in fractions:
            days = DaysBetween(measure.start, measure.end)
            aggregates[_key(name, fraction)] = PercentileCont(days, fraction, filter=measure.condition)
    if group is None:
        rows = [{"_group": None, **queryset.aggregate(**aggregates)}]
    else:
        rows = queryset.annotate(_group=group).values("_group").annotate(**aggregates)
    result = {}
    for row in rows:
        result[row["_group"]] = {
            **{name: row[f"{name}__count"] for name in counts},
            **{name: {"n": row[f"{name}__n"], **{f: row[_key(name, f)] for f in fractions}} for name in measures},
        }
    return result


def _in_python(queryset, measures, group, fractions, counts) -> dict:
    counted: dict = {}
    if counts:
        if group is None:
            counted[None] = queryset.aggregate(**_count_aggregates(counts))
        else:
            for row in queryset.annotate(_group=group).values("_group").annotate(**_count_aggregates(counts)):
                counted[row["_group"]] = row
    days: dict = {key: {} for key in counted}
    for name, measure in measures.items():
        rows = queryset.filter(measure.condition)
        if group is not None:
            rows = rows.annotate(_group=group)
        fields = ["_group" if group is not None else "pk", measure.start, measure.end]
        for key, start, end in rows.values_list(*fields):
            bucket = days.setdefault(key if group is not None else None, {})
            bucket.setdefault(name, []).append((end - start).total_seconds() / SECONDS_PER_DAY)
    if group is None:
        days.setdefault(None, {})
    return {
        key: {
            **{name: (counted.get(key) or {}).get(f"{name}__count", 0) for name in counts},
            **{name: _figures(values.get(name, []), fractions) for name in measures},
        }
        for key, values in days.items()
    }


def _figures(values: list, fractions) -> dict:
    return {"n": len(values), **{fraction: percentile_cont(values, fraction) for fraction in fractions}}
