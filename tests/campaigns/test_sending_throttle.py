"""What the send benchmark (bench/bench_campaign_send.py) found: the throttle's cost and its ceiling (a
sender asks the shared cache once per block of messages, not once per message, and senders sharing the
budget still never exceed it in any second), and how soon a dead worker's rows are sent again."""

from collections import Counter

import pytest
from django.core.cache import cache as real_cache
from freezegun import freeze_time

from campaigns.models import Campaign
from campaigns.sending import campaign_prepare, campaign_send, campaigns_sending_sweep, senders_run
from campaigns.sending import throttle as throttle_module
from campaigns.sending.claim import recipients_claim
from campaigns.sending.throttle import Throttle
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import FakeClock, campaign_to, never_sleeping_throttle, person, rows

smtp = sending_helpers.smtp
held_tasks = sending_helpers.held_tasks
suppression_module = sending_helpers.suppression_module


class CountingCache:
    """The real cache, counting the calls a throttle makes (each one a round trip to Redis in production)."""

    def __init__(self):
        self.calls = Counter()

    def __getattr__(self, name):
        method = getattr(real_cache, name)

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def counting_cache(monkeypatch):
    counting = CountingCache()
    monkeypatch.setattr(throttle_module, "cache", counting)
    real_cache.clear()
    return counting


def test_a_large_budget_costs_one_cache_round_trip_per_block_not_per_message(counting_cache):
    clock = FakeClock()
    throttle = Throttle(1_000_000, clock=clock.time, sleep=clock.sleep, key="blocks")
    assert throttle.block == 50
    for _ in range(1000):
        throttle.wait()
    # 1,000 messages in one second of a 16,667-a-second budget: 20 blocks, each an add and an incr.
    assert counting_cache.calls["incr"] == 20
    assert sum(counting_cache.calls.values()) == 40
    assert clock.sleeps == []


@pytest.mark.parametrize("per_minute", [60, 120, 600, 6000, 60_000])
def test_senders_sharing_the_budget_never_exceed_it_in_a_second(counting_cache, per_minute):
    clock = FakeClock()
    senders = [Throttle(per_minute, clock=clock.time, sleep=clock.sleep, key=f"shared-{per_minute}") for _ in range(3)]
    per_second = senders[0].per_second
    sent_in = Counter()
    for n in range(per_second * 4 + 7):  # the senders take turns, for about four seconds
        senders[n % 3].wait()
        sent_in[int(clock.time())] += 1
    assert max(sent_in.values()) <= per_second
    assert len(sent_in) >= 4  # they slept into the next seconds rather than going over
    assert all(0 < pause <= 1 for pause in clock.sleeps)


def test_a_small_budget_is_taken_one_message_at_a_time(counting_cache):
    clock = FakeClock()
    throttle = Throttle(120, clock=clock.time, sleep=clock.sleep, key="small")
    assert throttle.block == 1
    for _ in range(5):
        throttle.wait()
    assert counting_cache.calls["incr"] == 5 + len(clock.sleeps)  # one per message, and one refused per sleep
    assert len(clock.sleeps) == 2


# --- After a dead worker: its rows get a sender as soon as they are released ------------------------


@pytest.mark.django_db
def test_rows_a_dead_worker_held_get_a_sender_when_released_though_others_were_sent_a_moment_ago(
    smtp, settings, held_tasks, django_capture_on_commit_callbacks, suppression_module
):
    """The kill -9 bench found it: the other senders had finished the rest seconds before the sweep released
    the dead worker's rows, so the campaign did not look stalled and waited another stall period."""
    settings.CAMPAIGN_SEND_CHUNK = 2
    campaign = campaign_to([person() for _ in range(5)])
    with freeze_time("2030-01-01 12:00:00") as clock:
        with django_capture_on_commit_callbacks(execute=True):
            campaign_send(campaign)
        campaign_prepare(campaign.pk)
        dead_ids, _ = recipients_claim(campaign.pk, limit=2)  # a worker claims two, then dies
        clock.move_to("2030-01-01 12:05:30")
        assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 3  # the rest, just now
        clock.move_to("2030-01-01 12:06:00")  # the dead worker's claim is past the timeout (5 minutes)
        queued_before = len(held_tasks.results)
        with django_capture_on_commit_callbacks(execute=True):
            counts = campaigns_sending_sweep()
        assert counts["released"] == 2 and counts["senders queued"] == 1
        assert len(held_tasks.results) == queued_before + 1
        assert senders_run(campaign.pk, throttle=never_sleeping_throttle())["sent"] == 2
    assert sorted(item.rcpt_tos[0] for item in smtp.messages) == sorted(rows(campaign).values_list("email", flat=True))
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT
