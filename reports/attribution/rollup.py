"""Attribution kept as a rollup: each conversion's credit, per touch key, day and owner, summed ahead.

Crediting a quarter's conversions from their touches takes about a minute at a million people (two
hundred thousand conversions, each path read and shared in Python); the report must answer in under
a second. So the people sweep (reports.rollups) credits a changed person's conversions once, by every
kept model (reports.models.KEPT_ATTRIBUTION), and adds the result to AttributionCredit: a quarter is
then a sum over a few hundred thousand small rows.

Incremental and exact:
- what a person's conversions added is kept beside them, as rows (PersonCredit, person_credit.py);
  computing the person again takes those away and adds the new credit, in whole millionths and cents,
  so the sums stay exact however often a person changes. A person merged away or erased has theirs
  taken away.
- the person's AttributionPath row is locked while this runs, so two workers computing the same person
  one after the other subtract what the first one added, never the same thing twice;
- the rollup is keyed by owner only (a team is its reps' owner ids). A report narrowed by other journey
  filters (industry, country, channel of the first lead...) sums the filtered people's rows in the
  period instead (from_paths), in SQL, without crediting their touches again. Every report is credited
  from the touches (selectors.attribution) until `manage.py reports_rebuild` has computed everybody once
  (the "attribution" watermark); so is a half-life that is not kept, which the report does not offer
  (only the kept ones answer in under a second).

Both paths share the crediting code (selectors.credited_keys), and the tests hold them to agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from leads.models import Deal, SalesRep
from reports.models import (
    KEPT_ATTRIBUTION,
    AttributionCredit,
    AttributionPath,
    DailyVisitor,
    PersonCredit,
    PersonJourney,
    RollupWatermark,
)
from sales.access import scope_for

from ..access import journeys_for
from ..rollups.visitors import day_of, site_zone
from .conversions import AMOUNTS, MQL, NEW_PERSON, OPPORTUNITY, SQL, WON, Conversion, close_moment
from .crediting import CENT, CREDIT_PLACES, TIME_DECAY, credit_units
from .person_credit import (
    AMOUNT_COLUMNS,
    CREDIT_COLUMNS,
    credit_of,
    credit_order_by_day,
    credit_replace,
    credit_summed,
    insert_rows,
)
from .selectors import (
    _TICK,
    DIMENSIONS,
    NO_TOUCH,
    PERSON_BATCH,
    Attribution,
    CreditRow,
    attribution,
    roles,
    touch_key,
)
from .touches import touches_of

WATERMARK = "attribution"
KEPT = list(KEPT_ATTRIBUTION)  # (model, half-life) in column order
MILLIONTHS = 10**CREDIT_PLACES


def kept_prefix(model: str, half_life_days) -> str | None:
    """The rollup's column prefix of this model (and half-life, for time decay), or None if not kept."""
    return KEPT_ATTRIBUTION.get((model, int(half_life_days) if model == TIME_DECAY else None))


def rollup_ready() -> bool:
    return RollupWatermark.objects.filter(name=WATERMARK, checked_at__isnull=False).exists()


# -- computing a person's credit ------------------------------------------------------------------------


def _conversions_of(person_ids) -> tuple[dict[int, list[Conversion]], dict[int, int]]:
    """Every conversion of these people (all time), and each one's owner; test and competitor people
    have none. The same moments as conversions.conversions_in, without the period."""
    found, owners, journeys = defaultdict(list), {}, {}
    rows = PersonJourney.objects.filter(person_id__in=person_ids, is_excluded=False).values_list(
        "person_id", "created_at", "mql_at", "sql_at", "opportunity_at", "pipeline_amount", "owner_id"
    )
    for person_id, created_at, mql_at, sql_at, opportunity_at, pipeline, owner_id in rows:
        owners[person_id] = owner_id or 0
        journeys[person_id] = (created_at, opportunity_at)
        for kind, at in ((NEW_PERSON, created_at), (MQL, mql_at), (SQL, sql_at), (OPPORTUNITY, opportunity_at)):
            if at is not None:
                amount = pipeline if kind == OPPORTUNITY else None
                found[person_id].append(Conversion(person_id, kind, at, created_at, opportunity_at, amount))
    deals = Deal.objects.filter(
        status=Deal.Status.WON, close_date__isnull=False, person_id__in=list(journeys)
    ).values_list("person_id", "close_date", "amount_report")
    for person_id, close_date, amount in deals:
        created_at, opportunity_at = journeys[person_id]
        found[person_id].append(
            Conversion(person_id, WON, close_moment(close_date), created_at, opportunity_at, amount)
        )
    return found, owners


def _contributions(conversions: list[Conversion], path: list, owner: int, zone) -> dict[tuple, list]:
    """{(day, kind, dimension, key, owner): [label, [credit per kept model], [cents per kept model]]}, by
    the same rules as the live report (selectors.credited_keys), in whole millionths and cents."""
    out: dict[tuple, list] = {}
    moments = [touch.at for touch in path]
    touch_keys = [[(dimension, *touch_key(touch, dimension)) for dimension in DIMENSIONS] for touch in path]
    width = len(KEPT)
    for conversion in conversions:
        count = bisect_right(moments, conversion.at)
        day = day_of(conversion.at, zone).isoformat()
        kind = conversion.kind
        cents = int(Decimal(conversion.amount or 0).quantize(CENT).scaleb(2)) if kind in AMOUNTS else 0

        def add(keys, column, units, part, kind=kind, day=day):
            for dimension, key, label in keys:
                entry = out.get((day, kind, dimension, key, owner))
                if entry is None:
                    entry = out[(day, kind, dimension, key, owner)] = [label, [0] * width, [0] * width]
                entry[1][column] += units
                entry[2][column] += part

        if not count:
            for column in range(width):
                add([(dimension, *NO_TOUCH) for dimension in DIMENSIONS], column, MILLIONTHS, cents)
            continue
        found = {model: roles(conversion, moments, count, model) for model in {model for model, _ in KEPT}}
        for column, (model, half_life) in enumerate(KEPT):
            units, parts = credit_units(model, count, cents=cents, half_life_days=half_life or 1, **found[model])
            for index in range(count):
                if units[index] or parts[index]:
                    add(touch_keys[index], column, units[index], parts[index])
    return out


def attribution_refresh(person_ids: Iterable[int]) -> int:
    """Compute these people's credit again and move the rollup by the difference (inside the caller's
    transaction: the people sweep's round). People who no longer exist have theirs taken away.
    Returns how many rollup rows moved."""
    ids = sorted({int(pk) for pk in person_ids})
    moved = 0
    for first in range(0, len(ids), PERSON_BATCH):
        moved += _refresh_batch(ids[first : first + PERSON_BATCH])
    return moved


def _numbers(contributions: dict[tuple, list]) -> dict[tuple, tuple]:
    return {key: (credits, amounts) for key, (_label, credits, amounts) in contributions.items()}


def _refresh_batch(ids: list[int]) -> int:
    zone = site_zone()
    with transaction.atomic():
        # A row for everybody first, then all locked: a second worker on the same people waits here and
        # then subtracts what this one added.
        AttributionPath.objects.bulk_create([AttributionPath(person_id=pk) for pk in ids], ignore_conflicts=True)
        list(AttributionPath.objects.select_for_update().filter(person_id__in=ids).order_by("person_id"))
        previous = credit_of(ids)  # read once locked: what another worker added just before is in it
        conversions, owners = _conversions_of(ids)
        until = max((c.at for found in conversions.values() for c in found), default=None)
        touches = touches_of(list(conversions), until=until + _TICK) if until else {}
        delta: dict[tuple, list] = {}
        changed = {}
        for person_id in ids:
            new = _contributions(
                conversions.get(person_id, []), touches.get(person_id, []), owners.get(person_id, 0), zone
            )
            old = previous.get(person_id, {})
            if _numbers(new) == _numbers(old):
                continue
            _add(delta, old, sign=-1)
            _add(delta, new, sign=1)
            changed[person_id] = new
        credit_replace(changed)
        AttributionPath.objects.filter(person_id__in=list(changed)).update(refreshed_at=timezone.now())
        # Erased, merged away, or now a test person: what they added is taken away above.
        AttributionPath.objects.filter(person_id__in=[pk for pk in ids if pk not in owners]).delete()
        return _apply(delta)


def _add(delta: dict, contributions: dict, *, sign: int) -> None:
    for key, (label, credits, amounts) in contributions.items():
        entry = delta.get(key)
        if entry is None:
            entry = delta[key] = ["", [0] * len(KEPT), [0] * len(KEPT)]
        if sign > 0:
            entry[0] = label
        for column in range(len(KEPT)):
            entry[1][column] += sign * credits[column]
            entry[2][column] += sign * amounts[column]


def _apply(delta: dict) -> int:
    """Add each row's difference to AttributionCredit (insert or add), keys in order so two workers
    never wait on each other in a circle."""
    rows = [
        (date.fromisoformat(key[0]), *key[1:4], label, key[4], *credits, *amounts)
        for key, (label, credits, amounts) in sorted(delta.items())
        if any(credits) or any(amounts)
    ]
    if not rows:
        return 0
    table = AttributionCredit._meta.db_table
    numbers = [*CREDIT_COLUMNS, *AMOUNT_COLUMNS]
    columns = ["day", "kind", "dimension", "key", "label", "owner_id", *numbers]
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in numbers)
    upsert = (
        f"ON CONFLICT (day, kind, dimension, key, owner_id) DO UPDATE SET "
        f"label = CASE WHEN excluded.label = '' THEN {table}.label ELSE excluded.label END, {added}"
    )
    types = ["date", "varchar", "varchar", "varchar", "varchar", "bigint", *["bigint"] * len(numbers)]
    with connection.cursor() as cursor:
        insert_rows(cursor, table, columns, types, rows, upsert)
    return len(rows)


VISIT_TOUCH = ["person_id", "first_at", "channel", "campaign"]  # what a visit's touch reads (touches.py)


def _visits(keys, *, late: bool = False):
    """The known (visitor id, day) rows among `keys`: {key: (person id, first_at, channel, campaign)}, with
    `late` followed by whether that visit comes at or before a conversion of its person's."""
    keys = set(keys)
    if not keys:
        return {}
    rows = DailyVisitor.objects.filter(
        visitor_id__in={visitor_id for visitor_id, _ in keys}, day__in={day for _, day in keys}, person_id__isnull=False
    )
    fields = ["visitor_id", "day", *VISIT_TOUCH]
    if late:
        first_at = OuterRef("first_at")
        converted_since = PersonJourney.objects.filter(person_id=OuterRef("person_id"), is_excluded=False).filter(
            Q(created_at__gte=first_at)
            | Q(mql_at__gte=first_at)
            | Q(sql_at__gte=first_at)
            | Q(opportunity_at__gte=first_at)
            | Q(person__deals__status=Deal.Status.WON, person__deals__close_date__gte=OuterRef("day"))
        )
        rows, fields = rows.annotate(late=Exists(converted_since)), [*fields, "late"]
    found = rows.values_list(*fields)
    return {(visitor_id, day): tuple(rest) for visitor_id, day, *rest in found if (visitor_id, day) in keys}


def visit_people(keys) -> dict:
    """Each of these visitor-days' touch, before they are computed again (visits_moved)."""
    return _visits(keys)


def visits_moved(keys, before: dict) -> set[int]:
    """After the visitor-days `keys` were computed again: the people whose visit touches changed in a
    way that moves credit. A visit whose touch is new or changed (its person, time, channel or campaign)
    and comes at or before one of its person's conversions (a late page view, a browser identified)
    moves theirs; a visit that left a person (its day now someone else's, or gone) moves the one it
    left. Nothing else would tell the sweep. (On PostgreSQL, visitor_days_refresh answers this in its
    own statement.)"""
    after = _visits(keys, late=True)
    moved = {touch[0] for key, (*touch, late) in after.items() if late and tuple(touch) != before.get(key)}
    moved |= {touch[0] for key, touch in before.items() if after.get(key, (None,))[0] != touch[0]}
    return moved


# -- rebuilding it -----------------------------------------------------------------------------------


def attribution_rebuild(progress: Callable[[str], None] | None = None) -> int:
    """Everybody's credit from scratch: both tables emptied, then every person with a journey computed
    in batches (each committed on its own; an interrupted rebuild is run again). The watermark that lets
    the report read the rollup is set at the end."""
    started = timezone.now()
    RollupWatermark.objects.filter(name=WATERMARK).delete()
    with transaction.atomic():
        if connection.vendor == "postgresql":  # tens of millions of rows at a million people
            tables = (AttributionCredit, AttributionPath, PersonCredit)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(model._meta.db_table for model in tables)}")
        else:
            AttributionCredit.objects.all().delete()
            AttributionPath.objects.all().delete()
            PersonCredit.objects.all().delete()
    people = PersonJourney.objects.filter(is_excluded=False).order_by("person_id")
    total, done, last = people.count(), 0, 0
    while True:
        ids = list(people.filter(person_id__gt=last).values_list("person_id", flat=True)[:PERSON_BATCH])
        if not ids:
            break
        attribution_refresh(ids)
        done, last = done + len(ids), ids[-1]
        if progress:
            progress(f"attribution: {done:,} of {total:,} people")
    if credit_order_by_day() and progress:
        progress("attribution: the people's credit rows ordered by day")
    RollupWatermark.objects.update_or_create(name=WATERMARK, defaults={"pending": False, "checked_at": started})
    return done


# -- reading it --------------------------------------------------------------------------------------


# The journey filters the rollup answers itself: a conversion's row carries its person's owner.
OWNER_FILTERS = frozenset({"owner", "team"})


def _owner_filters_q(filters) -> Q:
    """The owner and team filters as a condition on the rollup's owner: a journey's team is its owner's
    sales team (reports.rollups.journeys), so a team is the owners whose rep is in it."""
    condition = Q()
    values = filters.values if filters else {}
    if "owner" in values:
        condition &= Q(owner_id=values["owner"])
    if "team" in values:
        condition &= Q(owner_id__in=SalesRep.objects.filter(team=values["team"]).values("user_id"))
    return condition


def from_rollup(user, period, *, model: str, half_life_days, filters=None) -> Attribution | None:
    """The period's attribution for `user` summed from the rollup, or None when the rollup cannot
    answer (a model or half-life not kept, a journey filter other than owner and team, or the rollup
    never built)."""
    prefix = kept_prefix(model, half_life_days)
    if prefix is None or (filters and not set(filters.values) <= OWNER_FILTERS) or not rollup_ready():
        return None
    rows = AttributionCredit.objects.filter(_owner_filters_q(filters), day__gte=period.start, day__lte=period.end)
    condition = scope_for(user).owner_q()
    if condition is not None:
        rows = rows.filter(condition)
    summed = (
        rows.order_by()
        .values("dimension", "key", "kind")
        .annotate(label=Max("label"), credit=Sum(f"{prefix}_credit"), amount=Sum(f"{prefix}_amount"))
        .filter(~Q(credit=0) | ~Q(amount=0))
    )
    return _attribution_of(
        ((row["dimension"], row["key"], row["kind"], row["label"], row["credit"], row["amount"]) for row in summed),
        model,
        half_life_days,
    )


def _attribution_of(sums, model: str, half_life_days) -> Attribution:
    """An Attribution from (dimension, key, kind, label, credit in millionths, amount in cents) sums."""
    result = Attribution(model, half_life_days)
    for dimension, key, kind, label, credit, amount in sums:
        table = result.rows.get(dimension)
        if table is None or not (credit or amount):
            continue
        credit_row = table.get(key)
        if credit_row is None:
            credit_row = table[key] = CreditRow(key, label)
        credit_row.credit[kind] += Decimal(credit).scaleb(-CREDIT_PLACES)
        if kind in AMOUNTS:
            credit_row.amount[kind] += Decimal(amount).scaleb(-2)
        if dimension == "channel":
            # Each conversion's credit is exactly one in every dimension: the channel column counts them.
            result.conversions[kind] += credit
            result.amounts[kind] += Decimal(amount).scaleb(-2)
    for kind in list(result.conversions):
        result.conversions[kind] //= MILLIONTHS
    return result


def from_paths(user, period, filters, *, model: str, half_life_days) -> Attribution | None:
    """A report narrowed by any journey filters, for a kept model: the filtered people's credit rows
    (PersonCredit) in the period, summed in SQL, instead of crediting their touches again. The same
    numbers: the rollup is the sum of those rows. None when the model is not kept or the rollup was never
    built."""
    prefix = kept_prefix(model, half_life_days)
    if prefix is None or not rollup_ready():
        return None
    people = journeys_for(user).filter(filters.q() if filters else Q()).values("person_id")
    return _attribution_of(credit_summed(people, period, prefix), model, half_life_days)


def attribution_for(user, period, filters, *, model: str, half_life_days) -> tuple[Attribution, bool]:
    """The report's attribution and whether it came from the rollup (no journey filter but owner and
    team, a kept model, the rollup built) or was credited from the touches."""
    found = from_rollup(user, period, model=model, half_life_days=half_life_days, filters=filters)
    if found is None and filters:
        found = from_paths(user, period, filters, model=model, half_life_days=half_life_days)
    if found is not None:
        return found, True
    journeys = journeys_for(user).filter(filters.q())
    return attribution(journeys, period, model=model, half_life_days=half_life_days), False
