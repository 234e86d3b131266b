"""A campaign's life while it goes out: send (now or at a time), prepare, pause, resume, cancel, finish.

    draft --send--> preparing --prepare task--> sending ------------------------------> sent
      |                 ^                          |  ^ (A/B: testing --winner--> sending)
      +--send at--> scheduled --sweep when due-----+  pause / resume; cancel: pending -> cancelled

Every change is one conditional UPDATE on the status it expects, so a double click, two admins or a
task run twice change a campaign once. The work itself runs on the background workers (tasks.py).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient

logger = logging.getLogger(__name__)

Status = Campaign.Status
Row = CampaignRecipient.Status
ACTIVE = (Status.SENDING, Status.TESTING)
CHAIN_SECONDS = 20  # a send task sends chunks for about this long, then hands on to a fresh task


def parallel_senders() -> int:
    """How many send tasks work on one campaign at once (each claims its own chunks)."""
    return max(1, getattr(settings, "CAMPAIGN_SEND_PARALLEL", 2))


def _has_body(campaign: Campaign) -> bool:
    return any(True for _ in campaign.body) if campaign.body else False


def campaign_check_sendable(campaign: Campaign) -> int:
    """Refuse (ValueError naming the field) what cannot be sent; the eligible audience's count."""
    if campaign.status != Status.DRAFT:
        raise ValueError(f"status: only a draft can be sent; this campaign is {campaign.get_status_display()}")
    if not (campaign.subject or "").strip():
        raise ValueError("subject: the campaign has no subject")
    if not _has_body(campaign):
        raise ValueError("body: the campaign's email is empty")
    from campaigns.audience import audience_summary

    eligible = audience_summary(campaign).eligible
    if not eligible:
        raise ValueError("audience: nobody in this campaign's audience may receive it")
    return eligible


def campaign_send(campaign: Campaign, *, by=None, at=None, now=None) -> Campaign:
    """Send now, or at `at` (a time in the future: the sweep starts it when due). ValueError when it
    cannot be sent (the message names the field)."""
    now = now or timezone.now()
    campaign_check_sendable(campaign)
    if at is not None and at > now:
        changed = Campaign.objects.filter(pk=campaign.pk, status=Status.DRAFT).update(
            status=Status.SCHEDULED, send_at=at
        )
        if not changed:
            raise ValueError("status: the campaign was sent or scheduled meanwhile")
        logger.info("Campaign %s scheduled for %s by %s", campaign.pk, at, by)
    else:
        with transaction.atomic():
            changed = Campaign.objects.filter(pk=campaign.pk, status=Status.DRAFT).update(
                status=Status.PREPARING, send_at=now, started_at=now
            )
            if not changed:
                raise ValueError("status: the campaign was sent or scheduled meanwhile")
            _queue_prepare(campaign.pk)
        logger.info("Campaign %s sent by %s", campaign.pk, by)
    campaign.refresh_from_db()
    return campaign


def campaign_start_due(now=None) -> int:
    """Scheduled campaigns whose time has come start preparing (the sweep calls this)."""
    now = now or timezone.now()
    started = 0
    for pk in Campaign.objects.filter(status=Status.SCHEDULED, send_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            if Campaign.objects.filter(pk=pk, status=Status.SCHEDULED).update(status=Status.PREPARING, started_at=now):
                _queue_prepare(pk)
                started += 1
    return started


def campaign_prepare(campaign_id: int) -> str:
    """Record the recipients and the links, then start sending (the A/B sample first). Safe to run again:
    both steps are idempotent, and only a campaign still preparing moves on."""
    campaign = Campaign.objects.filter(pk=campaign_id, status=Status.PREPARING).first()
    if campaign is None:
        return "not preparing"
    from campaigns.audience import recipients_record
    from campaigns.rendering import campaign_links_collect

    try:
        recipients_record(campaign)
    except ValueError as error:
        # Nobody may receive it any more (e.g. they unsubscribed since it was scheduled): back to draft.
        Campaign.objects.filter(pk=campaign_id, status=Status.PREPARING).update(status=Status.DRAFT, started_at=None)
        logger.warning("Campaign %s not sent: %s", campaign_id, error)
        return f"back to draft: {error}"
    campaign_links_collect(campaign)
    testing = campaign.subject_variants.exists() and campaign.ab_decided_at is None
    next_status = Status.TESTING if testing else Status.SENDING
    if not Campaign.objects.filter(pk=campaign_id, status=Status.PREPARING).update(status=next_status):
        return "not preparing"
    senders_queue(campaign_id)
    return str(next_status)


def campaign_pause(campaign: Campaign, *, by=None) -> bool:
    """Stop after the chunks being sent now; nothing is lost (resume sends the rest)."""
    return bool(Campaign.objects.filter(pk=campaign.pk, status__in=ACTIVE).update(status=Status.PAUSED))


def campaign_resume(campaign: Campaign, *, by=None) -> bool:
    """Carry on where it stopped (the A/B sample, if its winner was not chosen yet)."""
    testing = campaign.subject_variants.exists() and campaign.ab_decided_at is None
    with transaction.atomic():
        resumed = Campaign.objects.filter(pk=campaign.pk, status=Status.PAUSED).update(
            status=Status.TESTING if testing else Status.SENDING
        )
        if resumed:
            senders_queue(campaign.pk)
    return bool(resumed)


def campaign_cancel(campaign: Campaign, *, by=None) -> str:
    """Cancel: nobody else gets it (pending recipients become cancelled; the sent stay sent). A
    scheduled campaign goes back to draft instead: nothing was sent, it can be scheduled again."""
    if Campaign.objects.filter(pk=campaign.pk, status=Status.SCHEDULED).update(status=Status.DRAFT, send_at=None):
        return "unscheduled"
    with transaction.atomic():
        cancelled = Campaign.objects.filter(
            pk=campaign.pk, status__in=(Status.PREPARING, *ACTIVE, Status.PAUSED)
        ).update(status=Status.CANCELLED, finished_at=timezone.now())
        if not cancelled:
            return "not cancelled"
        CampaignRecipient.objects.filter(campaign_id=campaign.pk, status=Row.PENDING).update(status=Row.CANCELLED)
    return "cancelled"


def campaign_finish_if_done(campaign_id: int, now=None) -> bool:
    """Sending, and nobody pending or being sent: sent. One statement, so a row put back to pending
    by the sweep at that moment is seen."""
    busy = CampaignRecipient.objects.filter(campaign_id=OuterRef("pk"), status__in=(Row.PENDING, Row.SENDING))
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Status.SENDING)
        .filter(~Exists(busy))
        .update(status=Status.SENT, finished_at=now or timezone.now())
    )


# --- Handing work to the workers --------------------------------------------------------------


def _queue_prepare(campaign_id: int) -> None:
    from campaigns.tasks import campaign_prepare_task

    transaction.on_commit(lambda: campaign_prepare_task.enqueue(campaign_id))


def senders_queue(campaign_id: int, count: int | None = None) -> None:
    """Start send tasks for the campaign, after the caller's transaction commits."""
    from campaigns.tasks import campaign_send_task

    def enqueue():
        for _ in range(count or parallel_senders()):
            try:
                campaign_send_task.enqueue(campaign_id)
            except Exception:  # the rows wait; the sweep queues a sender for a campaign that stalls
                logger.exception("Could not queue a sender for campaign %s", campaign_id)

    transaction.on_commit(enqueue)


def senders_run(campaign_id: int, *, throttle=None, seconds: float = CHAIN_SECONDS, clock=time.monotonic) -> dict:
    """A send task's body: chunks for about `seconds`, then a fresh task takes over (other work on the
    queue gets its turn, and no task runs for ever). Finishes the campaign when nothing is left."""
    from campaigns.sending.deliver import chunk_send

    started = clock()
    renderers: dict = {}
    totals = {"chunks": 0, "sent": 0, "failed": 0, "retrying": 0, "left_out": 0}
    while True:
        result = chunk_send(campaign_id, throttle=throttle, renderers=renderers)
        for key in ("sent", "failed", "retrying", "left_out"):
            totals[key] += getattr(result, key)
        if not result.worked or result.outcome != "sent":
            break
        totals["chunks"] += 1
        if clock() - started >= seconds:
            senders_queue(campaign_id, count=1)
            totals["outcome"] = "handed on"
            return totals
    totals["outcome"] = result.outcome
    campaign_finish_if_done(campaign_id)
    return totals
