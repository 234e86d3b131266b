"""Claiming recipients to send to: one conditional UPDATE gives each pending row to exactly one worker.

PostgreSQL: WITH picked AS (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) UPDATE ... RETURNING id: two
workers claiming at once take different rows, neither waits for the other. Elsewhere (SQLite, which
serialises writers anyway) the ids are read, then updated conditionally (still pending), and the rows
this claim won are read back by its claim time.

The claim time names the attempt: every later write says "WHERE status = sending AND claimed_at = mine",
so a worker that comes back after the sweep gave its rows to another changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import CampaignRecipient

Status = CampaignRecipient.Status


def chunk_size(per_minute: int) -> int:
    """CAMPAIGN_SEND_CHUNK, but never more than a throttled worker sends in half the sending timeout:
    a chunk must be done long before the sweep takes its rows for a dead worker's."""
    timeout_minutes = max(settings.CAMPAIGN_SENDING_TIMEOUT_MINUTES, 1)
    return max(1, min(settings.CAMPAIGN_SEND_CHUNK, per_minute * timeout_minutes // 2))


def _due(now) -> Q:
    return Q(retry_at__isnull=True) | Q(retry_at__lte=now)


def claimable(campaign_id: int, *, test_only: bool, now):
    rows = CampaignRecipient.objects.filter(Q(campaign_id=campaign_id, status=Status.PENDING) & _due(now))
    return rows.filter(in_test=True) if test_only else rows


def recipients_claim(campaign_id: int, *, limit: int, test_only: bool = False, now=None) -> tuple[list[int], object]:
    """Claim up to `limit` due pending recipients of the campaign (the A/B sample only while testing).
    Returns (ids, claim time)."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _claim_postgresql(campaign_id, limit=limit, test_only=test_only, now=now), now
    ids = list(claimable(campaign_id, test_only=test_only, now=now).values_list("pk", flat=True)[:limit])
    if not ids:
        return [], now
    CampaignRecipient.objects.filter(pk__in=ids, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    won = CampaignRecipient.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=now)
    return list(won.values_list("pk", flat=True)), now


def _claim_postgresql(campaign_id: int, *, limit: int, test_only: bool, now) -> list[int]:
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    # No ORDER BY: the (campaign, status) index hands out pending rows as it finds them, so a claim costs
    # the rows it takes, not a sort of every pending row of a 100,000-recipient campaign.
    sample = "AND in_test" if test_only else ""
    # The pick is a CTE, evaluated once: as "WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)"
    # PostgreSQL may run the subquery again for each row it updates and take more than n.
    sql = f"""
        WITH picked AS (
            SELECT id FROM {table}
            WHERE campaign_id = %s AND status = %s AND (retry_at IS NULL OR retry_at <= %s) {sample}
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
        UPDATE {table} AS target SET status = %s, claimed_at = %s, attempts = target.attempts + 1
        FROM picked WHERE target.id = picked.id AND target.status = %s
        RETURNING target.id
    """  # the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, Status.PENDING, now, limit, Status.SENDING, now, Status.PENDING])
        return sorted(row[0] for row in cursor.fetchall())


def mine(recipient_id: int, claimed_at):
    """The row as this attempt holds it: an update through it does nothing once the attempt is stale."""
    return CampaignRecipient.objects.filter(pk=recipient_id, status=Status.SENDING, claimed_at=claimed_at)


def release_untried(ids: list[int], claimed_at, *, retry_in: timedelta, reason: str) -> int:
    """Rows claimed but never tried (the connection failed, the campaign was paused): back to pending,
    their attempt not counted, not before `retry_in`."""
    if not ids:
        return 0
    return CampaignRecipient.objects.filter(pk__in=ids, status=Status.SENDING, claimed_at=claimed_at).update(
        status=Status.PENDING,
        attempts=F("attempts") - 1,
        retry_at=timezone.now() + retry_in if retry_in else None,
        last_error=reason[:500],
    )


def stuck_rows(now):
    """Rows "sending" past CAMPAIGN_SENDING_TIMEOUT_MINUTES: the worker that claimed them died."""
    return CampaignRecipient.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - timedelta(minutes=settings.CAMPAIGN_SENDING_TIMEOUT_MINUTES)
    )


def stuck_release(now=None) -> dict[str, int]:
    """Rows "sending" past CAMPAIGN_SENDING_TIMEOUT_MINUTES: their worker died. Back to pending (sent
    again: the lesser harm than never sending), or cancelled when their campaign was cancelled."""
    from campaigns.models import Campaign

    now = now or timezone.now()
    stuck = stuck_rows(now)
    cancelled = stuck.filter(campaign__status=Campaign.Status.CANCELLED).update(status=Status.CANCELLED)
    pending = stuck.update(
        status=Status.PENDING,
        retry_at=None,
        last_error="The worker sending it stopped before it was recorded as sent; sending it again.",
    )
    return {"released": pending, "cancelled": cancelled}
