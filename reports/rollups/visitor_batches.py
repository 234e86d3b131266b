"""Page views added to DailyVisitor on PostgreSQL by the sweep, without reading the days' views again.

The writer (leads.behaviour) only records the ids of the page views its batch inserted
(`pending_record`, from page_views_written's inserted_table: only rows it inserted, so a batch written
twice is recorded once) in reports.PendingPageView, in the views' own transaction. The sweep
(`pending_add`) takes up to a round's worth of those ids, reads the views as they are now (their person
may have changed since, or they may be gone), adds them to their rows and forgets the ids, in one
transaction. Each of the (visitor, day) rows they touch becomes:
- page_views: the row's plus the batch's;
- first_at and the day's attribution (UTM, referrer, channel): the batch's first view if it is earlier
  than the row's first (a late view); a view at the same moment came later, by its id, and does not;
- person_id and last_known_at: the batch's latest known view if it is as late as the row's, or later
  (at the same moment the batch's view is the later one by its id);
- a day the rollup does not hold yet: the batch's views are the day's.

That is exact because a row says what its day's views said when it was written, leaving out the views
still pending: every full computation of a day (visitors.visitor_days_refresh, `reports_rebuild`) skips
them, so a view reaches its row once, when the sweep adds it. Whatever changes a day's views other than
the writer (a browser identified, a merge, an erasure) marks the day, which is then computed again in
full. A row with a person and no last_known_at (written before the column existed) cannot say which of
its views was the latest known: it is computed again in full here, views of the batch included.

Why the sweep and not the writer: adding each batch in the writer's transaction cost the writer 13-17%
of its time, against a bar of under 10% (docs/reports.md); recording the ids costs it a few per cent, and
the visitor numbers follow within the sweep's minute, as the journeys and the credit already do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from .locks import visitor_days_lock
from .visitors import (
    WHAT_MOVED,
    channel_case,
    previous_days_refresh,
    rows_and_insert,
    visitor_days_refresh,
)

ADD_POSTGRESQL = """
    -- The batch's rows are narrow (no JSON): only each day's first view is read again, for its UTM and referrer.
    -- The day's first view and latest known view by plain MIN and MAX over (microseconds, id[, person]):
    -- hashed in one pass, where ordered ARRAY_AGGs sorted the batch and then every group again.
    WITH g AS (
        SELECT t.visitor_id, (t.occurred_at AT TIME ZONE %s)::date AS day, COUNT(*) AS views,
               MIN(ARRAY[t.us, t.id]) AS first,
               MAX(ARRAY[t.us, t.id, t.person_id]) FILTER (WHERE t.person_id IS NOT NULL) AS known,
               MAX(t.occurred_at) FILTER (WHERE t.person_id IS NOT NULL) AS known_at
        FROM (SELECT *, (EXTRACT(EPOCH FROM occurred_at) * 1000000)::bigint AS us FROM {table}) t
        GROUP BY 1, 2
    ),
    a AS (SELECT g.visitor_id, g.day, g.views, g.first[2] AS first_id, g.known[3] AS person_id, g.known_at FROM g),
    {rows_and_insert}
        -- Merged with the row as it is when locked (`d`), not as `old` read it: a sweep that computed the
        -- day meanwhile and committed is added to, not overwritten.
        ON CONFLICT (day, visitor_id) DO UPDATE SET
            page_views = d.page_views + EXCLUDED.page_views,
            first_at = LEAST(d.first_at, EXCLUDED.first_at),
            channel = CASE WHEN EXCLUDED.first_at < d.first_at THEN EXCLUDED.channel ELSE d.channel END,
            source = CASE WHEN EXCLUDED.first_at < d.first_at THEN EXCLUDED.source ELSE d.source END,
            medium = CASE WHEN EXCLUDED.first_at < d.first_at THEN EXCLUDED.medium ELSE d.medium END,
            campaign = CASE WHEN EXCLUDED.first_at < d.first_at THEN EXCLUDED.campaign ELSE d.campaign END,
            referrer_domain = CASE WHEN EXCLUDED.first_at < d.first_at
                                   THEN EXCLUDED.referrer_domain ELSE d.referrer_domain END,
            person_id = CASE WHEN EXCLUDED.last_known_at >= d.last_known_at
                                  OR (d.last_known_at IS NULL AND EXCLUDED.last_known_at IS NOT NULL)
                             THEN EXCLUDED.person_id ELSE d.person_id END,
            last_known_at = GREATEST(d.last_known_at, EXCLUDED.last_known_at)
        -- A row from before last_known_at with a person: computed again in full afterwards.
        WHERE d.person_id IS NULL OR d.last_known_at IS NOT NULL
        RETURNING d.visitor_id, d.day, d.person_id, d.first_at, d.channel, d.campaign
    ),
{what_moved}"""
# The rows left for a full computation (see above), as two arrays.
IN_FULL = """,
        ARRAY(SELECT o.visitor_id FROM old o WHERE o.person_id IS NOT NULL AND o.last_known_at IS NULL
              ORDER BY o.visitor_id, o.day),
        ARRAY(SELECT o.day FROM old o WHERE o.person_id IS NOT NULL AND o.last_known_at IS NULL
              ORDER BY o.visitor_id, o.day)"""


def add_statement(table: str, channel_sql: str) -> str:
    return ADD_POSTGRESQL.format(
        table=connection.ops.quote_name(table),
        rows_and_insert=rows_and_insert("a", channel_sql),
        what_moved=WHAT_MOVED.format(more=IN_FULL),
    )


def visitor_days_add(table: str) -> set[int]:
    """Add the page views in `table` (id, visitor_id, occurred_at, person_id) to their visitor-days; set
    the previous days of visitors with later days; return the people whose attribution credit that moved
    (as visitors.visitor_days_refresh names them)."""
    channel_sql, channel_params = channel_case()
    visitor_days_lock(shared=True)  # until the transaction ends: see locks.VISITOR_DAYS_LOCK
    with connection.cursor() as cursor:
        cursor.execute(add_statement(table, channel_sql), [settings.TIME_ZONE, *channel_params])
        _found, again, moved, visitors, days = cursor.fetchone()
    moved = set(moved)
    if visitors:
        moved |= visitor_days_refresh(zip(visitors, days, strict=True))["moved"]
    previous_days_refresh(again)
    return moved


def pending_record(inserted_table: str) -> None:
    """The writer's part, in its transaction: the ids of the page views its batch inserted, to add later."""
    table = connection.ops.quote_name(inserted_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO reports_pendingpageview (interaction_id) SELECT id FROM {table}")


PAGE_VIEWS_BATCH = 50_000  # pending page views added per round: one statement, as a writer's batch was
ADDING_TABLE = "reports_page_views_adding"
# The oldest pending ids, taken by this round alone (SKIP LOCKED: two sweeps take different views), with
# the views as they are now: a view deleted since (its person erased, an anonymous view purged) is
# dropped, a view joined to a person since counts for them. Deleted by their row addresses (a TID scan,
# no second look-up per id), and each view read by its id (OFFSET 0 keeps the look-up on the primary key:
# with statistics behind the writes PostgreSQL hashed every page view instead).
TAKE_PENDING = """
    WITH taken AS (
        DELETE FROM reports_pendingpageview WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM reports_pendingpageview ORDER BY interaction_id LIMIT %s FOR UPDATE SKIP LOCKED
        ))
        RETURNING interaction_id
    ),
    views AS (
        INSERT INTO {table} (id, visitor_id, occurred_at, person_id)
        SELECT i.id, i.visitor_id, i.occurred_at, i.person_id
        FROM taken CROSS JOIN LATERAL (
            SELECT i.id, i.type, i.visitor_id, i.occurred_at, i.person_id
            FROM leads_interaction i WHERE i.id = taken.interaction_id OFFSET 0
        ) i
        WHERE i.type = 'page_view' AND i.visitor_id <> ''
        RETURNING 1
    )
    SELECT (SELECT COUNT(*) FROM taken), (SELECT COUNT(*) FROM views)
"""


def pending_add(limit: int) -> tuple[int, set[int]]:
    """The sweep's part: add up to `limit` pending page views to their visitor-days, inside the caller's
    transaction (the ids are forgotten only if it commits). Returns (ids taken, people whose credit
    moved)."""
    # For the whole round: a full computation of a day reads its views without the pending ones, and
    # between its read and its write no pending view may reach the row (locks.VISITOR_DAYS_LOCK).
    visitor_days_lock(shared=True)
    table = connection.ops.quote_name(ADDING_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {table} (id bigint, visitor_id varchar(64), occurred_at timestamptz, person_id bigint) "
            "ON COMMIT DROP"
        )
        cursor.execute(TAKE_PENDING.format(table=table), [limit])
        taken, views = cursor.fetchone()
        moved = visitor_days_add(ADDING_TABLE) if views else set()
        cursor.execute(f"DROP TABLE {table}")  # now: inside an outer transaction the next round makes it again
    return taken, moved
