"""A/B subject lines (issue 17, item 8): the sample gets the variants first; after ab_wait_hours the
variant with the most human clicks (or human opens, as the campaign says) per message sent goes to the
rest. Variant 0 is the campaign's own subject, 1.. its SubjectVariants in their order.

Rates, not counts: the sample's groups differ in size by one or more. A tie goes to the lower number
(the campaign's own subject first). `ab_test_result` says whether the difference between the best two
is more than chance: a two-proportion z-test, significant at p < 0.05, and "not enough data" while
either group has fewer than MIN_SENT messages sent or the two together fewer than MIN_SUCCESSES
clicks (opens): the normal approximation the test rests on does not hold below that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient

Row = CampaignRecipient.Status
MIN_SENT = 30
MIN_SUCCESSES = 5
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class VariantResult:
    variant: int
    subject: str
    sent: int
    opens: int
    clicks: int

    def successes(self, measure: str) -> int:
        return self.clicks if measure == Campaign.Winner.CLICKS else self.opens

    def rate(self, measure: str) -> float:
        return self.successes(measure) / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class AbResult:
    measure: str  # "clicks" or "opens"
    variants: list[VariantResult]
    best: int | None  # the leading variant's number
    p_value: float | None
    verdict: str  # "significant", "not significant", "not enough data"

    @property
    def significant(self) -> bool:
        return self.verdict == "significant"


def subjects(campaign: Campaign) -> list[str]:
    return [campaign.subject, *campaign.subject_variants.order_by("sort_order", "pk").values_list("subject", flat=True)]


def ab_test_result(campaign: Campaign) -> AbResult:
    """Per variant: sent, human opens, human clicks (counted over the test sample), and the verdict."""
    counts = {
        row["variant"]: row
        for row in CampaignRecipient.objects.filter(campaign=campaign, in_test=True, variant__isnull=False)
        .values("variant")
        .annotate(
            sent=Count("pk", filter=Q(status=Row.SENT)),
            opens=Count("pk", filter=Q(status=Row.SENT, opened_at__isnull=False)),
            clicks=Count("pk", filter=Q(status=Row.SENT, clicked_at__isnull=False)),
        )
    }
    variants = [
        VariantResult(number, subject, *(counts.get(number, {}).get(key, 0) for key in ("sent", "opens", "clicks")))
        for number, subject in enumerate(subjects(campaign))
    ]
    measure = campaign.ab_winner_by
    ranked = sorted(variants, key=lambda item: (-item.rate(measure), item.variant))
    best = ranked[0].variant if ranked and ranked[0].sent else None
    if len(ranked) < 2:
        return AbResult(measure, variants, best, None, "not enough data")
    first, second = ranked[0], ranked[1]
    enough = min(first.sent, second.sent) >= MIN_SENT and (
        first.successes(measure) + second.successes(measure) >= MIN_SUCCESSES
    )
    if not enough:
        return AbResult(measure, variants, best, None, "not enough data")
    p_value = two_proportion_p(first.successes(measure), first.sent, second.successes(measure), second.sent)
    return AbResult(measure, variants, best, p_value, "significant" if p_value < SIGNIFICANCE else "not significant")


def two_proportion_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided p-value of the two-proportion z-test (pooled standard error)."""
    pooled = (successes_a + successes_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = abs(successes_a / n_a - successes_b / n_b) / spread
    return math.erfc(z / math.sqrt(2))


def ab_winner_send(campaign: Campaign, *, now=None) -> int | None:
    """Choose the winner and send it to the rest: the recipients outside the sample get its subject.
    Returns the winning variant's number, or None when it is not time yet or another did it."""
    now = now or timezone.now()
    if campaign.status != Campaign.Status.TESTING or not campaign.started_at:
        return None
    if now < campaign.started_at + timedelta(hours=campaign.ab_wait_hours):
        return None
    busy = (Row.PENDING, Row.SENDING)
    sample_busy = CampaignRecipient.objects.filter(campaign=campaign, in_test=True, status__in=busy)
    if sample_busy.exists():
        return None  # the sample is still going out
    result = ab_test_result(campaign)
    winner = result.best if result.best is not None else 0
    variant_rows = list(campaign.subject_variants.order_by("sort_order", "pk"))
    from campaigns.sending.control import senders_queue

    with transaction.atomic():
        moved = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.TESTING).update(
            status=Campaign.Status.SENDING,
            ab_decided_at=now,
            ab_winner=variant_rows[winner - 1] if winner else None,
        )
        if not moved:
            return None
        CampaignRecipient.objects.filter(campaign=campaign, in_test=False, variant__isnull=True).update(variant=winner)
        senders_queue(campaign.pk)
    return winner
