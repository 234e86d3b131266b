"""What the progress page shows: one aggregate over the campaign's recipients."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from campaigns.models import Campaign, CampaignRecipient

Row = CampaignRecipient.Status


@dataclass(frozen=True)
class Progress:
    status: str
    status_label: str
    total: int  # recipients to send to (left out when recorded are not counted)
    sent: int
    failed: int
    pending: int
    sending: int
    cancelled: int
    left_out_while_sending: int
    retrying: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.cancelled + self.left_out_while_sending

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def is_active(self) -> bool:
        """Worth refreshing: something is happening or about to."""
        return self.status in (Campaign.Status.PREPARING, Campaign.Status.SENDING, Campaign.Status.TESTING)


def campaign_progress(campaign: Campaign) -> Progress:
    counts = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
        sent=Count("pk", filter=Q(status=Row.SENT)),
        failed=Count("pk", filter=Q(status=Row.FAILED)),
        pending=Count("pk", filter=Q(status=Row.PENDING)),
        sending=Count("pk", filter=Q(status=Row.SENDING)),
        cancelled=Count("pk", filter=Q(status=Row.CANCELLED)),
        left_late=Count("pk", filter=Q(status=Row.LEFT_OUT, claimed_at__isnull=False)),
        retrying=Count("pk", filter=Q(status=Row.PENDING, retry_at__isnull=False)),
    )
    left_late = counts.pop("left_late")
    total = sum(counts[key] for key in ("sent", "failed", "pending", "sending", "cancelled")) + left_late
    return Progress(
        status=campaign.status,
        status_label=campaign.get_status_display(),
        total=total,
        left_out_while_sending=left_late,
        **counts,
    )
