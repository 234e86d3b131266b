"""Per-variant statistics: impressions, CTA clicks and conversions.

Counting must not cost a database write per page view, so counts are buffered in the process and
written as one upsert per (day, page, block, variant) every PERSONALIZATION_STATS_FLUSH_SECONDS
(0 writes at once, as the tests do). A crash loses at most that many seconds of counts, never
anything a visitor did: the counts are statistics, not records.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

KINDS = ("impressions", "clicks", "conversions")
KEY_SALT = "signalpage.personalization.variant"

_lock = threading.Lock()
_buffer: Counter = Counter()
_last_flush = [time.monotonic()]


def variant_key(page_id: int, block: str, segment_id: int | None) -> str:
    return f"{int(page_id)}|{block}|{int(segment_id or 0)}"


def parse_key(key: str) -> tuple[int, str, int] | None:
    try:
        page_id, block, segment_id = key.split("|")
        page_id, segment_id = int(page_id), int(segment_id)
    except (AttributeError, ValueError):
        return None
    return (page_id, block[:80], segment_id) if page_id > 0 and segment_id >= 0 else None


def signed_key(key: str) -> str:
    """What a page or the API hands out for click tracking: a browser can't invent other variants' keys."""
    return signing.Signer(salt=KEY_SALT).sign(key)


def unsign_key(value: str) -> str | None:
    try:
        key = signing.Signer(salt=KEY_SALT).unsign(str(value)[:300])
    except signing.BadSignature:
        return None
    return key if parse_key(key) else None


def record(kind: str, keys) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    day = timezone.localdate()
    with _lock:
        for key in keys:
            _buffer[(day, key, kind)] += 1
    if time.monotonic() - _last_flush[0] >= settings.PERSONALIZATION_STATS_FLUSH_SECONDS:
        flush()


def flush() -> int:
    """Write the buffered counts: one INSERT ... ON CONFLICT DO UPDATE per row (SQLite and PostgreSQL)."""
    with _lock:
        pending = dict(_buffer)
        _buffer.clear()
        _last_flush[0] = time.monotonic()
    if not pending:
        return 0
    rows: dict[tuple, list[int]] = {}
    for (day, key, kind), count in pending.items():
        parsed = parse_key(key)
        if parsed is None:
            continue
        row = rows.setdefault((day, *parsed), [0, 0, 0])
        row[KINDS.index(kind)] += count
    from .models import VariantStat

    table = connection.ops.quote_name(VariantStat._meta.db_table)
    sql = (
        f"INSERT INTO {table} (day, page_id, block, segment_id, impressions, clicks, conversions) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (day, page_id, block, segment_id) DO UPDATE SET "
        f"impressions = {table}.impressions + excluded.impressions, "
        f"clicks = {table}.clicks + excluded.clicks, "
        f"conversions = {table}.conversions + excluded.conversions"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(*key, *counts) for key, counts in rows.items()])
    except DatabaseError:
        # The database is down for a moment: the counts go back in the buffer for the next flush, and
        # the page that happened to trigger this flush is served all the same.
        with _lock:
            for buffered_key, count in pending.items():
                _buffer[buffered_key] += count
        logger.warning("Variant statistics not written (database unavailable): kept for the next flush")
        return 0
    return len(rows)


def discard_pending() -> None:
    """Forget counts not yet written and start the flush clock again (tests start from nothing; a test
    that froze time may have left the clock in the future)."""
    with _lock:
        _buffer.clear()
        _last_flush[0] = time.monotonic()


def flush_at_exit() -> None:
    # At interpreter exit the database (or a test database) may already be gone, and so may the log
    # streams: the counts are statistics, so they are dropped quietly then.
    with contextlib.suppress(Exception):
        flush()
