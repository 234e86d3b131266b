"""The campaigns' sweep (in WORKER_SWEEPS: every minute from the workers; `manage.py sweep_stale_work`
by hand). Cheap when nothing is going out, safe to run twice at once (every step is conditional):

1. recipients "sending" past CAMPAIGN_SENDING_TIMEOUT_MINUTES (their worker died) go back to pending
   (cancelled, for a cancelled campaign);
2. scheduled campaigns that are due start preparing;
3. a campaign still preparing long after it started (its task was lost) is prepared again;
4. a sending campaign with due pending recipients and no claim for a while gets a sender again (its
   tasks were lost, or they stopped on a mail server that was down, or retries came due);
5. A/B tests whose wait is over get their winner, which goes to the rest;
6. a sending campaign with nobody pending or being sent is finished (sent).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient
from campaigns.sending import claim
from campaigns.sending.ab_test import ab_winner_send
from campaigns.sending.control import _queue_prepare, campaign_finish_if_done, campaign_start_due, senders_queue

Status = Campaign.Status
Row = CampaignRecipient.Status


def stalled_after() -> timedelta:
    return timedelta(minutes=max(1, settings.CAMPAIGN_SENDING_TIMEOUT_MINUTES // 2))


def campaigns_sending_sweep(now=None) -> dict[str, int]:
    now = now or timezone.now()
    # A dead worker's rows need a sender once released, even if the campaign's other senders sent the rest a
    # moment ago (then it does not look stalled, and would wait stalled_after() more: bench_campaign_send).
    released_from = set(claim.stuck_rows(now).order_by().values_list("campaign_id", flat=True).distinct())
    counts = claim.stuck_release(now)
    counts["started"] = campaign_start_due(now)
    counts["prepared again"] = 0
    for pk in Campaign.objects.filter(
        status=Status.PREPARING, started_at__lt=now - timedelta(minutes=settings.CAMPAIGN_SENDING_TIMEOUT_MINUTES)
    ).values_list("pk", flat=True):
        _queue_prepare(pk)
        counts["prepared again"] += 1
    counts["senders queued"] = counts["winners"] = counts["finished"] = 0
    for campaign in Campaign.objects.filter(status__in=(Status.SENDING, Status.TESTING)):
        if campaign.status == Status.TESTING and ab_winner_send(campaign, now=now) is not None:
            counts["winners"] += 1
            continue
        if campaign.pk in released_from or _stalled(campaign, now):
            senders_queue(campaign.pk, count=1)
            counts["senders queued"] += 1
        elif campaign.status == Status.SENDING and campaign_finish_if_done(campaign.pk, now):
            counts["finished"] += 1
    return counts


def _stalled(campaign: Campaign, now) -> bool:
    due = claim.claimable(campaign.pk, test_only=campaign.status == Status.TESTING, now=now)
    if not due.exists():
        return False
    recent = Q(claimed_at__gte=now - stalled_after()) | Q(sent_at__gte=now - stalled_after())
    return not CampaignRecipient.objects.filter(recent, campaign=campaign).exists()
