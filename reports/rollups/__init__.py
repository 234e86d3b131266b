"""The reports' rollups kept current: PersonJourney and DailyVisitor (reports.models).

How they stay current:
- page views: the page-view writer sends leads.signals.page_views_written with each batch, inside
  the batch's transaction; on PostgreSQL the batch's views are added to the (visitor, day) rows they
  touch (visitor_batches.py), elsewhere those rows are computed again from the raw rows
  (visitors.py), there and then, so the rollup commits with the views or not at all;
- people: leads.signals.people_changed (every person save, stage move, rescore, merge, CRM feedback)
  marks them in a table (dirty.py); the workers' sweep (`rollups_sweep`, in WORKER_SWEEPS) computes
  the marked journeys in batches (journeys.py), and with them the visitor-days their page views now
  say otherwise (a browser identified, a merge, an erasure);
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

from reports.models import RollupDirtyPerson, RollupDirtyVisitorDay

from ..attribution.rollup import attribution_refresh, visit_people, visits_moved
from .dirty import changed_since_mark, everybody_mark, people_mark, visitor_days_mark
from .journeys import journeys_refresh
from .visitor_batches import visitor_days_add
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
        journeys_refresh(existing)
        keys = keys_of_people(sorted(existing), vanished)
        moved = _visitor_days_moving(keys)
        # After both: the credit reads the new journeys and the visitor-days now joined to the person,
        # and moves for whoever those days were taken from too.
        attribution_refresh(set(ids) | moved)
        # Marks made while this round computed (a later change) stay for the next one.
        RollupDirtyPerson.objects.filter(person_id__in=ids, marked_at__lte=started).delete()
    return len(ids)


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
    new rounds after that long (the sweep). Returns how many people and visitor-days were computed."""
    deadline = None if seconds is None else time.monotonic() + seconds
    done = {"people": 0, "visitor_days": 0}
    changed_since_mark()
    while deadline is None or time.monotonic() < deadline:
        people = _people_round(BATCH)
        days = _visitor_days_round(BATCH)
        done["people"] += people
        done["visitor_days"] += days
        if not people and not days:
            break
    return done


def rollups_sweep() -> int:
    """The workers' sweep (WORKER_SWEEPS): compute what was marked, for at most SWEEP_SECONDS."""
    done = rollups_refresh(seconds=SWEEP_SECONDS)
    return done["people"] + done["visitor_days"]


def page_views_written_receive(views, inserted_table: str | None = None) -> None:
    """The writer stored a batch: add it to its (visitor, day) rows on PostgreSQL (visitor_batches), or
    compute those rows again, in its transaction. Should that fail, the batch is not lost for it: the
    keys are marked for the sweep instead."""
    if not any(visitor_id for visitor_id, _ in views):
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the page views' write intact
            if inserted_table and connection.vendor == "postgresql":
                moved = visitor_days_add(inserted_table)
            else:
                moved = _visitor_days_moving(keys_of_views(views))
            if moved:
                people_mark(moved)
    except Exception:
        keys = keys_of_views(views)
        logger.exception("Daily visitors of %d visitor-days not computed with their page views; marked", len(keys))
        visitor_days_mark(keys)


__all__ = [
    "everybody_mark",
    "page_views_written_receive",
    "people_mark",
    "rollups_refresh",
    "rollups_sweep",
    "visitor_days_mark",
]
