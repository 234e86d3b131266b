"""Fixed-window rate limits counted in the cache: with Redis configured they hold across every web
process; with the in-process cache, per process (enough for the demo and one-process setups).

Used by the form spam rules (submissions per address and per email) and the track API (events per
visitor and per address). A key names what is counted; its owner gives it a prefix of its own.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def over_limit(key: str, limit: int, window: int, *, cost: int = 1) -> bool:
    """Count `cost` against `key` in the current `window` seconds; True once the count passes `limit`.
    add() starts the window, incr() is atomic on Redis and within a process."""
    bucket = f"{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        count = cache.incr(bucket, cost)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, cost, timeout=window + 5)
        count = cost
    return count > limit
