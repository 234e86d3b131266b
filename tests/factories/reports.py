"""Random lead-store activity for the reports' tests, made through the lead store's own services (so
every signal the rollups follow is sent, as in production): captures with their UTM and referrer, stage
moves at any time (in and out of order), deals as the CRM feedback leaves them, page views through
the batch writer (late ones included), browsers identified, people merged.

Each call takes a random.Random, so a failing seed can be replayed.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from leads.behaviour import LocalBuffer, page_view_buffer, page_views_flush
from leads.models import Deal, Person
from leads.services import lead_capture, person_merge
from leads.services.lifecycle import stage_change
from leads.signals import people_changed, send_after_commit

SOURCES = [
    {},
    {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "q4-banking"},
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand"},
    {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "november"},
    {"utm_source": "partner-site", "utm_campaign": "Spring"},
    {"referrer": "https://www.google.com/search?q=signalpage"},
    {"referrer": "https://news.example.org/article/7"},
    {"referrer": "not a url at all"},
]
VIEW_SOURCES = [
    {},
    {"utm": {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "q4-banking"}},
    {"utm": {"utm_source": "google", "utm_medium": "cpc"}},
    {"referrer": "www.google.com"},
    {"referrer": "news.example.org"},
    {"referrer": "t.co"},
]
STAGES = ["mql", "sql", "opportunity", "customer", "nurture", "disqualified", "lead"]


def committed():
    """Run on-commit callbacks at the end of the block, as a real commit would (tests run in one
    transaction): the lead store's signals reach the rollups."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def a_moment(rng: random.Random, *, days: int = 12) -> datetime:
    return timezone.now() - timedelta(seconds=rng.randint(60, days * 86_400))


def capture(rng: random.Random, email: str, *, at=None, visitor_id: str = "", **fields) -> Person | None:
    """One form fill through the capture service (the person is created or found by email)."""
    payload = {"email": email, "first_name": "Alex", "country": rng.choice(["DE", "FR", ""]), **fields}
    origin_type = rng.choice(["form", "content", "event"])
    with committed():
        lead = lead_capture(
            source="form",
            payload=payload,
            origin_type=origin_type,
            # A whitepaper's gate records a download (forms.services.submission), any other form a fill.
            interaction_type="content_download" if origin_type == "content" else "form_submit",
            origin_id=str(rng.randint(1, 4)),
            origin_label=rng.choice(["Contact", "State of RevOps", "Banking Day"]),
            visitor_id=visitor_id,
            received_at=at or a_moment(rng),
        )
    return lead.person


def stage_moves(rng: random.Random, person: Person, count: int) -> None:
    for _ in range(count):
        person.refresh_from_db()
        with committed():
            stage_change(person, rng.choice(STAGES), reason_type="user", at=a_moment(rng))


def deal(rng: random.Random, person: Person) -> Deal:
    """A deal as the CRM feedback webhook leaves it; it says people_changed after commit, as the webhook does."""
    amount = Decimal(rng.randint(1_000, 90_000))
    with committed():
        made = Deal.objects.create(
            crm_id=f"opp-{uuid.uuid4().hex[:10]}",
            person=person,
            status=rng.choice(list(Deal.Status.values)),
            amount=amount,
            currency="EUR",
            amount_report=amount,
            opened_at=a_moment(rng),
            crm_changed_at=timezone.now(),
        )
        send_after_commit(people_changed, person_ids=[person.pk])
    return made


def page_views(rng: random.Random, visitors: list[str], people: list[Person], count: int, *, days: int = 12) -> int:
    """`count` page views through the batch writer, by random visitors, some known to a person."""
    buffer = LocalBuffer()
    for _ in range(count):
        person = rng.choice(people) if people and rng.random() < 0.3 else None
        source = rng.choice(VIEW_SOURCES)
        page_view_buffer(
            visitor_id=rng.choice(visitors),
            person_id=person.pk if person else None,
            page_id=rng.randint(1, 9),
            path=f"/page-{rng.randint(1, 9)}/",
            title="A page",
            occurred_at=a_moment(rng, days=days),
            buffer=buffer,
            **source,
        )
    with committed():
        return page_views_flush(buffer=buffer)["written"]


def identify(rng: random.Random, person: Person, visitor_id: str) -> None:
    """The person fills in a form in this browser: its anonymous views become theirs."""
    capture(rng, person.email, visitor_id=visitor_id, at=timezone.now())


def merge(keep: Person, other: Person) -> None:
    with committed():
        person_merge(keep=keep, merge=other)


def lead_store_random(rng: random.Random, *, people: int = 12, views: int = 150) -> dict:
    """A small, busy lead store: returns the people (still existing) and the visitor ids used."""
    visitors = [f"v_{rng.getrandbits(96):024x}" for _ in range(max(4, people // 2))]
    made = []
    for n in range(people):
        person = capture(rng, f"someone{n}@firm{n % 5}.example.com", **rng.choice(SOURCES))
        if rng.random() < 0.4:  # a second capture: earlier or later than the first
            capture(rng, f"someone{n}@firm{n % 5}.example.com", **rng.choice(SOURCES))
        stage_moves(rng, person, rng.randint(0, 5))
        if rng.random() < 0.4:
            deal(rng, person)
        made.append(person)
    page_views(rng, visitors, made, views)
    return {"people": made, "visitors": visitors}
