"""The reports' rollups kept current: PersonJourney and DailyVisitor (reports.models).

How they stay current:
- page views: the page-view writer sends leads.signals.page_views_written with each batch, inside
  the batch's transaction, and the receiver records what is left to do there, so it commits with the
  views or not at all: on PostgreSQL the ids of the views (reports.PendingPageView), which the sweep
  adds to the (visitor, day) rows they touch (visitor_batches.py); elsewhere the (visitor, day) keys,
  which the sweep computes again from the raw rows (visitors.py);
- people: leads.signals.people_changed (every person save, stage move, rescore, merge, CRM feedback)
  marks them in a table (dirty.py); the workers' sweep (`rollups_sweep`, in WORKER_SWEEPS) computes
  the marked journeys in batches (journeys.py), and with them the visitor-days their page views now
  say otherwise (a browser identified, a merge, an erasure);
- the people round also writes their content rows (content.py: the dashboard's top content, on
  PostgreSQL);
- attribution credit (reports.attribution.rollup) moves with the people round, after their journeys
  and visitor-days;
- `rollups_refresh()` does all of it at once, synchronously (tests, the demo, after an import);
- `manage.py reports_rebuild` computes everything again from scratch (rebuild.py).

`reports.rollups.direct` computes the same numbers straight from the raw rows, by other code: the
tests hold both to agree.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from reports.models import PendingPageView, RollupDirtyPerson, RollupDirtyVisitorDay

from ..attribution.rollup import attribution_refresh, visit_people, visits_moved
from .content import content_days_refresh
from .dirty import changed_since_mark, everybody_mark, people_mark, visitor_days_mark
from .journeys import journeys_refresh
from .locks import PAGE_VIEWS_ROUND, PEOPLE_ROUND, round_alone
from .visitor_batches import PAGE_VIEWS_BATCH, pending_add, pending_record
from .visitors import keys_of_people, keys_of_views, visitor_days_refresh

logger = logging.getLogger(__name__)

BATCH = 2_000  # people or visitor-days computed per round
SWEEP_SECONDS = 20.0  # a sweep stops starting new rounds after this, so the workers' other sweeps run


def _visitor_days_moving(keys) -> set[int]:
    """Compute these visitor-days again; the people whose credit that moved (visits_moved)."""
    if connection.vendor == "postgresql":
        return visitor_days_refresh(keys)["moved"]  # the same answer, from the refresh's own statement
    before = visit_people(keys)
    visitor_days_refresh(keys)
    return visits_moved(keys, before)


def _people_round(limit: int) -> int:
    started = timezone.now()
    ids = list(RollupDirtyPerson.objects.order_by("marked_at").values_list("person_id", flat=True)[:limit])
    if not ids:
        return 0
    from leads.models import Person

    existing = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    vanished = [pk for pk in ids if pk not in existing]
    with transaction.atomic():
        if not round_alone(PEOPLE_ROUND):
            return 0  # another worker's sweep is computing people: it takes these too
        journeys_refresh(existing)
        content_days_refresh(ids)  # after the journeys: whether each person is counted at all
        keys = keys_of_people(sorted(existing), vanished)
        moved = _visitor_days_moving(keys)
        # After both: the credit reads the new journeys and the visitor-days now joined to the person,
        # and moves for whoever those days were taken from too.
        attribution_refresh(set(ids) | moved)
        # Marks made while this round computed (a later change) stay for the next one.
        RollupDirtyPerson.objects.filter(person_id__in=ids, marked_at__lte=started).delete()
    return len(ids)


def _page_views_round(limit: int) -> int:
    """Add the oldest pending page views to their visitor-days (PostgreSQL; elsewhere the writer marked
    the days). The people whose credit that moved are marked for the people round."""
    if connection.vendor != "postgresql" or not PendingPageView.objects.exists():
        return 0  # (no temporary table made and dropped for nothing, every round of every sweep)
    with transaction.atomic():
        if not round_alone(PAGE_VIEWS_ROUND):
            return 0  # another worker's sweep is adding page views
        taken, moved = pending_add(limit)
        people_mark(moved)
    return taken


def _visitor_days_round(limit: int) -> int:
    started = timezone.now()
    keys = list(RollupDirtyVisitorDay.objects.order_by("marked_at").values_list("visitor_id", "day")[:limit])
    if not keys:
        return 0
    with transaction.atomic():
        attribution_refresh(_visitor_days_moving(keys))
        for day in {day for _, day in keys}:
            RollupDirtyVisitorDay.objects.filter(
                day=day, visitor_id__in=[v for v, d in keys if d == day], marked_at__lte=started
            ).delete()
    return len(keys)


def rollups_refresh(*, seconds: float | None = None) -> dict[str, int]:
    """Bring both rollups up to date with what was marked (synchronously); with `seconds`, stop starting
    new rounds after that long (the sweep). Returns how many page views were added, and how many people
    and visitor-days were computed."""
    deadline = None if seconds is None else time.monotonic() + seconds
    done = {"page_views": 0, "people": 0, "visitor_days": 0}
    changed_since_mark()
    while deadline is None or time.monotonic() < deadline:
        # Page views first: the people they move are then computed in the same round.
        views = _page_views_round(PAGE_VIEWS_BATCH)
        people = _people_round(BATCH)
        days = _visitor_days_round(BATCH)
        done["page_views"] += views
        done["people"] += people
        done["visitor_days"] += days
        if not views and not people and not days:
            break
    return done


def rollups_sweep() -> int:
    """The workers' sweep (WORKER_SWEEPS): compute what was marked, for at most SWEEP_SECONDS."""
    return sum(rollups_refresh(seconds=SWEEP_SECONDS).values())


def page_views_written_receive(views, inserted_table: str | None = None) -> None:
    """The writer stored a batch: record, in its transaction, what the sweep must add (the views' ids on
    PostgreSQL, visitor_batches; elsewhere their (visitor, day) keys, computed again in full). Should
    recording the ids fail, the batch is not lost for the rollup: its keys are marked instead."""
    if not any(visitor_id for visitor_id, _ in views):
        return
    if not (inserted_table and connection.vendor == "postgresql"):
        visitor_days_mark(keys_of_views(views))
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the page views' write intact
            pending_record(inserted_table)
    except Exception:
        keys = keys_of_views(views)
        logger.exception("Page views of %d visitor-days not recorded for the rollup; their days marked", len(keys))
        visitor_days_mark(keys)


__all__ = [
    "everybody_mark",
    "page_views_written_receive",
    "people_mark",
    "rollups_refresh",
    "rollups_sweep",
    "visitor_days_mark",
]
