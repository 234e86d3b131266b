"""The dashboard's numbers (the marketer's home, issue 18 item 2), as plain data.

`dashboard_figures(user, period)` is read by the dashboard screen and by the weekly digest
(reports.digest), so it returns dicts, lists, dates, ints and Decimals only: no markup, no URLs that
need a request.

What each number counts (docs/reports.md repeats this for the marketer):
- Visitors / known visitors: distinct visitor ids with a page view in the period (DailyVisitor), known
  = seen as a person on one of those days. Anonymous traffic belongs to nobody's book, so only users
  who see everybody get these two tiles.
- New people: people created in the period. MQLs, SQLs, opportunities, customers: people who first
  reached that stage (or a later one) in the period (PersonJourney.*_at). Scoped to the people the
  user may see, test and competitor people left out (reports.access.journeys_for).
- Pipeline: the report-currency amount of deals the CRM opened in the period and not lost. Won
  revenue: deals won with their close date in the period. Deals of people outside the user's scope are
  left out; deals with no person (a company's deal) count only for users who see everybody.
- Top channels: new people and MQLs of the period by the channel the person first came through.
- Top content: content downloads and form fills in the period per object (one object, one row), by
  people counted (test and competitor people left out) and in the user's scope.
- Upcoming events: the next events the user may see, with their registrations.

Every tile and list reads a rollup (PersonJourney, DailyVisitor's counts, ContentCount) or the small Deal
table, never the raw interactions (on PostgreSQL; elsewhere the visitors and top content are counted
from DailyVisitor and the interactions).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from events.models import Event, Registration
from events.permissions import events_visible_to
from leads.models import Deal, Interaction

from . import access
from .models import ContentCount, DailyVisitor, DailyVisitorCount, PersonJourney
from .periods import Period

# (key, label, journey column) of the people tiles, in funnel order.
STAGE_TILES = [
    ("new_people", "New people", "created_at"),
    ("mqls", "MQLs", "mql_at"),
    ("sqls", "SQLs", "sql_at"),
    ("opportunities", "Opportunities", "opportunity_at"),
    ("customers", "Customers", "customer_at"),
]
TOP_CHANNELS = 8
TOP_CONTENT = 10
UPCOMING_EVENTS = 5
CONTENT_TYPES = (Interaction.Type.CONTENT_DOWNLOAD, Interaction.Type.FORM_SUBMIT)


def dashboard_figures(user, period: Period) -> dict:
    """Everything the dashboard shows for `user` over `period`, compared with the period before."""
    previous = period.previous()
    journeys = access.journeys_for(user)
    tiles = []
    shows_traffic = access.sees_everybody(user)
    if shows_traffic:
        tiles += _visitor_tiles(period, previous)
    for key, label, column in STAGE_TILES:
        tiles.append(_tile(key, label, "count", _journey_days(journeys, column, previous, period), period, previous))
    tiles += _deal_tiles(user, period, previous)
    return {
        "period": _period_data(period),
        "previous": _period_data(previous),
        "currency": settings.REPORT_CURRENCY,
        "shows_traffic": shows_traffic,
        "tiles": tiles,
        "trend": _people_trend(tiles, period, previous),
        "channels": top_channels(journeys, period),
        "content": top_content(user, period),
        "events": upcoming_events(user),
    }


# -- tiles --------------------------------------------------------------------------------------------


def _period_data(period: Period) -> dict:
    return {"start": period.start, "end": period.end, "label": period.label, "bucket": period.bucket}


def change(value, previous) -> float | None:
    """The relative change from `previous` to `value` (0.25 = +25%); None when there was nothing before."""
    if not previous:
        return None
    return float((Decimal(value) - Decimal(previous)) / Decimal(previous))


def _tile(key, label, kind, days: dict[date, float], period: Period, previous: Period) -> dict:
    """A tile from per-day values covering both periods: the period's total, the previous one's, the
    change and the trend over the period's buckets (each day added into its bucket)."""
    value = sum((v for day, v in days.items() if period.start <= day <= period.end), _zero(kind))
    before = sum((v for day, v in days.items() if previous.start <= day <= previous.end), _zero(kind))
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "value": value,
        "previous": before,
        "change": change(value, before),
        "trend": _buckets(days, period),
        "previous_trend": _buckets(days, previous),
    }


def _zero(kind):
    return Decimal("0.00") if kind == "money" else 0


def _buckets(days: dict[date, float], period: Period) -> list[tuple[date, float]]:
    totals = dict.fromkeys(period.buckets(), 0)
    for day, value in days.items():
        if period.start <= day <= period.end:
            totals[period.bucket_of(day)] += value
    return list(totals.items())


def _local_day_counts(queryset, column: str, previous: Period, period: Period) -> dict[date, int]:
    """{local day: rows} of `column` falling in either period (one query, grouped by the site's day)."""
    start, _ = previous.bounds()
    _, end = period.bounds()
    rows = (
        queryset.filter(**{f"{column}__gte": start, f"{column}__lt": end})
        .annotate(day=TruncDate(column, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {_as_date(row["day"]): row["n"] for row in rows}


def _journey_days(journeys, column, previous, period):
    return _local_day_counts(journeys, column, previous, period)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _visitor_tiles(period: Period, previous: Period) -> list[dict]:
    """Visitors and known visitors: distinct over a whole period (a visitor on ten days is one), and per
    bucket for the trend. Days are the rollup's own local days."""
    counts = _visitor_counts(period, previous)
    now, before = counts[period.start], counts[previous.start]
    tiles = []
    for key, name, label in (("visitors", "visitors", "Visitors"), ("known_visitors", "known", "Known visitors")):
        tiles.append(
            {
                "key": key,
                "label": label,
                "kind": "count",
                "value": now[name],
                "previous": before[name],
                "change": change(now[name], before[name]),
                "trend": list(now["trend"][name].items()),
                "previous_trend": list(before["trend"][name].items()),
            }
        )
    return tiles


def _first_in(since) -> Q:
    """The row of a visitor's first day on or after `since` (a date, or an expression giving one): their
    previous day falls before it. Counting these rows counts each visitor once."""
    return Q(previous_day__isnull=True) | Q(previous_day__lt=since)


def _first_known_in(since) -> Q:
    """The row of a visitor's first day known as a person on or after `since`."""
    return Q(person_id__isnull=False) & (Q(previous_known_day__isnull=True) | Q(previous_known_day__lt=since))


def _visitor_counts(period: Period, previous: Period) -> dict[date, dict]:
    """Distinct visitors and known visitors of both periods, in total and per bucket, {period start:
    {"visitors": n, "known": n, "trend": {"visitors": {bucket: n}, "known": {bucket: n}}}}.

    Each visitor is counted by the row of their first day in the period (DailyVisitor.previous_day
    falls before the period) and, per bucket, by their first day in the bucket: counts over the rows,
    where a distinct over visitor ids hashed every one of them (10 s for a year at a million people).
    On PostgreSQL those rows are pre-counted per (day, previous day) (DailyVisitorCount, kept by
    triggers): a year's visitor tiles read a few hundred thousand counts instead of five million
    visitor-days (1.2 s at a million people). Elsewhere the rows are counted. One pass over both periods
    either way."""
    if connection.vendor == "postgresql":
        counts = _bucketed(DailyVisitorCount.objects.all(), period, previous)
        counted = counts.values("b").annotate(
            bucket_visitors=Sum("visitors", filter=Q(known=False, since__lt=F("b"))),
            bucket_known=Sum("visitors", filter=Q(known=True, since__lt=F("b"))),
            period_visitors=Sum("visitors", filter=Q(known=False, since__lt=F("own_start"))),
            period_known=Sum("visitors", filter=Q(known=True, since__lt=F("own_start"))),
        )
    else:
        # COUNT(day), not COUNT(id): the index holds day, so the rows are read from the index alone.
        counted = (
            _bucketed(DailyVisitor.objects.all(), period, previous)
            .values("b")
            .annotate(
                bucket_visitors=Count("day", filter=_first_in(F("b"))),
                bucket_known=Count("day", filter=_first_known_in(F("b"))),
                period_visitors=Count("day", filter=_first_in(F("own_start"))),
                period_known=Count("day", filter=_first_known_in(F("own_start"))),
            )
        )
    out = {
        each.start: {
            "visitors": 0,
            "known": 0,
            "trend": {"visitors": dict.fromkeys(each.buckets(), 0), "known": dict.fromkeys(each.buckets(), 0)},
        }
        for each in (period, previous)
    }
    for row in counted:
        day = date.fromisoformat(str(row["b"])[:10])
        each = period if day >= period.start else previous
        counts = out[each.start]
        counts["visitors"] += row["period_visitors"] or 0
        counts["known"] += row["period_known"] or 0
        bucket = each.bucket_of(day)
        counts["trend"]["visitors"][bucket] += row["bucket_visitors"] or 0
        counts["trend"]["known"][bucket] += row["bucket_known"] or 0
    return out


def _bucketed(rows, period: Period, previous: Period):
    """Rows with a `day` over both periods, each with its period's start (`own_start`) and the start of
    its trend bucket (`b`): its Monday or first of the month, clipped to its period's start."""
    own_start = Case(
        When(day__gte=period.start, then=Value(period.start)), default=Value(previous.start), output_field=DateField()
    )
    rows = rows.filter(day__gte=previous.start, day__lte=period.end).order_by().annotate(own_start=own_start)
    if period.bucket == "day":  # a day's rows are distinct visitors already (one row per visitor and day)
        return rows.annotate(b=F("day"))
    truncate = TruncWeek if period.bucket == "week" else TruncMonth
    return rows.annotate(b=Greatest(truncate("day"), F("own_start"), output_field=DateField()))


def _deals_for(user):
    # Test and competitor people's deals out, by the journey's key (as top content does).
    deals = Deal.objects.exclude(
        Exists(PersonJourney.objects.filter(person_id=OuterRef("person_id"), is_excluded=True))
    )
    condition = access.person_scope_q(user)
    # A scoped user's condition is on the deal's person, so deals without one drop out with it.
    return deals if condition is None else deals.filter(condition)


def _deal_tiles(user, period: Period, previous: Period) -> list[dict]:
    deals = _deals_for(user)
    amount = Coalesce(Sum("amount_report"), Decimal("0"), output_field=DecimalField(max_digits=16, decimal_places=2))
    start, _ = previous.bounds()
    _, end = period.bounds()
    opened = (
        deals.filter(status__in=[Deal.Status.OPEN, Deal.Status.WON], opened_at__gte=start, opened_at__lt=end)
        .annotate(day=TruncDate("opened_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=amount)
        .order_by()
    )
    won = (
        deals.filter(status=Deal.Status.WON, close_date__gte=previous.start, close_date__lte=period.end)
        .values("close_date")
        .annotate(total=amount)
        .order_by()
    )
    pipeline_days = {_as_date(row["day"]): row["total"] for row in opened}
    won_days = {row["close_date"]: row["total"] for row in won}
    return [
        _tile("pipeline", "Pipeline", "money", pipeline_days, period, previous),
        _tile("won_revenue", "Won revenue", "money", won_days, period, previous),
    ]


def _people_trend(tiles, period, previous) -> dict:
    """The dashboard's line chart: new people per bucket, this period and the one before."""
    new_people = next(tile for tile in tiles if tile["key"] == "new_people")
    return {"current": new_people["trend"], "previous": new_people["previous_trend"]}


# -- lists --------------------------------------------------------------------------------------------


def top_channels(journeys, period: Period) -> list[dict]:
    """New people and MQLs of the period per first-touch channel, most new people first."""
    start, end = period.bounds()
    rows = defaultdict(lambda: {"people": 0, "mqls": 0})
    people = journeys.filter(created_at__gte=start, created_at__lt=end).values("channel").annotate(n=Count("pk"))
    mqls = journeys.filter(mql_at__gte=start, mql_at__lt=end).values("channel").annotate(n=Count("pk"))
    for row in people.order_by():
        rows[row["channel"] or ""]["people"] = row["n"]
    for row in mqls.order_by():
        rows[row["channel"] or ""]["mqls"] = row["n"]
    ranked = sorted(rows.items(), key=lambda item: (-item[1]["people"], -item[1]["mqls"], item[0]))
    return [{"channel": channel, **counts} for channel, counts in ranked[:TOP_CHANNELS]]


def top_content(user, period: Period) -> list[dict]:
    """The objects most downloaded or filled in during the period, by the people `user` may see: from
    the content counts on PostgreSQL (ContentCount, kept from the people round), from the interactions
    elsewhere (top_content_from_interactions: the same numbers, which the tests hold them to)."""
    if connection.vendor != "postgresql":
        return top_content_from_interactions(user, period)
    counts = ContentCount.objects.filter(day__gte=period.start, day__lte=period.end)
    condition = access.person_scope_q(user, prefix="")  # on the counts' owner, as on the person's
    if condition is not None:
        counts = counts.filter(condition)
    counted = (
        counts.values("object_type", "object_id")
        .annotate(
            # The largest label of rows still counting something (a count left at 0 keeps its label).
            top_label=Max("label", filter=Q(people__gt=0) | Q(downloads__gt=0) | Q(form_fills__gt=0)),
            n_downloads=Sum("downloads"),
            n_form_fills=Sum("form_fills"),
            # Each person once: by the row of their first day with the object in the period.
            n_people=Coalesce(Sum("people", filter=Q(since__lt=period.start)), 0),
            n_total=Sum("downloads") + Sum("form_fills"),
        )
        .filter(n_total__gt=0)
        .order_by("-n_total", "object_type", "object_id")[:TOP_CONTENT]
    )
    return [
        _content_row(
            row["object_type"],
            row["object_id"],
            row["top_label"],
            row["n_downloads"],
            row["n_form_fills"],
            row["n_people"],
        )
        for row in counted
    ]


def top_content_from_interactions(user, period: Period) -> list[dict]:
    """top_content counted from the interactions themselves."""
    start, end = period.bounds()
    rows = Interaction.objects.filter(type__in=CONTENT_TYPES, occurred_at__gte=start, occurred_at__lt=end)
    condition = access.person_scope_q(user)
    if condition is not None:
        rows = rows.filter(condition)
    # Test and competitor people out, looked up per row by the journey's key (a join through the person
    # would read every person).
    rows = rows.exclude(Exists(PersonJourney.objects.filter(person_id=OuterRef("person_id"), is_excluded=True)))
    counted = (
        rows.values("object_type", "object_id")
        .annotate(
            label=Max("object_label"),
            downloads=Count("pk", filter=Q(type=Interaction.Type.CONTENT_DOWNLOAD)),
            form_fills=Count("pk", filter=Q(type=Interaction.Type.FORM_SUBMIT)),
            people=Count("person", distinct=True),
            total=Count("pk"),
        )
        .order_by("-total", "object_type", "object_id")[:TOP_CONTENT]
    )
    return [
        _content_row(
            row["object_type"], row["object_id"], row["label"], row["downloads"], row["form_fills"], row["people"]
        )
        for row in counted
    ]


def _content_row(object_type, object_id, label, downloads, form_fills, people) -> dict:
    return {
        "object_type": object_type,
        "object_id": object_id,
        "label": label or f"{object_type or 'object'} {object_id}".strip(),
        "downloads": downloads,
        "form_fills": form_fills,
        "people": people,
    }


def upcoming_events(user, now: datetime | None = None) -> list[dict]:
    """The next events the user may see (not finished or cancelled), with their registrations."""
    now = now or timezone.now()
    events = (
        events_visible_to(user)
        .filter(ends_at__gte=now, status__in=[Event.Status.SCHEDULED, Event.Status.LIVE])
        .annotate(
            registered=Count("registrations", filter=Q(registrations__status__in=Registration.SEATED)),
            pending=Count("registrations", filter=Q(registrations__status=Registration.Status.PENDING)),
            waitlisted=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)),
        )
        .order_by("starts_at", "pk")[:UPCOMING_EVENTS]
    )
    return [
        {
            "id": event.pk,
            "title": event.title,
            "starts_at": event.starts_at,
            "registered": event.registered,
            "pending": event.pending,
            "waitlisted": event.waitlisted,
            "capacity": event.capacity,
            "fill_rate": (event.registered / event.capacity) if event.capacity else None,
        }
        for event in events
    ]
