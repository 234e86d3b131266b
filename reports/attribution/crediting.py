"""The crediting rules: how one conversion's credit (1) and amount are shared over the touches before it.

Pure functions over positions and ages, no database: the marketer picks the model in the report, and the
property tests prove every model's shares sum to exactly 1 (and the amounts to exactly the amount).

The rules (docs/reports.md, "Attribution"):
- first touch: all of it to the first touch; last touch: all of it to the last one before the conversion.
- linear: an equal share to every touch.
- U-shaped (HubSpot's 40/40/20): 40% to the first touch, 40% to the lead creation touch, 20% shared equally
  by the other touches.
- W-shaped (Marketo Measure's 30/30/30/10): 30% each to the first touch, the lead creation touch and the
  opportunity creation touch, 10% shared equally by the other touches.
- time decay: each touch weighs 2^(-days before the conversion / half-life).

Position-based models, when touches are few or roles coincide: roles landing on the same touch add up
(first touch = lead creation touch gets 80% in U-shaped), a role with no touch (no opportunity yet, or no
touch before the person was created) and the "others" share when there are no other touches are left out,
and what remains is scaled back to 100%. So one touch gets everything, two distinct key touches 50/50, and
U-shaped with [first = lead creation, one later visit] gives 80/20.

Exactness: each touch's share is a whole-number weight over the weights' total; credit is cut into
millionths and amounts into cents by the largest remainder method (each touch gets the whole units of its
exact share, the units left go one each to the touches with the largest fractions left, ties to the
larger share, then the earlier touch), so a conversion's credit sums to exactly 1 and its amount to
exactly the amount, and no touch goes negative.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

FIRST_TOUCH = "first_touch"
LAST_TOUCH = "last_touch"
LINEAR = "linear"
U_SHAPED = "u_shaped"
W_SHAPED = "w_shaped"
TIME_DECAY = "time_decay"

MODELS = {
    U_SHAPED: "U-shaped (40/40/20)",
    W_SHAPED: "W-shaped (30/30/30/10)",
    FIRST_TOUCH: "First touch",
    LAST_TOUCH: "Last touch",
    LINEAR: "Linear",
    TIME_DECAY: "Time decay",
}
# What each model does, in a sentence (the report says it under the form).
MODEL_RULES = {
    U_SHAPED: "40% to the first touch, 40% to the lead creation touch, 20% shared by the other touches",
    W_SHAPED: "30% each to the first touch, the lead creation touch and the opportunity creation touch, "
    "10% shared by the other touches",
    FIRST_TOUCH: "all of it to the first touch",
    LAST_TOUCH: "all of it to the last touch before the conversion",
    LINEAR: "an equal share to every touch",
    TIME_DECAY: "each touch weighs 2^(-days before the conversion / half-life): recent touches weigh more",
}
DEFAULT_MODEL = U_SHAPED
DEFAULT_HALF_LIFE_DAYS = 7

CREDIT_PLACES = 6  # a conversion's credit is cut into millionths
CREDIT_UNIT = Decimal(1).scaleb(-CREDIT_PLACES)
CENT = Decimal("0.01")

# Position-based weights: (first touch, lead creation, opportunity creation, the others together).
_POSITION_WEIGHTS = {
    U_SHAPED: (40, 40, 0, 20),
    W_SHAPED: (30, 30, 30, 10),
}


def weights(
    model: str,
    count: int,
    *,
    lead_creation: int | None = None,
    opportunity_creation: int | None = None,
    ages_days: list[float] | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> list[int]:
    """Each of `count` touches' weight (in time order) as a whole number: its share is weight / total.

    Whole numbers keep the arithmetic exact and fast (no Fraction per touch: a quarter holds tens of
    thousands of conversions). `lead_creation` / `opportunity_creation`: the index of that touch, or None
    when it is not among these. `ages_days`: each touch's days before the conversion (time decay only)."""
    if count <= 0:
        return []
    if model == FIRST_TOUCH:
        return [1] + [0] * (count - 1)
    if model == LAST_TOUCH:
        return [0] * (count - 1) + [1]
    if model == LINEAR:
        return [1] * count
    if model in _POSITION_WEIGHTS:
        return _position_weights(_POSITION_WEIGHTS[model], count, lead_creation, opportunity_creation)
    if model == TIME_DECAY:
        if ages_days is None or len(ages_days) != count:
            raise ValueError("time decay needs each touch's age in days")
        return _decay_weights(ages_days, half_life_days)
    raise ValueError(f"unknown attribution model {model!r}")


def shares(model: str, count: int, **kwargs) -> list[Fraction]:
    """The exact share of each touch (Fractions summing to 1); the arguments are weights()'s."""
    found = weights(model, count, **kwargs)
    total = sum(found)
    return [Fraction(weight, total) for weight in found]


def _position_weights(role_weights, count, lead_creation, opportunity_creation) -> list[int]:
    first_weight, lead_weight, opportunity_weight, others_weight = role_weights
    key = {0}
    for index, weight in ((lead_creation, lead_weight), (opportunity_creation, opportunity_weight)):
        if index is not None and 0 <= index < count and weight:
            key.add(index)
    others = count - len(key)
    # Every role's weight times the number of other touches, so each other touch gets `others_weight`.
    scale = max(1, others)
    found = [0 if index in key else others_weight for index in range(count)]
    found[0] += first_weight * scale
    for index, weight in ((lead_creation, lead_weight), (opportunity_creation, opportunity_weight)):
        if index is not None and 0 <= index < count and weight:
            found[index] += weight * scale
    return found


_DECAY_SCALE = 2**52  # the newest touch's weight: float's precision, as a whole number


def _decay_weights(ages_days: list[float], half_life_days: float) -> list[int]:
    if not half_life_days or half_life_days <= 0:
        raise ValueError("the half-life must be a positive number of days")
    # Ages measured from the most recent touch: the newest weighs the most, so the weights never all
    # underflow to zero (a conversion whose touches are all years old still shares its credit).
    youngest = min(max(0.0, float(age)) for age in ages_days)
    return [round(_DECAY_SCALE * 2.0 ** (-(max(0.0, float(age)) - youngest) / half_life_days)) for age in ages_days]


def _split(units: int, found: list[int]) -> list[int]:
    """`units` cut along `found` weights, by the largest remainder; sums to exactly `units`."""
    total = sum(found)
    parts, remainders = [], []
    for weight in found:
        part, remainder = divmod(weight * units, total)
        parts.append(part)
        remainders.append(remainder)
    left = units - sum(parts)
    if left:
        order = sorted(range(len(found)), key=lambda index: (-remainders[index], -found[index], index))
        for index in order[:left]:
            parts[index] += 1
    return parts


def apportion(total: Decimal, exact_shares: list[Fraction], unit: Decimal) -> list[Decimal]:
    """`total` cut into whole `unit`s along `exact_shares` (summing to 1), summing to exactly `total`.

    Largest remainder: each gets the whole units of its exact part; the units left over go one each to
    the largest fractions left (ties: the larger share, then the earlier position)."""
    if not exact_shares:
        return []
    denominator = 1
    for share in exact_shares:
        denominator = denominator * share.denominator // math.gcd(denominator, share.denominator)
    return _apportion_weights(total, [int(share * denominator) for share in exact_shares], unit)


def _apportion_weights(total: Decimal, found: list[int], unit: Decimal) -> list[Decimal]:
    total = Decimal(total)
    sign = -1 if total < 0 else 1
    units = int((abs(total) / unit).to_integral_value())
    if Decimal(units) * unit != abs(total):
        raise ValueError(f"{total} is not a whole number of {unit}")
    return [Decimal(sign * part).scaleb(unit.as_tuple().exponent) for part in _split(units, found)]


def credit(
    model: str,
    count: int,
    *,
    amount: Decimal | None = None,
    lead_creation: int | None = None,
    opportunity_creation: int | None = None,
    ages_days: list[float] | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> tuple[list[Decimal], list[Decimal]]:
    """(credit, amount) per touch: credit in millionths summing to exactly 1, amount in cents summing to
    exactly `amount` (all zero when there is none)."""
    amount = Decimal(amount or 0).quantize(CENT)
    units, cents = credit_units(
        model,
        count,
        cents=int(amount.scaleb(2)),
        lead_creation=lead_creation,
        opportunity_creation=opportunity_creation,
        ages_days=ages_days,
        half_life_days=half_life_days,
    )
    return [Decimal(unit).scaleb(-CREDIT_PLACES) for unit in units], [Decimal(cent).scaleb(-2) for cent in cents]


def credit_units(
    model: str,
    count: int,
    *,
    cents: int = 0,
    lead_creation: int | None = None,
    opportunity_creation: int | None = None,
    ages_days: list[float] | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> tuple[list[int], list[int]]:
    """credit() in whole numbers: millionths of the conversion per touch (summing to 1,000,000) and cents
    of the amount (summing to `cents`). The credit rollup adds these up by the hundred thousand."""
    found = weights(
        model,
        count,
        lead_creation=lead_creation,
        opportunity_creation=opportunity_creation,
        ages_days=ages_days,
        half_life_days=half_life_days,
    )
    if not found:
        return [], []
    units = _split(10**CREDIT_PLACES, found)
    if not cents:
        return units, [0] * count
    sign = -1 if cents < 0 else 1
    return units, [sign * part for part in _split(abs(cents), found)]
