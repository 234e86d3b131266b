"""The rollups' numbers computed straight from the raw rows, one person or visitor at a time, in plain
Python and by other code than the rollups' own: what the tests hold the rollups to (and a way to check
a suspicious number by hand in a shell). Slow by design: never call it from a report.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings

from leads.models import Deal, Interaction, Person, SalesRep, StageTransition
from reports.channels import channel_of

LADDER = ["lead", "mql", "sql", "opportunity", "customer"]  # the success path; nurture/disqualified aside


def _domain(referrer: str) -> str:
    if not referrer:
        return ""
    if "://" not in referrer and not referrer.startswith("//"):
        referrer = "//" + referrer
    try:
        host = urlparse(referrer).hostname or ""
    except ValueError:
        return ""
    host = host.lower()
    return (host[4:] if host.startswith("www.") else host)[:253]


def journey_direct(person: Person) -> dict:
    """What a person's PersonJourney row must say, read from their leads, stage moves and deals."""
    leads = list(person.leads.all())
    first = min(leads, key=lambda lead: (lead.received_at, lead.pk)) if leads else None
    referrer = _domain(first.referrer) if first else ""
    moves = sorted(StageTransition.objects.filter(person=person), key=lambda move: (move.occurred_at, move.pk))
    reached = {}
    for stage in ("mql", "sql", "opportunity", "customer"):
        later = LADDER[LADDER.index(stage) :]
        times = [move for move in moves if move.to_stage in later]
        reached[stage] = times[0] if times else None
    recycled = returned = None
    if reached["mql"] is not None:
        after_mql = moves[moves.index(reached["mql"]) + 1 :]
        recycled = next((move for move in after_mql if move.to_stage in ("nurture", "disqualified")), None)
        if recycled is not None:
            after = after_mql[after_mql.index(recycled) + 1 :]
            returned = next((move for move in after if move.to_stage in LADDER[1:]), None)
    deals = list(Deal.objects.filter(person=person))
    rep = SalesRep.objects.filter(user_id=person.owner_id).first() if person.owner_id else None
    company = person.company
    return {
        "created_at": person.created_at,
        "channel": channel_of(
            source=first.utm_source if first else "",
            medium=first.utm_medium if first else "",
            referrer_domain=referrer,
        ),
        "source": first.utm_source if first else "",
        "medium": first.utm_medium if first else "",
        "campaign": first.utm_campaign if first else "",
        "referrer_domain": referrer,
        "first_origin_type": first.origin_type if first else "",
        "first_origin_id": first.origin_id if first else "",
        "first_origin_label": first.origin_label if first else "",
        "industry": company.industry if company else "",
        "country": person.country or (company.country if company else ""),
        "owner_id": person.owner_id,
        "team": rep.team if rep else "",
        "stage": person.stage,
        "is_excluded": person.is_test or person.is_competitor,
        "mql_at": reached["mql"].occurred_at if reached["mql"] else None,
        "sql_at": reached["sql"].occurred_at if reached["sql"] else None,
        "opportunity_at": reached["opportunity"].occurred_at if reached["opportunity"] else None,
        "customer_at": reached["customer"].occurred_at if reached["customer"] else None,
        "recycled_at": recycled.occurred_at if recycled else None,
        "returned_at": returned.occurred_at if returned else None,
        "pipeline_amount": sum((d.amount_report for d in deals if d.status in ("open", "won")), Decimal(0)),
        "won_amount": sum((d.amount_report for d in deals if d.status == "won"), Decimal(0)),
    }


def journeys_direct() -> dict[int, dict]:
    """Every person's journey, {person id: row}."""
    return {person.pk: journey_direct(person) for person in Person.objects.select_related("company")}


def daily_visitors_direct() -> dict[tuple[date, str], dict]:
    """Every visitor-day, {(day, visitor id): row}, from every page view with a visitor id."""
    zone = ZoneInfo(settings.TIME_ZONE)
    days = defaultdict(list)
    for view in Interaction.objects.filter(type="page_view"):
        if view.visitor_id:
            days[(view.occurred_at.astimezone(zone).date(), view.visitor_id)].append(view)
    result = {}
    for key, views in days.items():
        views.sort(key=lambda view: (view.occurred_at, view.pk))
        first = views[0]
        known = [view for view in views if view.person_id]
        props = first.properties or {}
        referrer = _domain(props.get("referrer", ""))
        result[key] = {
            "first_at": first.occurred_at,
            "page_views": len(views),
            "person_id": known[-1].person_id if known else None,
            "last_known_at": known[-1].occurred_at if known else None,
            "source": props.get("utm_source", ""),
            "medium": props.get("utm_medium", ""),
            "campaign": props.get("utm_campaign", ""),
            "referrer_domain": referrer,
            "channel": channel_of(
                source=props.get("utm_source", ""), medium=props.get("utm_medium", ""), referrer_domain=referrer
            ),
        }
    # The visitor's day before each day, and their last day known as a person before it.
    previous, known = {}, {}
    for day, visitor_id in sorted(result, key=lambda key: (key[1], key[0])):
        row = result[(day, visitor_id)]
        row["previous_day"], row["previous_known_day"] = previous.get(visitor_id), known.get(visitor_id)
        previous[visitor_id] = day
        if row["person_id"]:
            known[visitor_id] = day
    return result
