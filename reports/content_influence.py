"""What the people who read a page went on to do: the MQLs, opportunities and won revenue it influenced.

Influenced, not attributed: a page influenced a conversion when the person viewed it, or filled in its
form, at any time before the conversion. Every page the person touched before gets the whole
conversion, so the column does not add up over pages (attribution, reports.attribution, shares one
conversion's credit instead). Conversions are the period's: people who first reached MQL or
opportunity during it (PersonJourney.mql_at / opportunity_at), and deals won with a close date in it
(their amount in the report currency, leads.Deal.amount_report), a touch before the deal was opened.

People-based: counted over the journeys the user may see (reports.access.journeys_for: a rep's own
people, test and competitor people never).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from leads.models import Deal, Interaction

from . import access
from .content import ORIGIN_TYPES, PAGE_VIEW, _page_id, event_landing_pages, origin_page
from .periods import Period

# The captures that touch a page besides viewing it: its form filled in, its whitepaper downloaded,
# its event registered for or attended.
FILL_TYPES = ("form_submit", "content_download", "contact_sales", "event_registered", "event_attended")


@dataclass
class Influence:
    # page id -> known people who viewed it: in the period, or, for a period ending today, in the last
    # `viewer_days` days up to now (what the people list's behaviour filter counts, so the drill-down agrees)
    people: dict[int, int] = field(default_factory=dict)
    viewer_days: int | None = None
    mqls: dict[int, int] = field(default_factory=dict)
    opportunities: dict[int, int] = field(default_factory=dict)
    revenue: dict[int, Decimal] = field(default_factory=dict)


def first_touches(people: Q) -> dict[int, dict[int, object]]:
    """{person id: {page id: the person's first view or capture of the page}} for the people `people`
    (a condition on Interaction.person_id: subqueries, never a list of ids as long as the period's MQLs)."""
    touches: dict[int, dict[int, object]] = defaultdict(dict)

    def keep(person_id, page_id, moment):
        if page_id is None:
            return
        known = touches[person_id].get(page_id)
        if known is None or moment < known:
            touches[person_id][page_id] = moment

    views = (
        Interaction.objects.filter(people, type=PAGE_VIEW)
        .annotate(pid=KeyTextTransform("page_id", "properties"))
        .exclude(pid=None)
        .values("person_id", "pid")
        .annotate(first=Min("occurred_at"))
    )
    for row in views:
        keep(row["person_id"], _page_id(row["pid"]), row["first"])
    fills = list(
        Interaction.objects.filter(people, type__in=FILL_TYPES, object_type__in=ORIGIN_TYPES)
        .values("person_id", "object_type", "object_id")
        .annotate(first=Min("occurred_at"))
    )
    landing = event_landing_pages({row["object_id"] for row in fills if row["object_type"] == "event"})
    for row in fills:
        keep(row["person_id"], origin_page(row["object_type"], row["object_id"], landing), row["first"])
    return touches


def _credit(conversions, touches) -> dict[int, int]:
    """{page id: conversions}: each (person, moment) counts on every page touched before the moment."""
    counted: dict[int, int] = defaultdict(int)
    for person_id, moment in conversions:
        for page_id, first in touches.get(person_id, {}).items():
            if first < moment:
                counted[page_id] += 1
    return dict(counted)


def viewer_window(period: Period, now=None):
    """(since, until, days) of the known viewers' count. A period ending today is counted the way the
    sales list's behaviour filter counts "in the last N days": from N days before now (it may take in a
    few hours before the period's first midnight); another period by its own bounds (days None)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if period.end != today:
        start, end = period.bounds()
        return start, end, None
    days = (today - period.start).days + 1
    return now - timedelta(days=days), now + timedelta(seconds=1), days


def content_influence(period: Period, user, *, now=None) -> Influence:
    start, end = period.bounds()
    since, until, viewer_days = viewer_window(period, now)
    journeys = access.journeys_for(user)
    mqls = list(journeys.filter(mql_at__gte=start, mql_at__lt=end).values_list("person_id", "mql_at"))
    opportunities = list(
        journeys.filter(opportunity_at__gte=start, opportunity_at__lt=end).values_list("person_id", "opportunity_at")
    )
    won = Deal.objects.filter(
        status=Deal.Status.WON,
        close_date__gte=period.start,
        close_date__lte=period.end,
        person_id__in=journeys.values("person_id"),
    )
    deals = list(won.values_list("person_id", "opened_at", "amount_report"))
    converted = Q(
        person_id__in=journeys.filter(
            Q(mql_at__gte=start, mql_at__lt=end) | Q(opportunity_at__gte=start, opportunity_at__lt=end)
        ).values("person_id")
    ) | Q(person_id__in=won.values("person_id"))
    touches = first_touches(converted) if (mqls or opportunities or deals) else {}
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for person_id, opened_at, amount in deals:
        for page_id, first in touches.get(person_id, {}).items():
            if first < opened_at:
                revenue[page_id] += amount or Decimal(0)
    viewers = (
        Interaction.objects.filter(
            Q(type=PAGE_VIEW, occurred_at__gte=since, occurred_at__lt=until),
            person_id__in=journeys.values("person_id"),
        )
        .annotate(pid=KeyTextTransform("page_id", "properties"))
        .exclude(pid=None)
        .values("pid")
        .annotate(people=Count("person_id", distinct=True))
    )
    people: dict[int, int] = defaultdict(int)
    for row in viewers:
        page_id = _page_id(row["pid"])
        if page_id is not None:
            people[page_id] += row["people"]
    return Influence(
        people=dict(people),
        mqls=_credit(mqls, touches),
        opportunities=_credit(opportunities, touches),
        revenue=dict(revenue),
        viewer_days=viewer_days,
    )
