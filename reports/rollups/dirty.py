"""What is waiting to be computed again, kept in tables so a worker that dies loses nothing.

The lead store's signals mark people (one upsert per signal, after its transaction committed), the
sweep computes them in batches and forgets only the marks it has served: a person marked again while
being computed (marked_at later than the batch's start) stays marked for the next round. "Everybody
changed" (a full rescore) is not a million marks: it sets the watermark pending, and the sweep marks
only those whose rows changed since the last look.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from leads.models import Company, Deal, Lead, Person, StageTransition
from reports.models import RollupDirtyPerson, RollupDirtyVisitorDay, RollupWatermark

PEOPLE = "people"
# Rows committed a little out of order (two transactions, two clocks) are looked at again: safe, as a
# journey computed twice is the same journey.
OVERLAP = timedelta(minutes=5)
TRANSITION_ID_OVERLAP = 1_000


# A mark made on its own (after the change committed, as people_changed arrives) commits without waiting
# for the disk on PostgreSQL: a capture sends people_changed three or four times, and a flushed commit
# each cost more than the rest of the rollups together (bench_reports_rollups). A worker that dies loses
# nothing (the row is committed); a database server that crashes in the next fraction of a second may
# lose the mark, and that journey waits for the person's next change or `reports_rebuild`. One statement,
# one round trip: set_config(..., true) holds for the statement's own transaction (autocommit commits
# it), where BEGIN, SET LOCAL, the upsert and COMMIT took four (half the receivers' cost per capture).
MARK_ALONE_POSTGRESQL = """
    WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
    INSERT INTO reports_rollupdirtyperson (person_id, marked_at)
    SELECT DISTINCT pk, %s::timestamptz FROM unnest(%s::bigint[]) AS pk, unflushed
    ON CONFLICT (person_id) DO UPDATE SET marked_at = EXCLUDED.marked_at
"""


def people_mark(person_ids: Iterable[int], *, at=None) -> int:
    """Mark these people's journeys (and their visitor-days) to be computed again."""
    at = at or timezone.now()
    ids = sorted({int(pk) for pk in person_ids if pk})
    if not ids:
        return 0
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(MARK_ALONE_POSTGRESQL, [at, ids])
        return len(ids)
    # Inside someone else's transaction (their commit is theirs), or another database.
    rows = [RollupDirtyPerson(person_id=pk, marked_at=at) for pk in ids]
    with transaction.atomic():
        for start in range(0, len(rows), 5_000):
            RollupDirtyPerson.objects.bulk_create(
                rows[start : start + 5_000],
                update_conflicts=True,
                unique_fields=["person_id"],
                update_fields=["marked_at"],
            )
    return len(ids)


def everybody_mark() -> None:
    """Everybody may have changed: the sweep looks at what changed since its last look."""
    updated = RollupWatermark.objects.filter(name=PEOPLE).update(pending=True)
    if not updated:
        RollupWatermark.objects.get_or_create(name=PEOPLE, defaults={"pending": True})


def visitor_days_mark(keys: Iterable[tuple[str, date]], *, at=None) -> int:
    at = at or timezone.now()
    rows = [RollupDirtyVisitorDay(visitor_id=v, day=d, marked_at=at) for v, d in set(keys) if v]
    for start in range(0, len(rows), 5_000):
        RollupDirtyVisitorDay.objects.bulk_create(
            rows[start : start + 5_000],
            update_conflicts=True,
            unique_fields=["visitor_id", "day"],
            update_fields=["marked_at"],
        )
    return len(rows)


def watermark_set(*, at, last_transition_id: int | None = None) -> None:
    """Everything up to `at` is in the rollups (a rebuild, a caught-up sweep)."""
    if last_transition_id is None:
        last_transition_id = StageTransition.objects.order_by("-id").values_list("id", flat=True).first() or 0
    RollupWatermark.objects.update_or_create(
        name=PEOPLE, defaults={"pending": False, "checked_at": at, "last_transition_id": last_transition_id}
    )


def changed_since_mark() -> int:
    """If everybody was said to have changed, mark the people whose rows did change since the last look
    (their record, company, leads, stage moves, deals). Returns how many were marked."""
    mark = RollupWatermark.objects.filter(name=PEOPLE, pending=True).first()
    if mark is None:
        return 0
    started = timezone.now()
    last_transition = StageTransition.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if mark.checked_at is None:  # never looked: everybody is new to the rollups
        ids = set(Person.objects.values_list("pk", flat=True).iterator(chunk_size=50_000))
    else:
        since = mark.checked_at - OVERLAP
        companies = Company.objects.filter(updated_at__gte=since).values("pk")
        ids = set(
            Person.objects.filter(Q(updated_at__gte=since) | Q(company__in=companies)).values_list("pk", flat=True)
        )
        ids |= set(
            Lead.objects.filter(processed_at__gte=since, person__isnull=False).values_list("person_id", flat=True)
        )
        ids |= set(
            StageTransition.objects.filter(id__gt=mark.last_transition_id - TRANSITION_ID_OVERLAP).values_list(
                "person_id", flat=True
            )
        )
        ids |= set(Deal.objects.filter(updated_at__gte=since, person__isnull=False).values_list("person_id", flat=True))
    marked = people_mark(ids, at=started)
    # Not pending any more unless someone said "everybody" again meanwhile (then it waits a round).
    RollupWatermark.objects.filter(name=PEOPLE, pk=mark.pk, checked_at=mark.checked_at).update(
        pending=False, checked_at=started, last_transition_id=last_transition
    )
    return marked
