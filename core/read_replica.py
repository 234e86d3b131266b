"""Reports and exports may read from a PostgreSQL read replica (DATABASE_REPLICA_URL adds the "replica"
database and this router; without it neither exists and nothing here changes anything).

Reads go to the replica only inside `reading_from_replica()`, never by model: a router sees a model and
not the request, and most reads must see what the same request (or the one just before it) wrote, which
a replica may not have yet. So the big read-only work opts in (a report's figures, an export's rows) and
accepts being a few seconds behind. Writes always go to the primary, inside the scope too (the audit
entry an export leaves, a job's progress), so nothing is ever written to a read-only replica.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DEFAULT = "default"
REPLICA = "replica"

# A context variable rather than a thread-local: asynchronous code and threads each keep their own. A new
# thread starts outside the scope, so work handed to a thread must be bound first (`on_reading_database`).
_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside go to the replica when one is configured (to the primary otherwise); writes never do.
    Also a decorator: `@reading_from_replica()`."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def on_reading_database(queryset):
    """`queryset` bound to the database reads go to here and now, so that reading it later still goes
    there: a CSV streamed after the view returned, the next batch read in a thread of its own."""
    return queryset.using(queryset.db)


class ReplicaRouter:
    """In DATABASE_ROUTERS only when the replica is configured (cms/settings/base.py)."""

    def db_for_read(self, model, **hints):
        # Outside the scope the primary, even for an object that came from the replica (so its related
        # rows are read fresh once the report is done).
        return REPLICA if _reading_from_replica.get() else DEFAULT

    def db_for_write(self, model, **hints):
        # Named outright: with no answer Django would write an object back where it was read from.
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        # The same rows on both: an object read from the replica may be linked to one from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by replication; `migrate` only ever runs on the primary.
        return db == DEFAULT
