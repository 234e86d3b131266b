"""The rollups' PostgreSQL advisory locks: who may write which rollup rows at the same time.

Transaction-level locks (released when the transaction ends, so a worker that dies holds nothing).
Elsewhere the database runs one writer at a time and every lock here is a no-op.
"""

from __future__ import annotations

from django.db import connection

# Who may write DailyVisitor rows at the same time (a transaction-level advisory lock, PostgreSQL). The
# sweep's pending page views are added to the rows as they stand (visitor_batches) under the lock shared,
# until that transaction ends; computing days again in full reads their views (without the pending
# ones), then upserts: it holds the lock alone from before it reads until its transaction ends. Without
# it, a computation that read a day before a batch was added and wrote after wrote back the count
# without the batch's views (a lost update, seen when a browser was identified during its visit: the day
# is computed again while its views keep coming). Batches do not wait for each other; a full
# computation waits for batches being added to commit, and they for it. The writer takes no lock.
VISITOR_DAYS_LOCK = 0x5250_5456  # any fixed number, the same for every process


def visitor_days_lock(*, shared: bool = False) -> None:
    """Take the visitor-days lock until the current transaction ends (PostgreSQL; elsewhere the database
    runs one writer at a time)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [VISITOR_DAYS_LOCK])


# One people round and one page-view round at a time (transaction-level advisory locks, PostgreSQL):
# with several workers, their sweeps would otherwise compute the same marked people twice, and two rounds
# counting the same days and objects (the count triggers, one upsert per statement, each in key order)
# could lock the same counts in opposite orders across their statements and deadlock. A sweep that finds
# the round taken skips it; the worker holding it does the work.
PEOPLE_ROUND = 0x5250_5045
PAGE_VIEWS_ROUND = 0x5250_5056


def round_alone(lock: int) -> bool:
    """Take `lock` for the current transaction if nobody holds it (PostgreSQL; elsewhere always)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock])
        return cursor.fetchone()[0]
