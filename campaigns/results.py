"""A campaign's results (issue 17, item 7): counts over its recipients' first-time fields and activity,
a fixed number of queries whatever the audience (aggregates with COUNT ... FILTER).

- sent: messages the mail server accepted; delivered: sent minus bounced; bounced, complaints,
  unsubscribes: recipients with that fact. Soft bounced: recipients the provider reported a temporary
  failure for (it retries; not suppressed, not taken from delivered: a hard bounce follows if it gives up).
- human opens: recipients a person opened it for (unique); machine opens: recipients whose pixel a
  mail-privacy proxy or scanner fetched (campaigns.machines). A recipient can be both.
- clicks: recipients with a human click (unique); per link, human clicks and the people who made them;
  machine clicks (scanners, trap hits) counted apart and never in the links' numbers.
- conversions: people who, within CampaignSettings.conversion_days after their first human click,
  filled in a form, registered for an event or downloaded content (the lead store's interactions).
- the A/B result: campaigns.sending.ab_test_result (per variant and whether the difference is chance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q

from campaigns.models import Campaign, CampaignLink, CampaignRecipient, RecipientActivity

CONVERSION_TYPES = ("form_submit", "event_registered", "content_download")
DEFAULT_CONVERSION_DAYS = 7


@dataclass
class LinkResult:
    position: int
    url: str
    label: str
    clicks: int = 0  # human clicks
    people: int = 0  # recipients who made them
    share: int = 0  # percent of the busiest link's clicks: the bar's length


@dataclass
class CampaignResults:
    sent: int = 0
    bounced: int = 0
    soft_bounced: int = 0
    human_opens: int = 0
    machine_opens: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    complained: int = 0
    conversions: int = 0
    machine_clicks: int = 0
    trap_hits: int = 0
    conversion_days: int = DEFAULT_CONVERSION_DAYS
    links: list[LinkResult] = field(default_factory=list)
    ab: object | None = None  # campaigns.sending.ab_test.AbResult, or None without A/B subject lines

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced, 0)

    def rate(self, count: int) -> str:
        """A count as a share of the delivered messages: "12.5%" ("-" before anything was delivered)."""
        return f"{100 * count / self.delivered:.1f}%" if self.delivered else "-"

    @property
    def rows(self) -> list[tuple[str, int, str, str]]:
        """(what, count, share of delivered, data name) in the order the results page lists them."""
        return [
            ("Sent", self.sent, "", "sent"),
            ("Delivered", self.delivered, "", "delivered"),
            ("Bounced", self.bounced, self.rate(self.bounced), "bounced"),
            ("Soft bounced (not suppressed; the provider retries)", self.soft_bounced, "", "soft-bounced"),
            ("Opened by a person (unique)", self.human_opens, self.rate(self.human_opens), "human-opens"),
            ("Opened by a machine (mail-privacy proxy, scanner)", self.machine_opens, "", "machine-opens"),
            ("Clicked (unique people)", self.clicked, self.rate(self.clicked), "clicked"),
            ("Machine clicks (scanners; not scored)", self.machine_clicks, "", "machine-clicks"),
            (f"Conversions within {self.conversion_days} days of a click", self.conversions, "", "conversions"),
            ("Unsubscribed", self.unsubscribed, self.rate(self.unsubscribed), "unsubscribed"),
            ("Complained (marked as spam)", self.complained, self.rate(self.complained), "complained"),
        ]


def conversion_days_for(site=None) -> int:
    from wagtail.models import Site

    from campaigns.models import CampaignSettings

    site = site or Site.objects.filter(is_default_site=True).first()
    return CampaignSettings.for_site(site).conversion_days if site else DEFAULT_CONVERSION_DAYS


def campaign_results(
    campaign: Campaign, *, conversion_days: int | None = None, with_ab: bool = True
) -> CampaignResults:
    """Everything the results page shows for one campaign."""
    days = DEFAULT_CONVERSION_DAYS if conversion_days is None else conversion_days
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    counts = recipients.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        soft_bounced=Count("pk", filter=Q(soft_bounced_at__isnull=False)),
        human_opens=Count("pk", filter=Q(opened_at__isnull=False)),
        machine_opens=Count("pk", filter=Q(machine_opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
    )
    results = CampaignResults(**counts, conversion_days=days)
    if results.clicked:
        results.conversions = _conversions(recipients, days)
    results.links, results.machine_clicks, results.trap_hits = _links(campaign)
    if with_ab and campaign.subject_variants.exists():
        results.ab = _ab_result(campaign)
    return results


def _conversions(recipients, days: int) -> int:
    """People with a form fill, registration or download after their first human click, within `days`."""
    from leads.models import Interaction

    window_end = ExpressionWrapper(OuterRef("clicked_at") + timedelta(days=days), output_field=DateTimeField())
    converted = Interaction.objects.filter(
        person_id=OuterRef("person_id"),
        type__in=CONVERSION_TYPES,
        occurred_at__gt=OuterRef("clicked_at"),
        occurred_at__lte=window_end,
    )
    return recipients.filter(clicked_at__isnull=False, person__isnull=False).filter(Exists(converted)).count()


def _links(campaign: Campaign) -> tuple[list[LinkResult], int, int]:
    """The links people can see, with their human clicks; and the machine clicks and trap hits."""
    per_link = {
        row["link_id"]: row
        for row in RecipientActivity.objects.filter(recipient__campaign=campaign, kind=RecipientActivity.Kind.CLICK)
        .values("link_id")
        .annotate(
            clicks=Count("pk", filter=Q(is_machine=False)),
            people=Count("recipient_id", filter=Q(is_machine=False), distinct=True),
            machine=Count("pk", filter=Q(is_machine=True)),
        )
    }
    links, traps = [], set()
    for link in CampaignLink.objects.filter(campaign=campaign).only("pk", "position", "url", "label", "is_trap"):
        if link.is_trap:
            traps.add(link.pk)
            continue
        row = per_link.get(link.pk, {})
        links.append(LinkResult(link.position, link.url, link.label, row.get("clicks", 0), row.get("people", 0)))
    busiest = max((link.clicks for link in links), default=0)
    for link in links:
        link.share = round(100 * link.clicks / busiest) if busiest else 0
    machine = sum(row["machine"] for row in per_link.values())
    trap_hits = sum(row["machine"] for link_id, row in per_link.items() if link_id in traps)
    return links, machine, trap_hits


def _ab_result(campaign: Campaign):
    try:
        from campaigns.sending import ab_test_result
    except ImportError:  # the sending side not there (yet): the page shows no A/B section
        return None
    return ab_test_result(campaign)


def campaign_results_preview(campaign_ids) -> dict[int, dict]:
    """Sent, human opens and clicks for several campaigns in one query (a list's columns)."""
    return {
        row["campaign_id"]: row
        for row in CampaignRecipient.objects.filter(campaign_id__in=list(campaign_ids))
        .values("campaign_id")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            human_opens=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
        .order_by()
    }


__all__ = ["CampaignResults", "LinkResult", "campaign_results", "campaign_results_preview", "conversion_days_for"]
