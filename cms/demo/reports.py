"""The demo's reporting history: 90 days of traffic by channel, the funnel spread over time, and the CRM
telling us about opportunities, wins and losses, so the dashboard and every report have believable
numbers the moment the demo loads.

The rest of the demo captures its leads with their received time in the past, but people, stage moves
and checks are written "now". Here each person's history is put back where it happened: created with
their first lead, and each stage move days after the one before. Opportunities, wins and losses come in
through the CRM feedback service (the webhook's own code), with the CRM's times. Loaded once.
"""

import random
import uuid
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from leads.crm_feedback.reading import feedback_read
from leads.crm_feedback.receiving import feedback_receive
from leads.models import Deal, Interaction, Lead, Person, StageTransition

SEED = 18
VISITORS = 900
# (weight, utm source, utm medium, utm campaign, referrer host): how the demo's anonymous visitors come.
ARRIVALS = [
    (30, "", "", "", ""),
    (18, "", "", "", "google.com"),
    (10, "linkedin", "paid_social", "q4-banking", ""),
    (8, "linkedin", "", "", "linkedin.com"),
    (8, "google", "cpc", "revops-report", ""),
    (7, "newsletter", "email", "november-newsletter", ""),
    (5, "", "", "", "g2.com"),
    (4, "", "", "", "news.ycombinator.com"),
    (4, "partner-portal", "display", "abm-regulated", ""),
]
PAGES = [
    ("", "Home"),
    ("pricing", "Pricing"),
    ("platform", "Platform"),
    ("solutions", "Solutions"),
    ("customers", "Customer stories"),
    ("whitepapers", "Whitepapers & research"),
    ("state-of-revops-2026", "The State of RevOps 2026"),
    ("explainable-ai-lead-scoring", "Explainable AI lead scoring"),
    ("speed-to-lead", "Speed to lead"),
    ("meridian-bank", "Meridian Bank"),
    ("atlas-health", "Atlas Health"),
    ("events", "Events"),
]
# Days from one stage to the next on the success path: (least, most).
STEP_DAYS = {"mql": (1, 12), "sql": (1, 9), "opportunity": (3, 21), "customer": (8, 45)}
AMOUNTS = [12_000, 18_500, 24_000, 36_000, 50_000, 72_000, 95_000]


def reports_demo(report):
    if Deal.objects.exists():
        return
    rng = random.Random(SEED)
    now = timezone.now()
    _people_created_with_their_first_lead()
    _stage_moves_spread(rng, now)
    views = _traffic(rng, now)
    deals = _crm_feedback(rng, now)
    # The history above was written behind the lead store's back (dates put back, page views in bulk), so
    # the reports' rollups are computed from scratch rather than from what changed (which also sets the
    # rollups' watermark: the next "everybody changed" looks only at what changed after the demo).
    from reports.rollups.rebuild import rollups_rebuild

    rollups_rebuild()
    report.add(f"reports: {views} page views by {VISITORS} visitors over 90 days, {deals} CRM opportunities")


def _people_created_with_their_first_lead():
    firsts = Lead.objects.filter(person__isnull=False).values("person_id").annotate(first=Min("received_at"))
    for row in firsts:
        Person.objects.filter(pk=row["person_id"]).update(created_at=row["first"])


def _stage_moves_spread(rng, now):
    """Each person's moves, in their order, days apart from their creation on (never in the future)."""
    people = Person.objects.filter(stage_transitions__isnull=False).distinct().only("pk", "created_at")
    for person in people:
        at = person.created_at
        for move in person.stage_transitions.order_by("occurred_at", "pk"):
            least, most = STEP_DAYS.get(move.to_stage, (1, 10))
            at = min(at + timedelta(days=rng.uniform(least, most)), now - timedelta(minutes=rng.randrange(5, 600)))
            StageTransition.objects.filter(pk=move.pk).update(occurred_at=at)
        Person.objects.filter(pk=person.pk).update(stage_changed_at=at)


def _arrival(rng):
    weights = [row[0] for row in ARRIVALS]
    return rng.choices(ARRIVALS, weights=weights)[0][1:]


def _site_pages() -> dict[str, tuple[int, str]]:
    """slug -> (page id, path) of the demo's pages named in PAGES: a served view carries both."""
    from wagtail.models import Page, Site

    site = Site.objects.filter(is_default_site=True).first()
    found = {"": (site.root_page_id, "/")} if site else {}
    for page in Page.objects.filter(slug__in=[slug for slug, _ in PAGES if slug]).specific():
        url = page.get_url() or f"/{page.slug}/"
        found.setdefault(page.slug, (page.pk, url))
    return found


def _visit(rng, *, visitor_id, person_id, start, arrival, site_pages):
    source, medium, campaign, referrer = arrival
    properties = {"visit": 1, **({"referrer": referrer} if referrer else {})}
    properties.update(
        {k: v for k, v in (("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)) if v}
    )
    rows, at = [], start
    for index in range(rng.randint(1, 5)):
        slug, title = PAGES[0] if index == 0 and not campaign else rng.choice(PAGES)
        page_id, path = site_pages.get(slug, (None, f"/{slug}/" if slug else "/"))
        rows.append(
            Interaction(
                type=Interaction.Type.PAGE_VIEW,
                occurred_at=at,
                person_id=person_id,
                visitor_id=visitor_id,
                object_type="page",
                object_id=slug or "home",
                object_label=title,
                properties={
                    "path": path,
                    "page_id": page_id,
                    **(properties if index == 0 else {"visit": 1}),
                },
                event_id=uuid.UUID(int=rng.getrandbits(128)),
            )
        )
        at += timedelta(seconds=rng.randint(20, 240))
    return rows


def _traffic(rng, now):
    """Anonymous visitors over 90 days, and each known person's visits before their first form fill."""
    rows, site_pages = [], _site_pages()
    for n in range(VISITORS):
        visitor_id = f"v_demo_anon{n:05d}"
        first = now - timedelta(days=rng.uniform(0, 88))
        for visit in range(rng.choices([1, 2, 3], weights=[70, 20, 10])[0]):
            start = min(first + timedelta(days=visit * rng.uniform(1, 12)), now - timedelta(minutes=1))
            rows += _visit(
                rng, visitor_id=visitor_id, person_id=None, start=start, arrival=_arrival(rng), site_pages=site_pages
            )
    for lead in Lead.objects.filter(person__isnull=False).exclude(visitor_id="").order_by("pk"):
        arrival = (lead.utm_source, "social" if lead.utm_source == "linkedin" else "", lead.utm_campaign, "")
        if not any(arrival):
            arrival = _arrival(rng)
        start = lead.received_at - timedelta(minutes=rng.randint(3, 30))
        rows += _visit(
            rng,
            visitor_id=lead.visitor_id,
            person_id=lead.person_id,
            start=start,
            arrival=arrival,
            site_pages=site_pages,
        )
    Interaction.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _feedback(event_id, opportunity_id, person, stage, changed_at, amount=None, opened_at=None, close_date=None):
    payload = {
        "event_id": event_id,
        "opportunity_id": opportunity_id,
        "stage": stage,
        "changed_at": changed_at.isoformat(),
        "person": {"pid": f"PID-{person.pk}"},
    }
    if amount is not None:
        payload.update({"amount": str(amount), "currency": "EUR"})
    if opened_at is not None:
        payload["opened_at"] = opened_at.isoformat()
    if close_date is not None:
        payload["close_date"] = close_date.isoformat()
    feedback_receive(feedback_read(payload), body=str(payload))


def _crm_feedback(rng, now):
    """The CRM's side: every opportunity gets an amount; customers were won, a few opportunities lost."""
    count = 0
    for person in Person.objects.filter(stage__in=["opportunity", "customer"]).order_by("pk"):
        opened = person.stage_transitions.filter(to_stage="opportunity").order_by("occurred_at").first()
        opened_at = opened.occurred_at if opened else person.stage_changed_at or now
        opportunity_id = f"demo-opp-{person.pk}"
        amount = rng.choice(AMOUNTS)
        _feedback(f"{opportunity_id}-open", opportunity_id, person, "opportunity", opened_at, amount, opened_at)
        count += 1
        if person.stage == "customer":
            won = person.stage_changed_at or now
            _feedback(f"{opportunity_id}-won", opportunity_id, person, "customer", won, close_date=won.date())
        elif rng.random() < 0.2:
            lost = min(opened_at + timedelta(days=rng.uniform(5, 30)), now - timedelta(minutes=2))
            _feedback(f"{opportunity_id}-lost", opportunity_id, person, "lost", lost, close_date=lost.date())
    return count
