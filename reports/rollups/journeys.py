"""PersonJourney computed for a batch of people, set-based: five queries per batch whatever its size.

What each column means is said on the model (reports.models.PersonJourney); here is how it is read
from the raw rows:
- how they came: the person's earliest lead (Lead.received_at, then its id), its UTM source, medium,
  campaign and the host of its referrer; the channel by reports.channels.channel_of;
- reached a stage: the first StageTransition into it or into a later stage of the success path;
- recycled: the first move to nurture or disqualified after the move that reached MQL (in the order
  of the moves: time, then id); returned: the first move into MQL or later after that;
- pipeline: the report-currency amounts of the person's open and won deals; won: of won deals alone.

The rows are written with one INSERT ... ON CONFLICT (person_id) DO UPDATE per batch (bulk_create's
upsert, on PostgreSQL and SQLite alike). A person that no longer exists has no row (CASCADE).
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django.db.models import Q, Sum
from django.utils import timezone

from leads.models import Deal, Lead, Person, SalesRep, Stage, StageTransition
from reports.channels import channel_of
from reports.models import PersonJourney

BATCH = 2_000  # people per statement: well inside SQLite's parameter limit, a few MB of rows on PostgreSQL

# The success path, in order: reaching one reaches every stage before it.
SUCCESS_PATH = [Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER]
REACHED_FIELDS = {
    Stage.MQL: "mql_at",
    Stage.SQL: "sql_at",
    Stage.OPPORTUNITY: "opportunity_at",
    Stage.CUSTOMER: "customer_at",
}
RECYCLE_STAGES = {Stage.NURTURE, Stage.DISQUALIFIED}

UPDATE_FIELDS = [
    "created_at",
    "channel",
    "source",
    "medium",
    "campaign",
    "referrer_domain",
    "first_origin_type",
    "first_origin_id",
    "first_origin_label",
    "industry",
    "country",
    "owner",
    "team",
    "stage",
    "is_excluded",
    *REACHED_FIELDS.values(),
    "recycled_at",
    "returned_at",
    "pipeline_amount",
    "won_amount",
    "refreshed_at",
]


def host_of(referrer: str) -> str:
    """The referring site's host without www. (as the site keeps a page view's referrer), '' for none."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")[:253]


def _first_leads(ids: list[int]) -> dict[int, tuple]:
    rows = (
        Lead.objects.filter(person_id__in=ids)
        .order_by("person_id", "received_at", "id")
        .values_list(
            "person_id",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "referrer",
            "origin_type",
            "origin_id",
            "origin_label",
        )
    )
    first: dict[int, tuple] = {}
    for row in rows.iterator(chunk_size=5_000):
        first.setdefault(row[0], row[1:])
    return first


def _stage_moments(ids: list[int]) -> dict[int, dict]:
    """Per person: when each success stage was first reached, recycled_at and returned_at."""
    moments: dict[int, dict] = {}
    moves = (
        StageTransition.objects.filter(person_id__in=ids)
        .order_by("person_id", "occurred_at", "id")
        .values_list("person_id", "to_stage", "occurred_at")
    )
    for person_id, to_stage, at in moves.iterator(chunk_size=5_000):
        seen = moments.setdefault(person_id, {})
        if to_stage in REACHED_FIELDS:
            for stage in SUCCESS_PATH[: SUCCESS_PATH.index(to_stage) + 1]:
                seen.setdefault(REACHED_FIELDS[stage], at)
            if "recycled_at" in seen:
                seen.setdefault("returned_at", at)
        elif to_stage in RECYCLE_STAGES and "mql_at" in seen:
            seen.setdefault("recycled_at", at)
    return moments


def _amounts(ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    rows = (
        Deal.objects.filter(person_id__in=ids, status__in=[Deal.Status.OPEN, Deal.Status.WON])
        .values("person_id")
        .annotate(
            pipeline=Sum("amount_report"),
            won=Sum("amount_report", filter=Q(status=Deal.Status.WON)),
        )
        .values_list("person_id", "pipeline", "won")
    )
    return {person_id: (pipeline or Decimal(0), won or Decimal(0)) for person_id, pipeline, won in rows}


def journeys_compute(ids: list[int]) -> list[PersonJourney]:
    """The journeys of these people as unsaved rows (people that no longer exist are left out)."""
    people = list(
        Person.objects.filter(pk__in=ids).values_list(
            "pk",
            "created_at",
            "country",
            "owner_id",
            "stage",
            "is_test",
            "is_competitor",
            "company__industry",
            "company__country",
        )
    )
    owners = {row[3] for row in people if row[3]}
    teams = dict(SalesRep.objects.filter(user_id__in=owners).values_list("user_id", "team")) if owners else {}
    first_leads, moments, amounts = _first_leads(ids), _stage_moments(ids), _amounts(ids)
    now = timezone.now()
    journeys = []
    for pk, created_at, country, owner_id, stage, is_test, is_competitor, industry, company_country in people:
        source, medium, campaign, referrer, origin_type, origin_id, origin_label = first_leads.get(pk, ("",) * 7)
        domain = host_of(referrer)
        pipeline, won = amounts.get(pk, (Decimal(0), Decimal(0)))
        journeys.append(
            PersonJourney(
                person_id=pk,
                created_at=created_at,
                channel=channel_of(source=source, medium=medium, referrer_domain=domain),
                source=source,
                medium=medium,
                campaign=campaign,
                referrer_domain=domain,
                first_origin_type=origin_type,
                first_origin_id=origin_id,
                first_origin_label=origin_label,
                industry=industry or "",
                country=country or company_country or "",
                owner_id=owner_id,
                team=teams.get(owner_id, "") if owner_id else "",
                stage=stage,
                is_excluded=is_test or is_competitor,
                pipeline_amount=pipeline,
                won_amount=won,
                refreshed_at=now,
                **moments.get(pk, {}),
            )
        )
    return journeys


def journeys_refresh(person_ids) -> int:
    """Compute and upsert the journeys of these people, BATCH at a time; returns how many rows were
    written. Ids of people who no longer exist are simply skipped (their row went with them)."""
    ids = sorted({int(pk) for pk in person_ids})
    written = 0
    for start in range(0, len(ids), BATCH):
        rows = journeys_compute(ids[start : start + BATCH])
        if rows:
            PersonJourney.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["person"], update_fields=UPDATE_FIELDS
            )
        written += len(rows)
    return written
