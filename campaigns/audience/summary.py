"""How many people a campaign would reach now, and why the rest are left out: one GROUP BY over the
audience with the reason as a CASE (campaigns.eligibility), plus a few people to show."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from campaigns import eligibility

from .sources import audience_qs

SAMPLE_SIZE = 8
SAMPLE_FIELDS = ("first_name", "last_name", "email", "country", "consent", "grade", "stage", "company__name")


@dataclass
class Summary:
    total_in_audience: int  # everybody the includes name
    eligible: int  # who would get it
    left_out: dict[str, int]  # reason -> count, in eligibility.REASONS order, only reasons with people
    sample: list = field(default_factory=list)  # a few of the eligible people (leads.Person)
    notes: list[str] = field(default_factory=list)  # e.g. an inactive segment

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())

    def left_out_rows(self) -> list[tuple[str, str, int]]:
        """(reason, label, count) in the fixed order, for templates."""
        labels = dict(eligibility.LeftOut.choices)
        return [(reason, labels[reason], count) for reason, count in self.left_out.items()]


@dataclass
class Audience:
    """A campaign's audience resolved to conditions, ready to count or record."""

    include: object  # Q on leads.Person
    exclude: object  # Q or None
    rules: eligibility.Rules
    notes: list[str]

    def people(self, *, now=None, selected=True):
        """The audience's people, each with `left_out_reason` ("" when eligible); `selected=False` to filter
        on it without selecting it (eligibility.annotate_reason)."""
        from leads.models import Person

        return eligibility.annotate_reason(
            Person.objects.filter(self.include), self.rules, exclude_q=self.exclude, now=now, selected=selected
        )


def campaign_audience(campaign, *, sources=None, topic_id=None, creator=None, settings=None) -> Audience:
    """Resolve `campaign`'s audience sources (or `sources` as typed in the editor, unsaved). Raises
    sources.AudienceError naming the field of an incomplete source."""
    if sources is None:
        sources = list(campaign.audience.all()) if campaign is not None else []
    if topic_id is None and campaign is not None:
        topic_id = campaign.topic_id
    if creator is None and campaign is not None and campaign.created_by_id:
        creator = campaign.created_by
    notes: list[str] = []
    include, exclude = audience_qs(sources, creator=creator, notes=notes)
    rules = eligibility.rules_for(
        campaign_id=getattr(campaign, "pk", None), topic_id=topic_id or None, settings=settings
    )
    return Audience(include, exclude, rules, notes)


def audience_summary(campaign, *, sources=None, topic_id=None, creator=None, sample_size=SAMPLE_SIZE) -> Summary:
    """`Summary(total_in_audience, eligible, left_out, sample)` of the campaign's audience as it is now:
    one aggregate query (GROUP BY the reason) and one for the sample, whatever the audience's size."""
    audience = campaign_audience(campaign, sources=sources, topic_id=topic_id, creator=creator)
    with eligibility.without_jit():
        counts = dict(
            audience.people()
            .order_by()
            .values_list("left_out_reason")
            .annotate(people=Count("pk"))
            .values_list("left_out_reason", "people")
        )
        eligible = counts.pop(eligibility.ELIGIBLE, 0)
        left_out = {str(reason): counts[reason] for reason in eligibility.REASONS if counts.get(reason)}
        sample = []
        if eligible and sample_size:
            sample = list(
                audience.people(selected=False)
                .filter(left_out_reason=eligibility.ELIGIBLE)
                .select_related("company")
                .only(*SAMPLE_FIELDS)
                .order_by("pk")[:sample_size]
            )
    return Summary(eligible + sum(left_out.values()), eligible, left_out, sample, audience.notes)


def left_out_sample(campaign, reason: str, *, size: int = 5, creator=None) -> list:
    """A few people left out for `reason` (the Audience page shows them under each reason)."""
    audience = campaign_audience(campaign, creator=creator)
    with eligibility.without_jit():
        return list(
            audience.people(selected=False)
            .filter(left_out_reason=reason)
            .select_related("company")
            .only(*SAMPLE_FIELDS)
            .order_by("pk")[:size]
        )
