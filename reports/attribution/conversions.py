"""The conversions a period holds: the moments credit is shared for.

Read from the rollups (reports.models.PersonJourney) and the CRM's deals:
- new person: the person was created in the period (journey.created_at);
- MQL, SQL, opportunity: the person first reached that stage (or a later one) in the period
  (journey.mql_at, sql_at, opportunity_at); the opportunity carries the person's pipeline (open and won
  deals, settings.REPORT_CURRENCY);
- won deal: a deal of the person the CRM reported WON with its close date in the period, with its amount
  (Deal.amount_report). Its moment is the end of the close date: touches on that day count. A deal with
  no person (a company's) has no touches to credit and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from leads.models import Deal

NEW_PERSON = "new_person"
MQL = "mql"
SQL = "sql"
OPPORTUNITY = "opportunity"
WON = "won"

CONVERSIONS = {
    NEW_PERSON: "New people",
    MQL: "MQLs",
    SQL: "SQLs",
    OPPORTUNITY: "Opportunities",
    WON: "Won deals",
}
# The conversions that carry an amount, and what the amount is called.
AMOUNTS = {OPPORTUNITY: "Pipeline", WON: "Revenue"}
_STAGE_FIELDS = {NEW_PERSON: "created_at", MQL: "mql_at", SQL: "sql_at", OPPORTUNITY: "opportunity_at"}


@dataclass(frozen=True)
class Conversion:
    person_id: int
    kind: str
    at: datetime  # touches at or before this moment share its credit
    created_at: datetime  # the person's creation: the lead creation touch is the last touch by then
    opportunity_at: datetime | None  # the opportunity creation touch is the last touch by then
    amount: Decimal | None = None


def close_moment(close_date) -> datetime:
    """The last moment of a close date in the site's time zone."""
    zone = timezone.get_current_timezone()
    return datetime.combine(close_date + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)


def conversions_in(journeys, period) -> list[Conversion]:
    """Every conversion in `period` of the people in `journeys` (a PersonJourney queryset, scoped and
    filtered already)."""
    start, end = period.bounds()
    in_period = Q()
    for field in _STAGE_FIELDS.values():
        in_period |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    rows = journeys.filter(in_period).values_list(
        "person_id", "created_at", "mql_at", "sql_at", "opportunity_at", "pipeline_amount"
    )
    found = []
    for person_id, created_at, mql_at, sql_at, opportunity_at, pipeline in rows:
        moments = {NEW_PERSON: created_at, MQL: mql_at, SQL: sql_at, OPPORTUNITY: opportunity_at}
        for kind, at in moments.items():
            if at is not None and start <= at < end:
                amount = pipeline if kind == OPPORTUNITY else None
                found.append(Conversion(person_id, kind, at, created_at, opportunity_at, amount))
    deals = Deal.objects.filter(
        status=Deal.Status.WON,
        close_date__gte=period.start,
        close_date__lte=period.end,
        person_id__in=journeys.values("person_id"),
    ).values_list(
        "person_id", "close_date", "amount_report", "person__journey__created_at", "person__journey__opportunity_at"
    )
    for person_id, close_date, amount, created_at, opportunity_at in deals:
        found.append(Conversion(person_id, WON, close_moment(close_date), created_at, opportunity_at, amount))
    return found
