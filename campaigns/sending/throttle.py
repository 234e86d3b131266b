"""How fast campaign email goes out: CampaignSettings.emails_per_minute (per site; the default site's,
as a campaign belongs to no site of its own), shared by every worker through the cache.

The minute is cut into seconds: each second has a budget of ceil(per_minute / 60) messages, counted in
the shared cache (Redis in production, so two workers on two machines share one budget; the in-process
cache counts per process). A sender takes one message from the budget before each send; when the
second's budget is spent it sleeps until the next second starts (no busy loop). The clock and the
sleeper are injectable so tests never sleep.

A sender takes its messages from the shared budget a block at a time (a 20th of the second's budget, at
most 50; one message when the budget is small), not one cache round trip per message: at a few hundred
messages a second the cache calls cost as much as the send. What a sender took and did not use in its
second (or its chunk) is lost, so the rate stays under the setting, by at most a block per chunk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.cache import cache

CACHE_PREFIX = "campaigns:send-budget"
BLOCK_SHARE = 20  # a sender takes at most this share (1/20) of a second's budget at once ...
BLOCK_MAX = 50  # ... and never more than this many messages


def emails_per_minute() -> int:
    """The default site's setting (CampaignSettings' default when there is no site or no settings row)."""
    from wagtail.models import Site

    from campaigns.models import CampaignSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    if site is None:
        return CampaignSettings._meta.get_field("emails_per_minute").default
    return CampaignSettings.for_site(site).emails_per_minute


class Throttle:
    """A per-second budget shared in the cache. `wait()` before each message."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        key: str = "all",
    ):
        self.per_second = max(1, math.ceil(max(per_minute, 1) / 60))
        self.clock = clock
        self.sleep = sleep
        self.key = f"{CACHE_PREFIX}:{key}"
        self.waited = 0.0  # seconds slept, for the caller's figures
        self.block = max(1, min(BLOCK_MAX, self.per_second // BLOCK_SHARE))
        self._held_second = None  # the second of the messages this sender took and has not sent yet
        self._held = 0

    def _take(self, second: int, wanted: int) -> int:
        """Take up to `wanted` messages from the second's shared budget; how many were granted."""
        bucket = f"{self.key}:{second}"
        cache.add(bucket, 0, timeout=5)
        try:
            count = cache.incr(bucket, wanted)
        except ValueError:  # evicted between add and incr
            cache.set(bucket, wanted, timeout=5)
            count = wanted
        return max(0, min(wanted, self.per_second - (count - wanted)))

    def wait(self) -> None:
        """Return once this message fits in the current second's budget, sleeping to the next second
        as often as the budget is spent (other workers share it)."""
        while True:
            now = self.clock()
            second = int(now)
            if self._held and self._held_second == second:
                self._held -= 1
                return
            granted = self._take(second, self.block)
            if granted:
                self._held_second, self._held = second, granted - 1
                return
            pause = (second + 1) - now
            self.waited += pause
            self.sleep(pause)
