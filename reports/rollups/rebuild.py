"""Both rollups computed again from scratch (`manage.py reports_rebuild`): after a restore, a change
to what a column means, or to check the incremental path. Set-based, in batches, each committed on
its own (a rebuild interrupted half-way leaves good rows and is simply run again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leads.models import Interaction, Person, StageTransition
from reports.models import DailyVisitor, PersonJourney, RollupDirtyPerson

from .content import content_days_rebuild, content_days_refresh
from .dirty import people_mark, watermark_set
from .journeys import BATCH as PEOPLE_BATCH
from .journeys import journeys_refresh
from .locks import visitor_days_lock
from .visitor_batches import PAGE_VIEWS_BATCH, pending_add
from .visitors import (
    day_bounds,
    day_of,
    previous_days_refresh,
    site_zone,
    visitor_days_refresh,
)

Progress = Callable[[str], None]


def default_since() -> date:
    """Anonymous page views older than the retention (ANONYMOUS_BEHAVIOUR_RETENTION_DAYS) are purged:
    the days before it are kept as the rollup holds them, not recomputed from what is left."""
    return day_of(timezone.now()) - timedelta(days=settings.ANONYMOUS_BEHAVIOUR_RETENTION_DAYS)


def journeys_rebuild(*, since: date | None = None, progress: Progress | None = None) -> int:
    """Every person's journey (created on or after `since` when given), PEOPLE_BATCH at a time."""
    started, at = time.monotonic(), timezone.now()
    last_transition = StageTransition.objects.order_by("-id").values_list("id", flat=True).first() or 0
    people = Person.objects.order_by("pk")
    if since is not None:
        people = people.filter(created_at__gte=day_bounds(since)[0])
    else:
        # Rows of people who no longer exist went with them (CASCADE); nothing else to clear.
        PersonJourney.objects.exclude(person_id__in=Person.objects.values("pk")).delete()
    total, last = people.count(), 0
    done = 0
    while True:
        ids = list(people.filter(pk__gt=last).values_list("pk", flat=True)[:PEOPLE_BATCH])
        if not ids:
            break
        with transaction.atomic():
            journeys_refresh(ids)
            if since is not None:  # (without: every person's content rows at the end, in one statement)
                content_days_refresh(ids)
            RollupDirtyPerson.objects.filter(person_id__in=ids, marked_at__lte=at).delete()
        done, last = done + len(ids), ids[-1]
        if progress:
            rate = done / max(time.monotonic() - started, 1e-6)
            progress(f"journeys: {done:,} of {total:,} people ({rate:,.0f}/s)")
    if since is None:
        with transaction.atomic():
            content_days_rebuild()  # everybody's, people who no longer exist gone
        watermark_set(at=at, last_transition_id=last_transition)
    return done


def visitors_rebuild(*, since: date | None = None, progress: Progress | None = None) -> int:
    """Every visitor-day from `since` (default_since()) to today, a day at a time: the day's rows are
    deleted and computed again from its page views."""
    since = since or default_since()
    zone, today = site_zone(), day_of(timezone.now())
    started, written, day = time.monotonic(), 0, since
    # What the writer left for the sweep is added first: a day computed in full leaves pending views out
    # (visitor_batches), and a rebuild run with no worker (the demo) would otherwise lack them.
    added = 1
    while connection.vendor == "postgresql" and added:
        with transaction.atomic():
            added, moved = pending_add(PAGE_VIEWS_BATCH)
            people_mark(moved)  # (`reports_rebuild` then rebuilds everybody's credit anyway)
    while day <= today:
        starts, ends = day_bounds(day, zone)
        with transaction.atomic():  # readers see the day's old rows until its new ones commit
            # Page-view batches wait until the day is done, so none lands between reading its visitors
            # and replacing its rows (locks.VISITOR_DAYS_LOCK).
            visitor_days_lock()
            visitors = set(
                Interaction.objects.filter(
                    type=Interaction.Type.PAGE_VIEW, occurred_at__gte=starts, occurred_at__lt=ends
                )
                .exclude(visitor_id="")
                .values_list("visitor_id", flat=True)
                .iterator(chunk_size=20_000)
            )
            held = DailyVisitor.objects.filter(day=day)
            gone = set(held.values_list("visitor_id", flat=True)) - visitors
            held.delete()
            written += visitor_days_refresh((visitor_id, day) for visitor_id in visitors)["written"]
            previous_days_refresh(gone)  # their later days no longer follow this one
        if progress:
            progress(f"daily visitors: {day} done, {written:,} visitor-days ({time.monotonic() - started:,.0f} s)")
        day += timedelta(days=1)
    visitor_counts_rebuild()
    return written


# DailyVisitorCount from the rows, the way its triggers count them (migration 0011).
COUNTS_REBUILD_POSTGRESQL = """
    INSERT INTO reports_dailyvisitorcount (day, known, since, visitors)
    SELECT day, known, since, COUNT(*) FROM (
        SELECT day, false AS known, COALESCE(previous_day, DATE '0001-01-01') AS since FROM reports_dailyvisitor
        UNION ALL
        SELECT day, true, COALESCE(previous_known_day, DATE '0001-01-01') FROM reports_dailyvisitor
        WHERE person_id IS NOT NULL
    ) d
    GROUP BY day, known, since
"""


def visitor_counts_rebuild() -> None:
    """The visitor counts again from every visitor-day (PostgreSQL): the triggers keep them, but a
    restore that skipped triggers, or a hand edit with them off, would not."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        visitor_days_lock()  # no visitor-day written meanwhile: see locks.VISITOR_DAYS_LOCK
        cursor.execute("DELETE FROM reports_dailyvisitorcount")
        cursor.execute(COUNTS_REBUILD_POSTGRESQL)


def rollups_rebuild(*, since: date | None = None, progress: Progress | None = None) -> dict[str, int]:
    from reports.attribution.rollup import attribution_rebuild

    done = {
        "journeys": journeys_rebuild(since=since, progress=progress),
        "visitor_days": visitors_rebuild(since=since, progress=progress),
    }
    # Credit reads both, and is everybody's or nobody's: rebuilt whole, whatever `since` says.
    done["attribution"] = attribution_rebuild(progress=progress)
    return done
