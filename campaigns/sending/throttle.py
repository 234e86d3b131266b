"""How fast campaign email goes out: CampaignSettings.emails_per_minute (per site; the default site's,
as a campaign belongs to no site of its own), shared by every worker through the cache.

The minute is cut into seconds: each second has a budget of ceil(per_minute / 60) messages, counted in
the shared cache (Redis in production, so two workers on two machines share one budget; the in-process
cache counts per process). A sender takes one message from the budget before each send; when the
second's budget is spent it sleeps until the next second starts (no busy loop). The clock and the
sleeper are injectable so tests never sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.cache import cache

CACHE_PREFIX = "campaigns:send-budget"


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

    def _take(self, second: int) -> bool:
        bucket = f"{self.key}:{second}"
        cache.add(bucket, 0, timeout=5)
        try:
            count = cache.incr(bucket)
        except ValueError:  # evicted between add and incr
            cache.set(bucket, 1, timeout=5)
            count = 1
        return count <= self.per_second

    def wait(self) -> None:
        """Return once this message fits in the current second's budget, sleeping to the next second
        as often as the budget is spent (other workers share it)."""
        while True:
            now = self.clock()
            second = int(now)
            if self._take(second):
                return
            pause = (second + 1) - now
            self.waited += pause
            self.sleep(pause)
