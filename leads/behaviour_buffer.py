"""Where served page views and custom events wait for the lead store's batch writer (leads.behaviour).

A Redis list shared by every web process and worker when REDIS_URL is set, else a list in this process;
in front of Redis, a relay per process so that serving a page never waits on a round trip.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from itertools import islice

from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_LIST = "signalpage:behaviour:page-views"
RELAY_BATCH = 20_000  # views per push at most
LOCAL_LIMIT = 200_000  # without Redis, the oldest page views go first when a flush is long overdue


class RedisBuffer:
    """A Redis list shared by every web process and worker: RPUSH to add, LRANGE then LTRIM to take."""

    def __init__(self, client=None, name: str | None = None):
        if client is None:
            from django_redis import get_redis_connection

            client = get_redis_connection("default")
        self.client = client
        self.name = name  # another app's list (campaign tracking); None: the page views' REDIS_LIST

    @property
    def list_name(self) -> str:
        return self.name or REDIS_LIST

    def push(self, record: str) -> None:
        self.client.rpush(self.list_name, record)

    def push_many(self, records: list[str]) -> None:
        self.client.rpush(self.list_name, *records)  # one round trip for a front end's whole batch

    def peek(self, count: int) -> list[str]:
        return [
            item.decode() if isinstance(item, bytes) else item
            for item in self.client.lrange(self.list_name, 0, count - 1)
        ]

    def drop(self, count: int) -> None:
        self.client.ltrim(self.list_name, count, -1)

    def __len__(self) -> int:
        return self.client.llen(self.list_name)


class LocalBuffer:
    """This process's list (the in-process cache's twin): enough for the demo and one-process setups,
    where the flush task runs in the same process."""

    def __init__(self):
        self.items: deque[str] = deque(maxlen=LOCAL_LIMIT)
        self.lock = threading.Lock()

    def push(self, record: str) -> None:
        with self.lock:
            self.items.append(record)

    def push_many(self, records: list[str]) -> None:
        with self.lock:
            self.items.extend(records)

    def peek(self, count: int) -> list[str]:
        with self.lock:
            # islice walks the deque once; indexing it would walk from an end for every item.
            return list(islice(self.items, count))

    def drop(self, count: int) -> None:
        with self.lock:
            for _ in range(min(count, len(self.items))):
                self.items.popleft()

    def __len__(self) -> int:
        return len(self.items)


_local = LocalBuffer()


def page_view_buffer_in_use():
    return RedisBuffer() if settings.REDIS_URL else _local


RELAY_EVERY_SECONDS = 0.25  # how long a served page view may wait in this process before Redis has it
RELAY_AT = 200  # or this many, whichever comes first


class Relay:
    """Serving a page must not wait on Redis either: a round trip per view (0.3-0.7 ms, a sync worker
    blocked meanwhile) made recording cost a fifth of a cached page. A served page view is appended here
    (no I/O) and one thread per process pushes what gathered in one round trip every RELAY_EVERY_SECONDS.
    What a process still holds when it exits normally is pushed at exit; a process killed with -9 loses
    at most the last quarter second of its views (page views are behaviour, not accepted submissions).
    A push that fails (Redis away) is retried on the next tick; the oldest views go first past LOCAL_LIMIT."""

    def __init__(self, target=None):
        self.target = target or RedisBuffer  # what to push to: made afresh each time (a pooled connection)
        self.items: deque[str] = deque(maxlen=LOCAL_LIMIT)
        self.sending = threading.Lock()
        self.starting = threading.Lock()
        self.wake = threading.Event()
        self.pid = None  # the process whose thread runs: a forked worker starts its own
        self.failing = False

    def push(self, record: str) -> None:
        self.items.append(record)  # deque.append is atomic: no lock on the request path
        if self.pid != os.getpid():
            self._start()
        if len(self.items) >= RELAY_AT:
            self.wake.set()

    def _start(self) -> None:
        with self.starting:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.wake = threading.Event()
            self.sending = threading.Lock()  # a lock held in the parent at fork would never be released here
            threading.Thread(target=self._run, name="behaviour-relay", daemon=True).start()

    def _run(self) -> None:
        while True:
            self.wake.wait(RELAY_EVERY_SECONDS)
            self.wake.clear()
            self.drain()

    def drain(self) -> int:
        """Push what this process holds to the shared buffer now; returns how many were pushed."""
        with self.sending:
            records = []
            while self.items and len(records) < RELAY_BATCH:
                records.append(self.items.popleft())
            if not records:
                return 0
            try:
                self.target().push_many(records)
            except Exception:
                self.items.extendleft(reversed(records))  # kept, in order, for the next tick
                if not self.failing:
                    logger.warning("Buffered events could not reach the shared buffer; retrying", exc_info=True)
                self.failing = True
                return 0
            self.failing = False
            return len(records)


_relay = Relay()
atexit.register(lambda: _relay.pid == os.getpid() and _relay.drain())


def discard_buffered() -> None:
    """Forget this process's buffered page views (tests; the Redis list is shared and left alone)."""
    _local.drop(len(_local))


class FlushGate:
    """Whether a buffered event should queue a flush: at most one per `every` seconds over every process
    (the shared cache's add decides), and this process asks the cache only once per interval, so an event
    costs no extra round trip. The page views' buffer and campaign tracking each have one."""

    def __init__(self, key: str, every: int):
        self.key = key
        self.every = every
        self.next_check = 0.0

    def due(self) -> bool:
        from django.core.cache import cache

        now = time.monotonic()
        if now < self.next_check:
            return False
        self.next_check = now + self.every
        return cache.add(self.key, 1, self.every)

    def reset(self) -> None:
        """Ask the cache at the next event (tests: each may queue its first flush at once)."""
        self.next_check = 0.0
