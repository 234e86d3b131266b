"""Web behaviour into the lead store: every page a tracked visitor opens becomes an Interaction.

Serving a page must not write to the database, so a page view is only appended to a buffer (a Redis
list when REDIS_URL is set, else a list in this process) and a background task writes the buffer in
batches. Each page view carries an event id minted when it happened; the table has a unique index on
it, so a batch written twice (a flush that ran twice, a worker that died after writing and before
trimming the buffer) stores each page view once: at least once, never twice.

A known visitor's page views are theirs at once; an anonymous visitor's are kept under the visitor id
and join the person when the visitor is identified (services.identity.visitor_link), with their
original times, so decay scores them as of when they happened. Who is counted at all (consent,
crawlers) is personalisation's decision: it calls `page_view_buffer` only for visitors it tracks.

A headless front end's custom events (`trial_started`, `pricing_calculator_used`, sent to
POST /api/v1/track) take the same road: `custom_event_buffer` keeps them in the same buffer, and the
same flush writes them as `custom_event` interactions (object_id: the event's name), scored by any
interest rule on that type like every other interaction.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from leads.cleaning import clean_text
from leads.models import Interaction, Person

from .behaviour_buffer import (  # noqa: F401 (LocalBuffer, RedisBuffer, discard_buffered: part of this module's surface)
    FlushGate,
    LocalBuffer,
    RedisBuffer,
    _local,
    _relay,
    discard_buffered,
    page_view_buffer_in_use,
)
from .behaviour_conditions import page_slug
from .services.capture import topics_text
from .services.identity import valid_visitor_id
from .signals import page_views_written

logger = logging.getLogger(__name__)

FLUSH_LOCK = "leads:behaviour:flushing"
FLUSH_QUEUED = "leads:behaviour:flush-queued"
FLUSH_EVERY_SECONDS = 5  # at most one flush task queued per process and interval
BATCH = 20_000  # views per batch: one COPY and one INSERT each


def page_view_buffer(
    *,
    visitor_id: str,
    person_id: int | None,
    page_id: int | None,
    path: str,
    title: str = "",
    topics=(),
    industries=(),
    referrer: str = "",
    utm: dict | None = None,
    visit: int = 0,
    occurred_at=None,
    event_id: uuid.UUID | None = None,
    buffer=None,
) -> None:
    """Keep one page view for the lead store (no database write); a flush is queued now and then.
    Cleaned here, once, so the batch writer only has to check what it reads back. `event_id`: the id a
    client chose for it (a front end sending a batch again), else a new one."""
    record = {
        "e": (event_id or uuid.uuid4()).hex,
        "v": visitor_id,
        "p": person_id,
        "page": page_id,
        "path": clean_text(path, 500)[0],
        "title": clean_text(title, 255)[0],
        "topics": topics_text(list(topics)[:20]),
        "industries": [clean_text(industry, 100)[0] for industry in list(industries)[:20]],
        "ref": clean_text(referrer, 253)[0],
        "utm": {name: clean_text(value, 255)[0] for name, value in (utm or {}).items() if value},
        "visit": visit,
        "at": (occurred_at or timezone.now()).isoformat(),
    }
    _buffer_push(record, buffer, "A page view")


# A custom event's name: what a marketer types in a scoring rule's object id (at most its 64 characters).
CUSTOM_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
CUSTOM_EVENT = "c"  # the record's kind ("k"); a record without one is a page view (as buffered before)


def custom_event_buffer(
    *,
    visitor_id: str,
    person_id: int | None,
    name: str,
    properties: dict | None = None,
    occurred_at=None,
    event_id: uuid.UUID | None = None,
    buffer=None,
) -> None:
    """Keep one named custom event (trial_started) for the lead store, in the page views' buffer. The
    name and properties were checked by the caller (the track API's schema: a slug, a small flat object)."""
    record = {
        "e": (event_id or uuid.uuid4()).hex,
        "k": CUSTOM_EVENT,
        "v": visitor_id,
        "p": person_id,
        "name": name,
        "props": properties or {},
        "at": (occurred_at or timezone.now()).isoformat(),
    }
    _buffer_push(record, buffer, "A custom event")


class Batch(list):
    """Records gathered to go into the buffer together (the events of one track call): pass it as the
    `buffer` of page_view_buffer and custom_event_buffer, then hand it to batch_buffer."""

    def push(self, record: str) -> None:
        self.append(record)


def batch_buffer(batch: Batch, *, buffer=None) -> int:
    """Put a Batch into the buffer in one go (one Redis round trip); a flush is queued now and then.
    Returns how many were kept: 0 when the buffer cannot be reached (logged; the caller says so)."""
    if not batch:
        return 0
    try:
        (page_view_buffer_in_use() if buffer is None else buffer).push_many(list(batch))
        if buffer is None and _flush_due():
            _flush_enqueue()
    except Exception:  # Redis or the cache unreachable: the caller answers all the same
        logger.warning("%d events for the lead store could not be buffered", len(batch), exc_info=True)
        return 0
    return len(batch)


def _buffer_push(record: dict, buffer, what: str) -> None:
    try:
        shared = buffer is None
        if shared:  # served: through this process's relay to Redis (no round trip while serving), else here
            buffer = _relay if settings.REDIS_URL else _local
        buffer.push(json.dumps(record, separators=(",", ":")))
        if shared and _flush_due():
            _flush_enqueue()
    except Exception:  # the cache unreachable: the request is answered all the same, this is lost
        logger.warning("%s for the lead store could not be buffered", what, exc_info=True)


flush_gate = FlushGate(FLUSH_QUEUED, FLUSH_EVERY_SECONDS)
_flush_due = flush_gate.due


def _flush_enqueue():
    from leads.tasks import page_views_write

    # robust: a queue that refuses (a database blip) is logged, never raised into the page's response;
    # the workers' sweep writes the buffer every minute anyway.
    transaction.on_commit(page_views_write.enqueue, robust=True)


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


# The columns a buffered page view or custom event fills, in the order of the rows _row() makes.
COLUMNS = (
    "event_id",
    "type",
    "occurred_at",
    "person_id",
    "visitor_id",
    "object_type",
    "object_id",
    "object_label",
    "object_topics",
    "properties",
)


def _moment(value):
    """The buffered time (ISO 8601, with its offset), or None: datetime's own parser, in C."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _event_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=value) if isinstance(value, str) else None
    except ValueError:
        return None


def _row(record) -> tuple | None:
    """The interaction of one buffered view (or custom event) as a tuple of COLUMNS, or None for an
    entry that is not one. Cleaned when buffered: here only shapes and lengths are checked, which keeps
    a million-row flush fast (no model instance per row on PostgreSQL)."""
    if not isinstance(record, dict):
        return None
    occurred_at = _moment(record.get("at"))
    visitor_id = valid_visitor_id(_text(record.get("v"), 64))
    event_id = _event_id(record.get("e"))
    person_id = record.get("p") if isinstance(record.get("p"), int) else None
    if occurred_at is None or event_id is None or not (visitor_id or person_id):
        return None
    if record.get("k") == CUSTOM_EVENT:
        return _custom_event_row(record, event_id, occurred_at, person_id, visitor_id)
    path = _text(record.get("path"), 500)
    utm = record.get("utm") if isinstance(record.get("utm"), dict) else {}
    properties = {
        "path": path,
        "page_id": record.get("page") if isinstance(record.get("page"), int) else None,
        "visit": record.get("visit") if isinstance(record.get("visit"), int) else 0,
        **({"referrer": _text(record["ref"], 253)} if record.get("ref") else {}),
        **{_text(name, 40): _text(value, 255) for name, value in utm.items()},
        **({"industries": record["industries"][:20]} if isinstance(record.get("industries"), list) else {}),
    }
    # The page's slug (the last part of its path) is the object id, what a marketer types in a scoring
    # rule: "pricing". The topics were made into the rules' ",a,b," text when buffered.
    return (
        event_id,
        Interaction.Type.PAGE_VIEW,
        occurred_at,
        person_id,
        visitor_id,
        "page",
        page_slug(path),
        _text(record.get("title"), 255),
        _text(record.get("topics"), 500),
        properties,
    )


def _custom_event_row(record: dict, event_id, occurred_at, person_id, visitor_id) -> tuple | None:
    name = _text(record.get("name"), 64)
    if not CUSTOM_EVENT_NAME.fullmatch(name):
        return None
    properties = record.get("props") if isinstance(record.get("props"), dict) else {}
    return (
        event_id,
        Interaction.Type.CUSTOM_EVENT,
        occurred_at,
        person_id,
        visitor_id,
        "custom",
        name,
        name.replace("_", " ").capitalize(),  # "Trial started" on the timeline
        "",
        properties,
    )


def _store(rows: list[tuple]) -> set[int]:
    """Insert the batch and return the people it concerns. A row an earlier, interrupted flush already
    wrote (its event id) is left alone. A view whose person was erased or merged away since goes back
    to the visitor, and an anonymous view of a visitor linked to a person meanwhile (in another tab, a
    moment ago, or the person a merge kept) is theirs: the identification's own join ran before this
    row existed."""
    if connection.vendor == "postgresql":
        return _store_postgresql(rows)
    interactions = [Interaction(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
    _drop_vanished_people(interactions)
    _attach_known_people(interactions)
    with transaction.atomic():  # the reports' rollups are written with the batch (page_views_written)
        Interaction.objects.bulk_create(interactions, batch_size=1000, ignore_conflicts=True)
        _views_written(rows)
    return {interaction.person_id for interaction in interactions if interaction.person_id}


def _views_written(rows: list[tuple], inserted_table: str | None = None) -> None:
    """Tell the reports' rollups which visitors' days this batch touched, inside its transaction."""
    views = [(row[4], row[2]) for row in rows if row[1] == Interaction.Type.PAGE_VIEW]
    if views:
        page_views_written.send(sender=None, views=views, inserted_table=inserted_table)


# The page views with a visitor id that a batch inserted (not those an earlier flush had stored), for
# page_views_written's receivers: they add the batch to what they keep instead of reading the views again.
INSERTED_TABLE = "leads_page_views_inserted"


def _store_postgresql(rows: list[tuple]) -> set[int]:
    """COPY into a temporary table, then one INSERT ... SELECT that settles the person in SQL and
    skips event ids already stored: several times faster than multi-row INSERTs for a million views."""
    columns = ", ".join(COLUMNS)
    others = ", ".join(f"t.{name}" for name in COLUMNS if name != "person_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE leads_page_view_load ON COMMIT DROP AS "
            f"SELECT {columns} FROM leads_interaction WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY leads_page_view_load ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:-1], json.dumps(row[-1])))
        # Which rows went in is only kept when someone listens: the without-listeners path stays as it was.
        listened = page_views_written.has_listeners()
        if listened:
            cursor.execute(
                f"CREATE TEMP TABLE {INSERTED_TABLE} ON COMMIT DROP AS "
                "SELECT id, visitor_id, occurred_at, person_id FROM leads_interaction WITH NO DATA"
            )
        inserted = f"""
            INSERT INTO leads_interaction ({", ".join(name for name in COLUMNS if name != "person_id")}, person_id)
            SELECT {others}, COALESCE(
                p.id,
                (SELECT l.person_id FROM leads_visitorlink l WHERE l.visitor_id = t.visitor_id AND t.visitor_id <> ''
                 ORDER BY l.last_linked_at DESC LIMIT 1)
            )
            FROM leads_page_view_load t LEFT JOIN leads_person p ON p.id = t.person_id
            ON CONFLICT (event_id) DO NOTHING
            """
        if listened:
            inserted = f"""
                WITH inserted AS ({inserted} RETURNING id, type, visitor_id, occurred_at, person_id)
                INSERT INTO {INSERTED_TABLE}
                SELECT id, visitor_id, occurred_at, person_id FROM inserted
                WHERE type = 'page_view' AND visitor_id <> ''
            """
        cursor.execute(inserted)
        # Whose views these are, the rows an interrupted flush wrote included: they are rescored now.
        cursor.execute(
            "SELECT DISTINCT i.person_id FROM leads_interaction i JOIN leads_page_view_load t "
            "ON t.event_id = i.event_id WHERE i.person_id IS NOT NULL"
        )
        people = {person_id for (person_id,) in cursor.fetchall()}
        _views_written(rows, INSERTED_TABLE if listened else None)
        # Gone now, not only at commit: inside an outer transaction the next batch makes them again.
        cursor.execute("DROP TABLE leads_page_view_load")
        if listened:
            cursor.execute(f"DROP TABLE {INSERTED_TABLE}")
    return people


def page_views_flush(*, buffer=None, batch: int = BATCH) -> dict:
    """Write what the buffer holds, batch by batch, then rescore the people it concerns and apply the
    stage rules (a pricing-page visit can make an MQL). One flush at a time; a second one waits its turn."""
    from .services.lifecycle import people_stage_rules_apply
    from .services.scoring import people_rescore

    if buffer is None:
        if settings.REDIS_URL:
            while _relay.drain():  # this process's own views first (the demo, a flush run in a web process)
                pass
        buffer = page_view_buffer_in_use()  # (an empty buffer is falsy: compare with None)
    if not cache.add(FLUSH_LOCK, 1, 300):
        return {"written": 0, "skipped": 0, "busy": True}
    written = skipped = 0
    people: set[int] = set()
    types: set[str] = set()  # of the interactions written: only rules on these can change a score
    try:
        while True:
            raw = buffer.peek(batch)
            if not raw:
                break
            rows = []
            for item in raw:
                try:
                    row = _row(json.loads(item))
                except (ValueError, TypeError, AttributeError):
                    row = None
                if row is None:
                    skipped += 1
                else:
                    rows.append(row)
            people |= _store(rows) if rows else set()
            types.update(row[1] for row in rows)
            buffer.drop(len(raw))  # only now: a flush that dies before this is simply repeated
            written += len(rows)
    finally:
        cache.delete(FLUSH_LOCK)
    promoted = 0
    if people and _scored(types):
        # Page views alone change nothing personalisation reads but the score (the browser keeps its own
        # views): only people whose score moved are named. A custom event is a fact segments read.
        people_rescore(people, notify_unchanged=bool(types - {Interaction.Type.PAGE_VIEW}))
        promoted = people_stage_rules_apply(person_ids=people)
    return {"written": written, "skipped": skipped, "people": len(people), "became MQL": promoted}


def _scored(types: set[str]) -> bool:
    """Whether any active interest rule counts interactions of these types (page views, custom events):
    without one, what was written changes no score."""
    from leads.models import ScoringRule

    return (
        bool(types)
        and ScoringRule.objects.filter(
            kind=ScoringRule.Kind.INTEREST, is_active=True, interaction_type__in=sorted(types)
        ).exists()
    )


def _attach_known_people(rows: list[Interaction]) -> None:
    """A page view buffered before the cookie was linked to a person (in another tab, a moment ago, or
    to the person a merge kept) is theirs already: the identification's own join ran before this row
    existed."""
    from leads.models import VisitorLink

    visitors = {row.visitor_id for row in rows if not row.person_id and row.visitor_id}
    if not visitors:
        return
    links = dict(VisitorLink.objects.filter(visitor_id__in=visitors).values_list("visitor_id", "person_id"))
    for row in rows:
        if not row.person_id and row.visitor_id in links:
            row.person_id = links[row.visitor_id]


def _drop_vanished_people(rows: list[Interaction]) -> None:
    """A person erased or merged away since the page view: the view goes back to the visitor (and to
    whomever the visitor is linked to now)."""
    ids = {row.person_id for row in rows if row.person_id}
    existing = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for row in rows:
        if row.person_id and row.person_id not in existing:
            row.person_id = None


def anonymous_behaviour_purge(*, days: int | None = None, batch: int = 10_000, now=None) -> int:
    """Delete what visitors nobody identified did more than `days` ago (ANONYMOUS_BEHAVIOUR_RETENTION_DAYS,
    90): in batches by id, each its own short transaction, so the table keeps serving meanwhile.
    Interactions that joined a person are theirs and are never touched here."""
    days = settings.ANONYMOUS_BEHAVIOUR_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("days: keep anonymous behaviour at least one day")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            Interaction.objects.filter(person__isnull=True, occurred_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += Interaction.objects.filter(pk__in=ids, person__isnull=True).delete()[0]


def page_views_sweep() -> int:
    """The workers' sweep: write what the buffer holds whatever became of the queued flush tasks."""
    return page_views_flush()["written"]
