"""Where campaign opens and clicks wait for the batch writer (campaigns.tracking_writer), as page views
do: the pixel and the click redirect only append a record here (no database write while answering).

The buffer is the lead store's (leads.behaviour_buffer) with a list of its own: a Redis list shared by
every web process and worker when REDIS_URL is set, reached through a relay thread per process (no round
trip while answering), else a list in this process. A flush is queued at most once per
FLUSH_EVERY_SECONDS over all processes; the workers' sweep (WORKER_SWEEPS) writes whatever is left.

A record: {"e": event id (hex), "k": "o" open | "c" click, "r": recipient id, "n": link position
(clicks), "ua": user agent, "ip": client address, "at": ISO time}. What is buffered was signed (the token
named the recipient and position), so the writer only checks shapes.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from leads.behaviour_buffer import FlushGate, LocalBuffer, RedisBuffer, Relay

logger = logging.getLogger(__name__)

REDIS_LIST = "signalpage:campaigns:tracking"
FLUSH_QUEUED = "campaigns:tracking:flush-queued"
FLUSH_EVERY_SECONDS = 5
OPEN, CLICK = "o", "c"

_local = LocalBuffer()
_relay = Relay(target=lambda: RedisBuffer(name=REDIS_LIST))
atexit.register(lambda: _relay.pid == os.getpid() and _relay.drain())


def tracking_buffer_in_use():
    """The shared buffer (what the writer reads): Redis with REDIS_URL, else this process's list."""
    return RedisBuffer(name=REDIS_LIST) if settings.REDIS_URL else _local


def relay_drain() -> None:
    """Push what this process's relay holds to Redis now (a flush run in a web process, the demo)."""
    if settings.REDIS_URL:
        while _relay.drain():
            pass


def tracking_record(
    kind: str, recipient_id: int, *, position: int | None = None, user_agent: str = "", address: str = "", at=None
) -> None:
    """Keep one open or click for the writer: no database write, no round trip. Never raises: the person
    gets their pixel or redirect all the same (the event is lost, and logged)."""
    record = {
        "e": uuid.uuid4().hex,
        "k": kind,
        "r": recipient_id,
        "ua": (user_agent or "")[:255],
        "ip": (address or "")[:45],
        "at": (at or timezone.now()).isoformat(),
    }
    if position is not None:
        record["n"] = position
    try:
        (_relay if settings.REDIS_URL else _local).push(json.dumps(record, separators=(",", ":")))
        if _flush_due():
            transaction.on_commit(tracking_write.enqueue, robust=True)
        if not settings.REDIS_URL:
            _flush_later()
    except Exception:  # the cache or the queue unreachable: the pixel answers anyway
        logger.warning("A campaign %s could not be buffered", "open" if kind == OPEN else "click", exc_info=True)


flush_gate = FlushGate(FLUSH_QUEUED, FLUSH_EVERY_SECONDS)
_flush_due = flush_gate.due


_timer: threading.Timer | None = None


def _flush_later() -> None:
    """Without Redis the buffer lives in this process, where no worker's sweep can reach it, and the writer
    holds the last seconds back (campaigns.tracking_writer.HOLD_SECONDS): so the last clicks of a quiet
    moment would wait for the next open or click. A one-shot timer in this process writes them once they
    are old enough (`make run`, one-process setups). Off in tests (CAMPAIGN_TRACKING_FLUSH_TIMER)."""
    global _timer
    if not getattr(settings, "CAMPAIGN_TRACKING_FLUSH_TIMER", True) or (_timer is not None and _timer.is_alive()):
        return
    from campaigns.tracking_writer import HOLD_SECONDS

    _timer = threading.Timer(HOLD_SECONDS + 1, _timed_flush)
    _timer.daemon = True
    _timer.start()


def _timed_flush() -> None:
    global _timer
    from django.db import connections

    _timer = None  # this one has fired: a later record may arm the next

    from campaigns.tracking_writer import tracking_flush

    try:
        tracking_flush()
    except Exception:
        logger.warning("Buffered campaign opens and clicks could not be written; the next one retries", exc_info=True)
    finally:
        if isinstance(threading.current_thread(), threading.Timer):
            connections.close_all()  # the timer thread's own connections
    if len(_local):  # some were still too recent: once more
        _flush_later()


def discard_buffered() -> None:
    """Forget this process's buffered opens and clicks (tests; a Redis list is shared and left alone)."""
    _local.drop(len(_local))
    global _next_flush_check
    _next_flush_check = 0.0
    cache.delete(FLUSH_QUEUED)


@task(backend="background")
def tracking_write():
    """Write the opens and clicks buffered since the last flush (campaigns.tracking_writer)."""
    from campaigns.tracking_writer import tracking_flush

    return tracking_flush()["written"]


def tracking_sweep() -> int:
    """The workers' sweep: write what the buffer holds whatever became of the queued flush tasks."""
    from campaigns.tracking_writer import tracking_flush

    return tracking_flush()["written"]
