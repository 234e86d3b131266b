"""Channel quality (issue 18 item 4): per channel, UTM source, medium, campaign or referrer domain, how
many came, how many of them went on to buy, and what they were worth.

A row is a group of people by how they came (their first lead's attribution, reports.models.PersonJourney)
among the people created in the period (the cohort), with what that cohort reached so far: MQL, SQL,
opportunity, customer, pipeline and won revenue (settings.REPORT_CURRENCY), the conversion at each step
and the median days from creation to MQL and to customer. Visitors are the distinct visitors whose day's
first page view had that attribution during the period (reports.models.DailyVisitor); traffic belongs to
nobody's book, so only users who see everybody see it, and only when the filters are ones a visit has
(channel, source, medium, campaign, referrer).

So a channel that brings few visitors who convert well stands out from one that brings many who don't:
visit-to-person and person-to-customer rates side by side, the customer rate against the average of all
channels ("2.0x"), and the table sortable by either.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Case, CharField, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from .access import sees_everybody
from .funnel import STAGES, _between, journeys, rate
from .models import DailyVisitor
from .percentiles import Measure, day_percentiles
from .periods import ReportInputError

NOT_SET = "(not set)"  # a blank source, medium, campaign or referrer (the journey filter reads it back)
GROUPS = {
    # `group` parameter: (journey and daily-visitor column, label, the journey filter's suffix)
    "channel": ("channel", "Channel", "channel"),
    "source": ("source", "UTM source", "source"),
    "medium": ("medium", "UTM medium", "medium"),
    "campaign": ("campaign", "UTM campaign", "campaign"),
    "referrer": ("referrer_domain", "Referrer domain", "referrer"),
}
VISIT_FILTERS = {"channel", "source", "medium", "campaign", "referrer"}  # the filters a visit can be asked
SORTS = {
    # `sort` parameter: (label, row key); descending, then by name
    "people": ("People", "people"),
    "visitors": ("Visitors", "visitors"),
    "customers": ("Customers", "customer"),
    "revenue": ("Revenue", "revenue"),
    "pipeline": ("Pipeline", "pipeline"),
    "visit_to_person": ("Visit to person rate", "visit_to_person"),
    "person_to_customer": ("Person to customer rate", "person_to_customer"),
}
MAX_ROWS = 100
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class Options:
    group: str = "channel"
    sort: str = "people"


def options_from_request(params) -> Options:
    group = (params.get("group") or "channel").strip()
    if group not in GROUPS:
        raise ReportInputError("group", f"must be one of {', '.join(GROUPS)}")
    sort = (params.get("sort") or "people").strip()
    if sort not in SORTS:
        raise ReportInputError("sort", f"must be one of {', '.join(SORTS)}")
    return Options(group, sort)


def group_expression(column: str):
    """The column, with a blank read as NOT_SET (one row for "no source", the drill-down's value)."""
    return Case(When(**{column: ""}, then=Value(NOT_SET)), default=F(column), output_field=CharField())


def visitors_shown(user, filters) -> bool:
    return sees_everybody(user) and set(filters.values) <= VISIT_FILTERS


def visitors_by_group(period, filters, column: str) -> dict[str, int]:
    """{group value: distinct visitors whose day's first touch had it, during the period}."""
    visits = DailyVisitor.objects.filter(day__gte=period.start, day__lte=period.end)
    for name, value in filters.values.items():
        visits = visits.filter(**{GROUPS[name][0]: value})
    # Distinct (group, visitor) pairs first, then counted per group: the database hashes the pairs, where
    # COUNT(DISTINCT) per group sorts every visitor-day of the quarter (to disk at a million people).
    pairs = visits.order_by().annotate(_group=group_expression(column)).values("_group", "visitor_id").distinct()
    sql, params = pairs.query.sql_with_params()
    with connections[pairs.db].cursor() as cursor:
        cursor.execute(f'SELECT pairs."_group", COUNT(*) FROM ({sql}) AS pairs GROUP BY pairs."_group"', params)
        return dict(cursor.fetchall())


def channel_rows(user, period, filters, options: Options) -> list[dict]:
    """One dict per group: counts, money, rates, median days; sorted by `options.sort`, at most MAX_ROWS."""
    column = GROUPS[options.group][0]
    cohort = journeys(user, filters).filter(_between("created_at", period))
    grouped = cohort.order_by().annotate(_group=group_expression(column)).values("_group")
    counts = grouped.annotate(
        people=Count("pk"),
        **{key: Count(stage_column) for key, _, stage_column in STAGES},
        pipeline=Coalesce(Sum("pipeline_amount"), Value(Decimal(0)), output_field=MONEY),
        revenue=Coalesce(Sum("won_amount"), Value(Decimal(0)), output_field=MONEY),
    )
    days = day_percentiles(
        cohort,
        {
            "to_mql": Measure("created_at", "mql_at", _not_null("mql_at")),
            "to_customer": Measure("created_at", "customer_at", _not_null("customer_at")),
        },
        group=group_expression(column),
        fractions=(0.5,),
    )
    visitors = visitors_by_group(period, filters, column) if visitors_shown(user, filters) else None
    counted = {row["_group"]: row for row in counts}
    # A group with visitors and nobody created (many came, none left a name) is a row too.
    empty = {"people": 0, **{key: 0 for key, _, _ in STAGES}, "pipeline": Decimal(0), "revenue": Decimal(0)}
    for group in set(visitors or ()) - set(counted):
        counted[group] = {"_group": group, **empty}
    rows = []
    for row in counted.values():
        group = row["_group"]
        figures = days.get(group, {})
        shown = None if visitors is None else visitors.get(group, 0)
        rows.append(
            {
                "group": group,
                "visitors": shown,
                "people": row["people"],
                **{key: row[key] for key, _, _ in STAGES},
                "pipeline": row["pipeline"],
                "revenue": row["revenue"],
                "visit_to_person": rate(row["people"], shown) if shown is not None else None,
                "person_to_mql": rate(row["mql"], row["people"]),
                "mql_to_sql": rate(row["sql"], row["mql"]),
                "sql_to_opportunity": rate(row["opportunity"], row["sql"]),
                "opportunity_to_customer": rate(row["customer"], row["opportunity"]),
                "person_to_customer": rate(row["customer"], row["people"]),
                "days_to_mql": (figures.get("to_mql") or {}).get(0.5),
                "days_to_customer": (figures.get("to_customer") or {}).get(0.5),
            }
        )
    overall = rate(sum(r["customer"] for r in rows), sum(r["people"] for r in rows))
    for row in rows:
        row["customer_index"] = _index(row["person_to_customer"], overall)
    key = SORTS[options.sort][1]
    rows.sort(key=lambda r: (-(r[key] if r[key] is not None else -1), str(r["group"])))
    return rows[:MAX_ROWS]


def _not_null(column: str) -> Q:
    return Q(**{f"{column}__isnull": False})


def _index(value, overall) -> str:
    """The customer rate against all channels', as "2.0x" (blank when either is unknown or nil)."""
    if value is None or not overall:
        return ""
    return f"{value / overall:.1f}x"
