"""DailyVisitor computed again for a set of (visitor id, day) keys, from the page views themselves.

A day is the site's day (settings.TIME_ZONE), as the reports' periods read it. For each key:
- first_at: the day's earliest page view (its time, then its id); its UTM and referrer are the day's
  attribution, and so its channel (reports.channels);
- page_views: how many page views the visitor opened that day;
- person_id: the person of the day's latest page view that has one (a shared browser that two people
  identified on the same day counts for the later of them), None for an anonymous day; last_known_at:
  that view's time.

Recomputing whole days from the raw rows keeps the rollup exact whatever happened meanwhile: views
joined to a person when the visitor was identified, a merge, an erasure. (On PostgreSQL the page views
the writer stored since the last sweep are left out here, and added to the rows afterwards by the sweep:
reports.rollups.visitor_batches.) A key without
any page view left loses its row. Views without a visitor id (a person tracked without the cookie) are
no visitor and are not counted here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leads.models import Interaction
from reports.channels import channel_expression, channel_of
from reports.models import DailyVisitor

from .journeys import host_of
from .locks import visitor_days_lock

KEYS_PER_STATEMENT = 5_000  # four parameters each: inside SQLite's limit (32,766)
KEYS_PER_STATEMENT_POSTGRESQL = 20_000  # four arrays: one statement per writer batch
UPDATE_FIELDS = [
    "person_id",
    "last_known_at",
    "first_at",
    "channel",
    "source",
    "medium",
    "campaign",
    "referrer_domain",
    "page_views",
]


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_of(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The site's day of an aware moment."""
    return moment.astimezone(zone or site_zone()).date()


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a site's day as aware datetimes (23 or 25 hours around a clock change)."""
    zone = zone or site_zone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def _json_text(column: str, key: str) -> str:
    return f"json_extract({column}, '$.{key}')"


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=ZoneInfo("UTC"))
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=ZoneInfo("UTC"))


def _statement(count: int) -> str:
    """SQLite's statement for `count` keys: every page view of each key's day, ranked in one pass (the
    day's first view; the day's latest view with a person first among them), one row per key kept.
    The rows are finished in Python (channel, referrer host) and upserted by bulk_create."""
    row = "(%s, %s, %s, %s)"
    views = """k JOIN leads_interaction i
              ON i.visitor_id = k.visitor_id AND i.occurred_at >= k.starts AND i.occurred_at < k.ends
             AND i.type = 'page_view'"""
    values = ", ".join([row] * count)
    props = [_json_text("v.properties", key) for key in ("utm_source", "utm_medium", "utm_campaign", "referrer")]
    return f"""
        WITH k(visitor_id, n, starts, ends) AS (VALUES {values}),
        v AS (
            SELECT k.n, i.occurred_at, i.properties,
                   ROW_NUMBER() OVER (PARTITION BY k.n ORDER BY i.occurred_at, i.id) AS first_rank,
                   COUNT(*) OVER (PARTITION BY k.n) AS views,
                   FIRST_VALUE(i.person_id) OVER (
                       PARTITION BY k.n ORDER BY (i.person_id IS NULL), i.occurred_at DESC, i.id DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                   ) AS known,
                   MAX(CASE WHEN i.person_id IS NOT NULL THEN i.occurred_at END) OVER (PARTITION BY k.n) AS known_at
            FROM {views}
        )
        SELECT v.n, v.occurred_at, v.views, {", ".join(props)}, v.known, v.known_at
        FROM v WHERE v.first_rank = 1
    """


@functools.cache
def channel_case() -> tuple[str, tuple]:
    """reports.channels' CASE as SQL over a row `r` with source, medium and referrer_domain columns."""
    lowered, case = channel_expression()
    sql, params = DailyVisitor.objects.annotate(**lowered).annotate(ch=case).values("ch").query.sql_with_params()
    case_sql = sql[len("SELECT ") : sql.rindex(' AS "ch" FROM')]
    return case_sql.replace('"reports_dailyvisitor".', "r."), tuple(params)


# PostgreSQL: the keys as four arrays (four parameters, whatever their number) and the round in one
# statement (compute and upsert): no rows through Python. The views are ranked narrow (id, time, person)
# and only each day's first view is read again for its UTM and referrer: sorting the JSON of every view
# spilled to disk. A row that would not change is not written again (no dead tuple).
# The same statement answers what used to take three more round trips per page-view batch (the bar is
# under 10% on ingestion): a new row gets its previous days from the visitor's rows before it (`old`
# and the look-ups read the snapshot from before the insert); it names the visitors whose later rows
# must be computed again (a day inserted or one turned known, with a day after it), and the people whose
# credit moves: whoever a day was taken from, and whoever a day's touch (its person, time, channel or
# campaign: what reports.attribution.touches reads) changed for with a conversion at or after it.
REFRESH_POSTGRESQL = """
    WITH k AS (
        SELECT * FROM unnest(%s::varchar[], %s::date[], %s::timestamptz[], %s::timestamptz[])
            AS k(visitor_id, day, starts, ends)
    ),
    a AS (
        SELECT k.visitor_id, k.day, COUNT(*) AS views,
               (ARRAY_AGG(i.id ORDER BY i.occurred_at, i.id))[1] AS first_id,
               (ARRAY_AGG(i.person_id ORDER BY i.occurred_at DESC, i.id DESC)
                    FILTER (WHERE i.person_id IS NOT NULL))[1] AS person_id,
               MAX(i.occurred_at) FILTER (WHERE i.person_id IS NOT NULL) AS known_at
        FROM {views}
        GROUP BY k.visitor_id, k.day
    ),
    {rows_and_insert}
        ON CONFLICT (day, visitor_id) DO UPDATE SET
            person_id = EXCLUDED.person_id, last_known_at = EXCLUDED.last_known_at, first_at = EXCLUDED.first_at,
            channel = EXCLUDED.channel, source = EXCLUDED.source, medium = EXCLUDED.medium,
            campaign = EXCLUDED.campaign, referrer_domain = EXCLUDED.referrer_domain, page_views = EXCLUDED.page_views
        WHERE (d.person_id, d.last_known_at, d.first_at, d.channel, d.source, d.medium, d.campaign, d.referrer_domain,
               d.page_views)
              IS DISTINCT FROM (EXCLUDED.person_id, EXCLUDED.last_known_at, EXCLUDED.first_at, EXCLUDED.channel,
                                EXCLUDED.source, EXCLUDED.medium, EXCLUDED.campaign, EXCLUDED.referrer_domain,
                                EXCLUDED.page_views)
        RETURNING d.visitor_id, d.day, d.person_id, d.first_at, d.channel, d.campaign
    ),
{what_moved}"""
# What both PostgreSQL statements (this one and the writer's batch added: visitor_batches) share.
# Per key (visitor, day), from the snapshot before the insert: `old`, the row the key had; `before`, the
# row before it (a new row's previous days); `later`, the keys whose visitor has a row after that day.
# One probe reads the visitor's two latest rows: for a key on or after the visitor's last day (every
# view but a late one) they are all three answers. Only a key with a later row is probed again, back
# from its day. LIMIT keeps both laterals nested loops on the (visitor, day) index: a hash join read the
# whole table when its statistics were behind the writes, and three probes per key (the row, the one
# before, any after) were a fifth of a page-view batch's cost.
ROW_COLUMNS = """d.day AS row_day, d.person_id, d.last_known_at, d.first_at, d.channel, d.campaign,
                   d.previous_known_day"""
OLD_ROWS = """latest AS (
        SELECT {keys}.visitor_id, {keys}.day, n.* FROM {keys} CROSS JOIN LATERAL (
            SELECT {columns} FROM reports_dailyvisitor d
            WHERE d.visitor_id = {keys}.visitor_id ORDER BY d.day DESC LIMIT 2
        ) n
    ),
    later AS (SELECT DISTINCT visitor_id, day FROM latest WHERE row_day > day),
    near AS (
        SELECT t.* FROM latest t
        WHERE NOT EXISTS (SELECT 1 FROM later l WHERE l.visitor_id = t.visitor_id AND l.day = t.day)
        UNION ALL
        SELECT l.visitor_id, l.day, n.* FROM later l CROSS JOIN LATERAL (
            SELECT {columns} FROM reports_dailyvisitor d
            WHERE d.visitor_id = l.visitor_id AND d.day <= l.day ORDER BY d.day DESC LIMIT 2
        ) n
    ),
    old AS (
        SELECT visitor_id, day, person_id, last_known_at, first_at, channel, campaign FROM near WHERE row_day = day
    ),
    before AS (
        SELECT DISTINCT ON (visitor_id, day) visitor_id, day, row_day, person_id, previous_known_day
        FROM near WHERE row_day < day ORDER BY visitor_id, day, row_day DESC
    ),"""
# Each day's first view `f`, looked up by its id (OFFSET 0 keeps it a nested loop on the primary key:
# with statistics behind the writes PostgreSQL hashed the whole interactions table instead).
FIRST_VIEW = """CROSS JOIN LATERAL (
            SELECT f.occurred_at, f.properties FROM leads_interaction f WHERE f.id = a.first_id OFFSET 0
        ) f"""
# The day's attribution from its first view `f`: UTM as it came, and the host of the referrer as the
# page view keeps it (already a host): lower case, no www.
FIRST_VIEW_ATTRIBUTION = """LEFT(COALESCE(f.properties ->> 'utm_source', ''), 255) AS source,
               LEFT(COALESCE(f.properties ->> 'utm_medium', ''), 255) AS medium,
               LEFT(COALESCE(f.properties ->> 'utm_campaign', ''), 255) AS campaign,
               LEFT(regexp_replace(lower(split_part(split_part(regexp_replace(
                   COALESCE(f.properties ->> 'referrer', ''), '^[A-Za-z][A-Za-z0-9+.-]*://', ''), '/', 1), ':', 1)),
                   '^www[.]', ''), 253) AS referrer_domain"""
# The rows `r` (new: no row before) inserted with their channel, and a new row's previous days.
CHANNELS_AND_INSERT = """
    -- The channel's CASE (a hundred comparisons) once per distinct attribution, not once per visitor-day.
    c AS (
        SELECT r.source, r.medium, r.referrer_domain, {channel} AS channel
        FROM (SELECT DISTINCT source, medium, referrer_domain FROM r) r
    ),
    written AS (
        INSERT INTO reports_dailyvisitor AS d
            (day, visitor_id, person_id, last_known_at, first_at, channel, source, medium, campaign, referrer_domain,
             page_views, previous_day, previous_known_day)
        SELECT r.day, r.visitor_id, r.person_id, r.known_at, r.first_at, c.channel, r.source, r.medium, r.campaign,
               r.referrer_domain, r.views, r.before_day,
               -- the last known day before it: the row before, if known, else the one that row names
               CASE WHEN r.before_person_id IS NOT NULL THEN r.before_day ELSE r.before_known_day END
        FROM r JOIN c ON c.source = r.source AND c.medium = r.medium AND c.referrer_domain = r.referrer_domain"""


def rows_and_insert(keys: str, channel_sql: str) -> str:
    """What both statements share after their `a` (per key: views, first_id, person_id, known_at) and
    their keys CTE `keys`: the old rows, the rows `r` with their day's attribution, their channels, and
    the upsert `written` up to its ON CONFLICT (each statement merges in its own way)."""
    return f"""{OLD_ROWS.format(keys=keys, columns=ROW_COLUMNS)}
    r AS (
        SELECT a.visitor_id, a.day, f.occurred_at AS first_at, a.views, a.person_id, a.known_at,
               {FIRST_VIEW_ATTRIBUTION},
               o.visitor_id IS NULL AS new,
               p.row_day AS before_day, p.person_id AS before_person_id, p.previous_known_day AS before_known_day
        FROM a {FIRST_VIEW}
        LEFT JOIN old o ON o.visitor_id = a.visitor_id AND o.day = a.day
        -- A new row's previous days, from the visitor's row before it (`before`; an existing row keeps
        -- its own: the upsert does not set them). Several new days of one visitor in a batch, or a row
        -- before that turned known, are set right afterwards by previous_days_refresh: the statement
        -- names those visitors. Joined here, not in the insert: there the join's input was estimated at
        -- one row (after the channels' join) and PostgreSQL chose a nested loop over `before`, 67
        -- million comparisons and 14 s for a sweep round of 50,000 views.
        LEFT JOIN before p ON p.visitor_id = a.visitor_id AND p.day = a.day
    ),{CHANNELS_AND_INSERT.format(channel=channel_sql)}"""


# After `written` (RETURNING visitor_id, day, person_id, first_at, channel, campaign), `old` (the rows
# before) and `later`: the days found, the visitors whose later rows need their previous days again,
# the people whose credit moved, and {more}.
WHAT_MOVED = """    w AS (
        SELECT w.*, o.visitor_id IS NULL AS new, o.person_id AS old_person_id,
               (o.person_id, o.first_at, o.channel, o.campaign)
                   IS DISTINCT FROM (w.person_id, w.first_at, w.channel, w.campaign) AS touch_changed,
               -- a window, not a look-up per row: probing the CTE for each row was quadratic in the batch
               MAX(w.day) OVER (PARTITION BY w.visitor_id) AS last_written_day
        FROM written w LEFT JOIN old o ON o.visitor_id = w.visitor_id AND o.day = w.day
    )
    SELECT
        (SELECT COUNT(*) FROM a),
        ARRAY(
            SELECT DISTINCT w.visitor_id FROM w
            WHERE (w.new OR (w.old_person_id IS NULL) <> (w.person_id IS NULL))
              -- IN, not a join or EXISTS: a hashed look-up whatever the estimates
              AND (w.day < w.last_written_day OR (w.visitor_id, w.day) IN (SELECT l.visitor_id, l.day FROM later l))
        ),
        ARRAY(
            SELECT w.old_person_id FROM w
            WHERE w.old_person_id IS NOT NULL AND w.old_person_id IS DISTINCT FROM w.person_id
            UNION
            SELECT w.person_id FROM w
            WHERE w.person_id IS NOT NULL AND w.touch_changed AND EXISTS (
                SELECT 1 FROM reports_personjourney j
                WHERE j.person_id = w.person_id AND NOT j.is_excluded
                  AND (j.created_at >= w.first_at OR j.mql_at >= w.first_at OR j.sql_at >= w.first_at
                       OR j.opportunity_at >= w.first_at
                       OR EXISTS (SELECT 1 FROM leads_deal x
                                  WHERE x.person_id = w.person_id AND x.status = 'won' AND x.close_date >= w.day))
            )
        ){more}
"""
# A page view the writer stored and the sweep has not added yet (reports.PendingPageView) is left out of
# every full computation: the sweep adds it to its row afterwards (visitor_batches), so it counts once.
# PostgreSQL only: elsewhere the writer marks its days and the sweep computes them in full.
NOT_PENDING = "NOT EXISTS (SELECT 1 FROM reports_pendingpageview p WHERE p.interaction_id = i.id)"
# Keys left without any page view (an erasure): their rows go. Run only when a round found fewer days
# than it was given, so the live path never pays for it.
DELETE_EMPTY_POSTGRESQL = f"""
    DELETE FROM reports_dailyvisitor d
    USING unnest(%s::varchar[], %s::date[], %s::timestamptz[], %s::timestamptz[]) AS k(visitor_id, day, starts, ends)
    WHERE d.day = k.day AND d.visitor_id = k.visitor_id
      AND NOT EXISTS (
          SELECT 1 FROM leads_interaction i
          WHERE i.visitor_id = k.visitor_id AND i.occurred_at >= k.starts AND i.occurred_at < k.ends
            AND i.type = 'page_view' AND {NOT_PENDING}
      )
    RETURNING d.visitor_id, d.person_id
"""
LATERAL_VIEWS = f"""k CROSS JOIN LATERAL (
            SELECT i.id, i.occurred_at, i.person_id FROM leads_interaction i
            WHERE i.visitor_id = k.visitor_id AND i.occurred_at >= k.starts AND i.occurred_at < k.ends
              AND i.type = 'page_view' AND {NOT_PENDING}
            OFFSET 0
        ) i"""


def refresh_statement(channel_sql: str) -> str:
    return REFRESH_POSTGRESQL.format(
        views=LATERAL_VIEWS,
        rows_and_insert=rows_and_insert("k", channel_sql),
        what_moved=WHAT_MOVED.format(more=""),
    )


def _refresh_postgresql(chunk: list[tuple[str, date]], zone: ZoneInfo) -> tuple[int, int, set[str], set[int]]:
    """One statement for these keys: (days found, rows deleted, visitors whose previous days must be
    computed again, people whose credit moved)."""
    channel_sql, channel_params = channel_case()
    bounds = [day_bounds(day, zone) for _, day in chunk]
    arrays = [
        [visitor_id for visitor_id, _ in chunk],
        [day for _, day in chunk],
        [starts for starts, _ in bounds],
        [ends for _, ends in bounds],
    ]
    deleted = 0
    with connection.cursor() as cursor:
        cursor.execute(refresh_statement(channel_sql), [*arrays, *channel_params])
        found, again, moved = cursor.fetchone()
        again, moved = set(again), set(moved)
        if found < len(chunk):
            cursor.execute(DELETE_EMPTY_POSTGRESQL, arrays)
            gone = cursor.fetchall()
            deleted = len(gone)
            # The days after a removed one follow another day now; its person loses the visit.
            again |= {visitor_id for visitor_id, _ in gone}
            moved |= {person_id for _, person_id in gone if person_id is not None}
    return found, deleted, again, moved


def visitor_days_refresh(keys: Iterable[tuple[str, date]]) -> dict:
    """Compute these (visitor id, day) rows again from their page views and upsert them; delete those
    that have no page view left. Returns {"written": n, "deleted": n}, and on PostgreSQL "moved": the
    people whose credit these changes moved (reports.attribution.rollup.visits_moved says the same on
    other databases)."""
    zone = site_zone()
    keys = sorted({(visitor_id, day) for visitor_id, day in keys if visitor_id})
    written = deleted = 0
    if connection.vendor == "postgresql":
        again, moved = set(), set()
        with transaction.atomic():
            visitor_days_lock()  # before the views are read, until the rows are written: locks.VISITOR_DAYS_LOCK
            for start in range(0, len(keys), KEYS_PER_STATEMENT_POSTGRESQL):
                chunk = keys[start : start + KEYS_PER_STATEMENT_POSTGRESQL]
                done, gone, visitors, people = _refresh_postgresql(chunk, zone)
                written, deleted = written + done, deleted + gone
                again, moved = again | visitors, moved | people
            previous_days_refresh(again)
        return {"written": written, "deleted": deleted, "moved": moved}
    adapt = connection.ops.adapt_datetimefield_value
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start : start + KEYS_PER_STATEMENT]
        params = []
        for n, (visitor_id, day) in enumerate(chunk):
            starts, ends = day_bounds(day, zone)
            params += [visitor_id, n, adapt(starts), adapt(ends)]
        with connection.cursor() as cursor:
            cursor.execute(_statement(len(chunk)), params)
            found = cursor.fetchall()
        rows = []
        for n, first_at, views, source, medium, campaign, referrer, person_id, known_at in found:
            visitor_id, day = chunk[n]
            source, medium, campaign = source or "", medium or "", campaign or ""
            domain = host_of(referrer or "")
            rows.append(
                DailyVisitor(
                    day=day,
                    visitor_id=visitor_id,
                    person_id=person_id,
                    last_known_at=_moment(known_at) if known_at else None,
                    first_at=_moment(first_at),
                    channel=channel_of(source=source, medium=medium, referrer_domain=domain),
                    source=source[:255],
                    medium=medium[:255],
                    campaign=campaign[:255],
                    referrer_domain=domain,
                    page_views=views,
                )
            )
        if rows:
            DailyVisitor.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["day", "visitor_id"], update_fields=UPDATE_FIELDS
            )
        written += len(rows)
        gone = {chunk[n] for n in range(len(chunk))} - {chunk[row[0]] for row in found}
        for day in {day for _, day in gone}:
            deleted += DailyVisitor.objects.filter(
                day=day, visitor_id__in=[visitor_id for visitor_id, gone_day in gone if gone_day == day]
            ).delete()[0]
    previous_days_refresh({visitor_id for visitor_id, _ in keys})
    return {"written": written, "deleted": deleted}


# Each row's previous day and previous known day, from the visitor's rows in day order; only rows that
# change are written. On the whole table (the migration) when no visitors are named.
PREVIOUS_DAYS_POSTGRESQL = """
    WITH w AS (
        SELECT d.id, LAG(d.day) OVER p AS previous_day,
               MAX(d.day) FILTER (WHERE d.person_id IS NOT NULL)
                   OVER (p ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_known_day
        FROM reports_dailyvisitor d
        {where}
        WINDOW p AS (PARTITION BY d.visitor_id ORDER BY d.day)
    )
    UPDATE reports_dailyvisitor d SET previous_day = w.previous_day, previous_known_day = w.previous_known_day
    FROM w
    WHERE d.id = w.id
      AND (d.previous_day, d.previous_known_day) IS DISTINCT FROM (w.previous_day, w.previous_known_day)
"""


def previous_days_refresh(visitor_ids: Iterable[str] | None) -> None:
    """Set previous_day and previous_known_day again on every row of these visitors (of everybody with
    None): a day added, removed, or known since changes the rows after it."""
    if visitor_ids is not None:
        visitor_ids = sorted(set(visitor_ids))
        if not visitor_ids:
            return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if visitor_ids is None:
                cursor.execute(PREVIOUS_DAYS_POSTGRESQL.format(where=""))
            else:
                cursor.execute(
                    PREVIOUS_DAYS_POSTGRESQL.format(where="WHERE d.visitor_id = ANY(%s::varchar[])"), [visitor_ids]
                )
        return
    rows = DailyVisitor.objects.order_by("visitor_id", "day")
    chunks = [None] if visitor_ids is None else [visitor_ids[n : n + 2_000] for n in range(0, len(visitor_ids), 2_000)]
    for chunk in chunks:
        found = rows if chunk is None else rows.filter(visitor_id__in=chunk)
        changed, visitor, previous, known = [], None, None, None
        for row in found.only("id", "visitor_id", "day", "person_id", "previous_day", "previous_known_day"):
            if row.visitor_id != visitor:
                visitor, previous, known = row.visitor_id, None, None
            if (row.previous_day, row.previous_known_day) != (previous, known):
                row.previous_day, row.previous_known_day = previous, known
                changed.append(row)
            previous = row.day
            if row.person_id is not None:
                known = row.day
        DailyVisitor.objects.bulk_update(changed, ["previous_day", "previous_known_day"], batch_size=1_000)


def keys_of_views(views: Iterable[tuple[str, datetime]]) -> set[tuple[str, date]]:
    """The (visitor id, day) keys of (visitor id, occurred_at) pairs."""
    zone = site_zone()
    return {(visitor_id, day_of(at, zone)) for visitor_id, at in views if visitor_id}


def keys_of_people(person_ids: list[int], vanished_ids: list[int] = ()) -> set[tuple[str, date]]:
    """The visitor-days whose rollup may not say what these people's page views say now: a day the rollup
    does not hold, holds for someone else (views joined to them when a browser was identified, or
    moved to them by a merge), or holds for them with another latest known view (a later anonymous view
    of the day became theirs: the writer's batches compare with last_known_at), and the rows that still
    name one of `vanished_ids` (people merged away or erased since)."""
    zone = site_zone()
    views = (
        Interaction.objects.filter(person_id__in=person_ids, type=Interaction.Type.PAGE_VIEW)
        .exclude(visitor_id="")
        .values_list("visitor_id", "occurred_at", "person_id")
    )
    theirs: dict[tuple[str, date], dict[int, datetime]] = {}  # each person's latest view of the day
    for visitor_id, at, person_id in views.iterator(chunk_size=10_000):
        latest = theirs.setdefault((visitor_id, day_of(at, zone)), {})
        latest[person_id] = max(at, latest.get(person_id, at))
    keys = set()
    if vanished_ids:
        keys = set(DailyVisitor.objects.filter(person_id__in=list(vanished_ids)).values_list("visitor_id", "day"))
    if theirs:
        visitors = sorted({visitor_id for visitor_id, _ in theirs})
        held = {}
        for start in range(0, len(visitors), 2_000):
            held.update(
                {
                    (visitor_id, day): (person_id, last_known_at)
                    for visitor_id, day, person_id, last_known_at in DailyVisitor.objects.filter(
                        visitor_id__in=visitors[start : start + 2_000]
                    ).values_list("visitor_id", "day", "person_id", "last_known_at")
                }
            )
        # Two people on one browser the same day: which of them is the later one is for the statement to say.
        keys |= {key for key, latest in theirs.items() if len(latest) > 1 or held.get(key) not in latest.items()}
    return keys
