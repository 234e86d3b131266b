"""Attribution for a period: every conversion's credit shared over its touches by the chosen model, summed
per channel, per campaign, per content item and per event.

Each table sums to the period's conversions: a conversion with no touch before it goes to
"(no touch recorded)", and a touch without a campaign (content, event) to "(no campaign)" and the like, so
nothing is dropped and the totals of the four tables agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from .conversions import AMOUNTS, conversions_in
from .crediting import DEFAULT_HALF_LIFE_DAYS, TIME_DECAY, credit
from .touches import Touch, touches_of

DIMENSIONS = {"channel": "Channel", "campaign": "Campaign", "content": "Content item", "event": "Event"}
NO_TOUCH = ("(no touch)", "(no touch recorded)")
NOT_THIS = {
    "campaign": ("(none)", "(no campaign)"),
    "content": ("(none)", "(not a form or download)"),
    "event": ("(none)", "(not an event)"),
}
PERSON_BATCH = 2000  # people whose touches are read in one go
_TICK = timedelta(microseconds=1)  # touches_of reads before a moment; a conversion counts touches at it


@dataclass
class CreditRow:
    key: str
    label: str
    credit: dict = field(default_factory=lambda: defaultdict(Decimal))  # conversion kind -> credited conversions
    amount: dict = field(default_factory=lambda: defaultdict(Decimal))  # conversion kind -> credited amount

    @property
    def is_placeholder(self) -> bool:
        return self.key.startswith("(")


@dataclass
class Attribution:
    model: str
    half_life_days: float
    conversions: dict = field(default_factory=lambda: defaultdict(int))  # kind -> how many
    amounts: dict = field(default_factory=lambda: defaultdict(Decimal))  # kind -> their amount
    rows: dict = field(default_factory=lambda: {name: {} for name in DIMENSIONS})  # dimension -> key -> CreditRow

    def add(self, dimension: str, key_label, kind: str, share: Decimal, amount: Decimal) -> None:
        key, label = key_label
        row = self.rows[dimension].get(key)
        if row is None:
            row = self.rows[dimension][key] = CreditRow(key, label)
        row.credit[kind] += share
        if kind in AMOUNTS:
            row.amount[kind] += amount

    def table_rows(self, dimension: str, focus: str | None = None) -> list[CreditRow]:
        """The dimension's rows, most credited first (by `focus`, then by every conversion), placeholders last."""

        def weight(row):
            return (row.is_placeholder, -row.credit.get(focus, 0) if focus else 0, -sum(row.credit.values()), row.label)

        return sorted(self.rows[dimension].values(), key=weight)


def touch_key(touch: Touch, dimension: str):
    if dimension == "channel":
        return (touch.channel, touch.channel)
    return getattr(touch, dimension) or NOT_THIS[dimension]


def _last_at_or_before(moments: list, moment) -> int | None:
    index = bisect_right(moments, moment) - 1
    return index if index >= 0 else None


def attribution(journeys, period, *, model: str, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> Attribution:
    """Attribution of the conversions in `period` of the people in `journeys` (scoped and filtered)."""
    result = Attribution(model, half_life_days)
    by_person = defaultdict(list)
    for conversion in conversions_in(journeys, period):
        by_person[conversion.person_id].append(conversion)
    people = sorted(by_person)
    for first in range(0, len(people), PERSON_BATCH):
        batch = people[first : first + PERSON_BATCH]
        until = max(conversion.at for person_id in batch for conversion in by_person[person_id])
        touches = touches_of(batch, until=until + _TICK)
        for person_id in batch:
            path = touches.get(person_id, [])
            moments = [touch.at for touch in path]
            for conversion in by_person[person_id]:
                _credit_one(result, conversion, path[: bisect_right(moments, conversion.at)], moments)
    return result


def _credit_one(result: Attribution, conversion, path: list[Touch], moments: list) -> None:
    kind = conversion.kind
    amount = Decimal(conversion.amount or 0)
    result.conversions[kind] += 1
    result.amounts[kind] += amount
    for touch_key, share, part in credited_keys(conversion, path, moments, result.model, result.half_life_days):
        result.add(touch_key[0], touch_key[1:], kind, share, part)


def roles(conversion, moments: list, count: int, model: str) -> dict:
    """The crediting arguments of one conversion over its first `count` touches (their `moments`): the
    lead creation and opportunity creation touches, and each touch's age for time decay."""
    opportunity_creation = None
    if conversion.opportunity_at is not None and conversion.opportunity_at <= conversion.at:
        opportunity_creation = _last_at_or_before(moments[:count], conversion.opportunity_at)
    return {
        "lead_creation": _last_at_or_before(moments[:count], conversion.created_at),
        "opportunity_creation": opportunity_creation,
        "ages_days": (
            [(conversion.at - moment).total_seconds() / 86400 for moment in moments[:count]]
            if model == TIME_DECAY
            else None
        ),
    }


def credited_keys(conversion, path: list[Touch], moments: list, model: str, half_life_days: float):
    """Yield ((dimension, key, label), credit, amount part) for one conversion over `path` (its touches
    up to its moment, in time order) by `model`."""
    amount = Decimal(conversion.amount or 0)
    if not path:
        for dimension in DIMENSIONS:
            yield (dimension, *NO_TOUCH), Decimal(1), amount
        return
    count = len(path)
    credits, amounts = credit(
        model, count, amount=amount, half_life_days=half_life_days, **roles(conversion, moments, count, model)
    )
    for touch, share, part in zip(path, credits, amounts, strict=True):
        if not share and not part:
            continue
        for dimension in DIMENSIONS:
            yield (dimension, *touch_key(touch, dimension)), share, part
