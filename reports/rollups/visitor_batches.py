"""A page-view batch added to DailyVisitor on PostgreSQL, without reading the days' views again.

The writer (leads.behaviour) hands over the page views its batch inserted (page_views_written's
inserted_table: only rows it inserted, so a batch written twice is added once). Each of the batch's
(visitor, day) rows becomes:
- page_views: the row's plus the batch's;
- first_at and the day's attribution (UTM, referrer, channel): the batch's first view if it is earlier
  than the row's first (a late view); a view at the same moment came later, by its id, and does not;
- person_id and last_known_at: the batch's latest known view if it is as late as the row's, or later
  (at the same moment the batch's view is the later one by its id);
- a day the rollup does not hold yet: the batch's views are the day's. Only the writer stores page
  views, and every day with views has its row (the writer's batches, the sweep, `reports_rebuild`).

That is exact because the row says what the day's views said when it was written, and whatever changes
a day's existing views without the writer (a browser identified, a merge, an erasure) marks the day for
the sweep, which computes it again in full (visitors.visitor_days_refresh). A row with a person and no
last_known_at (written before the column existed) cannot say which of its views was the latest known:
it is computed again in full here, views of the batch included.

Why: computing the batch's days again from the raw views read every view of every day the batch
touched (a lateral scan, a sort, the first view looked up again) on the writer's path; the bar is
under 10% added to page-view ingestion (docs/reports.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from .visitors import (
    WHAT_MOVED,
    channel_case,
    previous_days_refresh,
    rows_and_insert,
    visitor_days_lock,
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
    """Add the page views in `table` (the writer's batch, see leads.signals.page_views_written) to their
    visitor-days; set the previous days of visitors with later days; return the people whose
    attribution credit that moved (as visitors.visitor_days_refresh names them)."""
    channel_sql, channel_params = channel_case()
    visitor_days_lock(shared=True)  # until the writer commits: see visitors.VISITOR_DAYS_LOCK
    with connection.cursor() as cursor:
        cursor.execute(add_statement(table, channel_sql), [settings.TIME_ZONE, *channel_params])
        _found, again, moved, visitors, days = cursor.fetchone()
    moved = set(moved)
    if visitors:
        moved |= visitor_days_refresh(zip(visitors, days, strict=True))["moved"]
    previous_days_refresh(again)
    return moved
