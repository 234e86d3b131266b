"""Repeat page views that changed nothing segments read: kept in this process until the visitor's state is
next written, instead of writing the whole state back on every view.

A returning visitor re-reading pages changes only counters: page views, how often each page was seen,
when they were last seen, this browser's recent views. Writing the whole state (pickled, with its
recent views) back to the cache for each of those made a returning visitor's page cost 1.6x a new
visitor's (issue 19). Such views wait here and go into the state the next time it is written:
- by this visitor's next request in this process that changes something (a new visit, a campaign, a
  new topic, a fact a segment reads), or
- once PERSONALIZATION_TOUCH_SECONDS have passed since the first view waiting (so the 30-minute visit
  gap is measured from a last-seen time at most that old, and counters are never far behind), or
- by `sweep`, for visitors gone quiet in this process (another worker serves them, or they left).

A process that stops loses what waits here: at most about TOUCH seconds of repeat views' counters of
the visitors it served. The lead store records every view regardless (leads.behaviour's buffer).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from ..state import RECENT_PAGES, count_seen

TOUCH_SECONDS = 60  # the default of PERSONALIZATION_TOUCH_SECONDS
# At most this many visitors wait per process; past it the oldest are swept at once.
MAX_WAITING = 20_000
SWEEP_BATCH = 500  # states read and written back per cache round trip by the sweep


@dataclass
class Pending:
    """What views served by this process added to a visitor's state that the cached state lacks."""

    since: float  # time.monotonic() of the first view waiting
    views: int = 0
    last_seen_at: datetime | None = None
    pages: dict = field(default_factory=dict)  # page key -> views
    events: list = field(default_factory=list)  # behaviour events (personalization.behaviour.view_recorded)

    def add(self, page_key: str, event, at: datetime) -> None:
        self.views += 1
        self.pages[page_key] = self.pages.get(page_key, 0) + 1
        self.events.append(event)
        self.last_seen_at = at if self.last_seen_at is None else max(self.last_seen_at, at)

    def merge(self, other: Pending) -> None:
        self.since = min(self.since, other.since)
        self.views += other.views
        for key, n in other.pages.items():
            self.pages[key] = self.pages.get(key, 0) + n
        self.events.extend(other.events)
        if other.last_seen_at is not None:
            self.last_seen_at = (
                other.last_seen_at if self.last_seen_at is None else max(self.last_seen_at, other.last_seen_at)
            )

    def due(self) -> bool:
        return time.monotonic() - self.since >= touch_seconds()

    def apply(self, state) -> None:
        """Add these views to a state read from the cache (or the database)."""
        from ..behaviour import RECENT_VIEWS

        state.page_views += self.views
        state.unsaved_views += self.views
        if self.last_seen_at is not None and self.last_seen_at > state.last_seen_at:
            state.last_seen_at = self.last_seen_at
        for key, n in self.pages.items():
            for _ in range(n):
                count_seen(state.pages_viewed, key, limit=RECENT_PAGES)
        if self.events:
            state.views = tuple(sorted({*state.views, *self.events}))[-RECENT_VIEWS:]


def touch_seconds() -> float:
    return getattr(settings, "PERSONALIZATION_TOUCH_SECONDS", TOUCH_SECONDS)


_waiting: dict[str, Pending] = {}
_lock = threading.Lock()
_next_sweep = [0.0]


def take(visitor_id: str) -> Pending | None:
    """The views waiting for this visitor in this process (removed: the caller applies them or puts them back)."""
    with _lock:
        return _waiting.pop(visitor_id, None)


def keep(visitor_id: str, pending: Pending) -> None:
    """Views not written with the state: they wait for the next write (merged with any kept meanwhile)."""
    with _lock:
        earlier = _waiting.pop(visitor_id, None)
        if earlier is not None:
            pending.merge(earlier)
        _waiting[visitor_id] = pending


def waiting() -> int:
    return len(_waiting)


def discard() -> None:
    """Forget everything waiting (tests start clean)."""
    with _lock:
        _waiting.clear()
    _next_sweep[0] = 0.0


def sweep(state_key, ttl: int, *, force: bool = False) -> int:
    """Write the views of visitors waiting longer than TOUCH seconds into their cached states (read-modify-write,
    a batch per round trip). Runs at most once per TOUCH seconds per process, or at once past MAX_WAITING.
    A state gone from the cache is not recreated: its row holds the older counters. Returns visitors written."""
    touch = touch_seconds()
    now = time.monotonic()
    if not force and now < _next_sweep[0] and len(_waiting) <= MAX_WAITING:
        return 0
    _next_sweep[0] = now + max(touch, 1)
    with _lock:
        old = [vid for vid, p in _waiting.items() if force or now - p.since >= touch]
        excess = len(_waiting) - len(old) - MAX_WAITING
        if excess > 0:  # dicts keep insertion order: the first are the longest waiting
            chosen = set(old)
            old += [vid for vid in _waiting if vid not in chosen][:excess]
        taken = {vid: _waiting.pop(vid) for vid in old}
    written = 0
    ids = list(taken)
    for start in range(0, len(ids), SWEEP_BATCH):
        batch = {state_key(vid): vid for vid in ids[start : start + SWEEP_BATCH]}
        states = cache.get_many(list(batch))
        for key, state in states.items():
            taken[batch[key]].apply(state)
        if states:
            cache.set_many(states, ttl)
            written += len(states)
    return written
