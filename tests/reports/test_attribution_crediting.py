"""The crediting rules alone: every model's shares sum to exactly 1 and every amount to exactly itself,
for 1 to 50 touches, equal times included; and the shares each model gives on small paths, by hand."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.attribution import crediting
from reports.attribution.crediting import (
    CENT,
    CREDIT_UNIT,
    FIRST_TOUCH,
    LAST_TOUCH,
    LINEAR,
    MODELS,
    TIME_DECAY,
    U_SHAPED,
    W_SHAPED,
    apportion,
    credit,
    shares,
)


@st.composite
def paths(draw):
    count = draw(st.integers(min_value=1, max_value=50))
    # Ages: many equal (same moment), some years old, some zero.
    ages = draw(
        st.lists(
            st.one_of(st.just(0.0), st.just(3.5), st.floats(min_value=0, max_value=5000, allow_nan=False)),
            min_size=count,
            max_size=count,
        )
    )
    ages.sort(reverse=True)  # in time order: oldest first
    lead = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count - 1)))
    opportunity = draw(st.one_of(st.none(), st.integers(min_value=lead or 0, max_value=count - 1)))
    amount = draw(
        st.one_of(
            st.none(),
            st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2, allow_nan=False),
            st.just(Decimal("0.01")),
            st.just(Decimal("50000")),
        )
    )
    half_life = draw(st.integers(min_value=1, max_value=365))
    return count, ages, lead, opportunity, amount, half_life


@settings(max_examples=300, deadline=None)
@given(path=paths(), model=st.sampled_from(sorted(MODELS)))
def test_every_model_shares_exactly_one_and_exactly_the_amount(path, model):
    count, ages, lead, opportunity, amount, half_life = path
    exact = shares(
        model, count, lead_creation=lead, opportunity_creation=opportunity, ages_days=ages, half_life_days=half_life
    )
    assert sum(exact) == 1 and all(share >= 0 for share in exact)

    credits, amounts = credit(
        model,
        count,
        amount=amount,
        lead_creation=lead,
        opportunity_creation=opportunity,
        ages_days=ages,
        half_life_days=half_life,
    )
    assert len(credits) == len(amounts) == count
    assert sum(credits) == Decimal(1)
    assert sum(amounts) == (amount or Decimal(0))
    assert all(part >= 0 for part in credits) and all(part >= 0 for part in amounts)
    # Each touch's credit is its exact share cut to a millionth: off by less than one unit.
    assert all(abs(Fraction(part) - share) < Fraction(CREDIT_UNIT) for part, share in zip(credits, exact, strict=True))
    if amount:
        assert all(
            abs(Fraction(part) - share * Fraction(amount)) < Fraction(CENT)
            for part, share in zip(amounts, exact, strict=True)
        )


@settings(max_examples=100, deadline=None)
@given(path=paths(), model=st.sampled_from(sorted(MODELS)))
def test_the_same_path_always_gives_the_same_split(path, model):
    count, ages, lead, opportunity, amount, half_life = path
    kwargs = {"amount": amount, "lead_creation": lead, "opportunity_creation": opportunity, "ages_days": ages}
    assert credit(model, count, half_life_days=half_life, **kwargs) == credit(
        model, count, half_life_days=half_life, **kwargs
    )


def test_small_paths_by_hand():
    def split(model, count, **kwargs):
        return [str(part) for part in credit(model, count, **kwargs)[0]]

    # One touch takes everything, whatever the model.
    for model in MODELS:
        assert split(model, 1, lead_creation=0, ages_days=[2.0]) == ["1.000000"]
    # Two touches: first touch and lead creation 50/50 in U-shaped.
    assert split(U_SHAPED, 2, lead_creation=1) == ["0.500000", "0.500000"]
    # U-shaped where the first touch created the lead: 80% to it, 20% to the later visit.
    assert split(U_SHAPED, 2, lead_creation=0) == ["0.800000", "0.200000"]
    # No touch before the person was created (imported): the first touch 40, the others share 20 -> 2/3, 1/6, 1/6.
    assert split(U_SHAPED, 3, lead_creation=None) == ["0.666667", "0.166667", "0.166666"]
    # W-shaped before any opportunity: 30/30 and 10 shared, scaled to 100 -> 3/7, 1/7, 3/7.
    assert split(W_SHAPED, 3, lead_creation=2) == ["0.428572", "0.142857", "0.428571"]
    # Linear thirds: the odd millionth goes to the earliest of the equal remainders.
    assert split(LINEAR, 3) == ["0.333334", "0.333333", "0.333333"]
    assert split(FIRST_TOUCH, 3) == ["1.000000", "0.000000", "0.000000"]
    assert split(LAST_TOUCH, 3) == ["0.000000", "0.000000", "1.000000"]
    # Time decay: a touch one half-life older weighs half as much: 1/3 and 2/3.
    assert split(TIME_DECAY, 2, ages_days=[7.0, 0.0], half_life_days=7) == ["0.333333", "0.666667"]
    # Ages so old that 2^(-age) underflows still share (weights are taken from the newest touch).
    assert split(TIME_DECAY, 2, ages_days=[100_000.0, 100_000.0], half_life_days=1) == ["0.500000", "0.500000"]


def test_amounts_are_cut_into_cents_exactly():
    assert apportion(Decimal("100.00"), [Fraction(1, 3)] * 3, CENT) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert apportion(Decimal("0.01"), [Fraction(1, 3)] * 3, CENT) == [Decimal("0.01"), Decimal(0), Decimal(0)]
    # A refund (negative amount) is shared the same way, every part negative.
    assert sum(apportion(Decimal("-10.00"), [Fraction(1, 3)] * 3, CENT)) == Decimal("-10.00")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: shares("full_path", 2), "unknown attribution model"),
        (lambda: shares(TIME_DECAY, 2, ages_days=[1.0]), "age"),
        (lambda: shares(TIME_DECAY, 1, ages_days=[1.0], half_life_days=0), "half-life"),
        (lambda: apportion(Decimal("1.005"), [Fraction(1)], CENT), "whole number"),
    ],
)
def test_wrong_calls_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_no_touches_no_shares():
    assert crediting.shares(LINEAR, 0) == [] and crediting.apportion(Decimal(1), [], CREDIT_UNIT) == []
