"""Each person's attribution credit as rows (reports.PersonCredit): what the sweep takes away from the
credit rollup before it adds a person's new credit, and what a report narrowed by journey filters sums.

A row is (person, day, conversion kind, dimension, touch key) with the person's owner and, per kept
model, the credit in millionths and the amount in cents; zero is stored as NULL. The rollup
(AttributionCredit) is the sum of these rows per (day, kind, dimension, key, owner), which the tests and
the bench hold it to.

Why rows and not one JSON list per person (as until 2026-12-08): a report filtered by industry, country or
how they came summed the filtered people's lists in Python, 11-23 s for a quarter at a million people
with the widest filter, mostly reading and decoding JSON. As rows, PostgreSQL sums the period's rows of
the filtered people itself.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.db.models import Max, Q, Sum

from reports.models import KEPT_ATTRIBUTION, AttributionCredit, PersonCredit

PREFIXES = list(KEPT_ATTRIBUTION.values())
CREDIT_COLUMNS = [f"{prefix}_credit" for prefix in PREFIXES]
AMOUNT_COLUMNS = [f"{prefix}_amount" for prefix in PREFIXES]
KEY_COLUMNS = ["person_id", "day", "kind", "dimension", "key", "owner_id"]
KEY_TYPES = ["bigint", "date", "varchar", "varchar", "varchar", "bigint"]


def credit_of(person_ids) -> dict[int, dict[tuple, list]]:
    """The rows kept for these people, in the form the sweep computes a person's credit in:
    {person: {(day, kind, dimension, key, owner): ["", [credit per kept model], [cents per kept model]]}},
    the day as ISO text and NULL as 0 (a model added later has NULL in the rows computed before it)."""
    found: dict[int, dict[tuple, list]] = defaultdict(dict)
    width = len(PREFIXES)
    rows = PersonCredit.objects.filter(person_id__in=list(person_ids)).values_list(
        *KEY_COLUMNS, *CREDIT_COLUMNS, *AMOUNT_COLUMNS
    )
    for person_id, day, kind, dimension, key, owner, *numbers in rows:
        found[person_id][(day.isoformat(), kind, dimension, key, owner)] = [
            "",
            [number or 0 for number in numbers[:width]],
            [number or 0 for number in numbers[width:]],
        ]
    return found


def insert_rows(cursor, table: str, columns: list[str], types: list[str], rows: list[tuple], suffix: str = ""):
    """Insert `rows` (one tuple per row, in `columns` order) with `suffix` (an ON CONFLICT clause). On
    PostgreSQL one statement, the rows as one array per column of `types`: tens of thousands of rows per
    batch in a rebuild, where a statement per row would take most of the time."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {suffix}",
            [list(values) for values in zip(*rows, strict=True)],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) {suffix}", rows
        )


def credit_replace(new: dict[int, dict[tuple, list]]) -> None:
    """These people's rows become `new` ({person: contributions}, as credit_of gives them; a person with
    none has their rows deleted). In the caller's transaction, with the people locked."""
    if not new:
        return
    table = PersonCredit._meta.db_table
    rows = [
        (
            person_id,
            day,
            kind,
            dimension,
            key,
            owner,
            *(units or None for units in credits),
            *(cents or None for cents in amounts),
        )
        for person_id, contributions in new.items()
        for (day, kind, dimension, key, owner), (_label, credits, amounts) in contributions.items()
    ]
    columns = [*KEY_COLUMNS, *CREDIT_COLUMNS, *AMOUNT_COLUMNS]
    types = [*KEY_TYPES, *["bigint"] * (len(columns) - len(KEY_TYPES))]
    PersonCredit.objects.filter(person_id__in=list(new)).delete()  # one DELETE: nothing cascades from it
    with connection.cursor() as cursor:
        insert_rows(cursor, table, columns, types, rows)


def credit_summed(people, period, prefix: str):
    """(dimension, key, kind, label, credit in millionths, amount in cents) of the rows of `people` (a
    PersonJourney values("person_id") query: scoped and filtered) in `period`, by the model of `prefix`.
    A row's day is its conversion's, so the people who converted in the period are the ones found."""
    summed = (
        PersonCredit.objects.filter(person_id__in=people, day__gte=period.start, day__lte=period.end)
        .order_by()
        .values_list("dimension", "key", "kind")
        .annotate(credit=Sum(f"{prefix}_credit"), amount=Sum(f"{prefix}_amount"))
        .filter(Q(credit__isnull=False) | Q(amount__isnull=False))
    )
    found = [(dimension, key, kind, credit or 0, amount or 0) for dimension, key, kind, credit, amount in summed]
    # The label of each key, as the rollup gives it for the period (rows are keyed by the key alone).
    labels = {
        (dimension, key): label
        for dimension, key, label in AttributionCredit.objects.filter(day__gte=period.start, day__lte=period.end)
        .order_by()
        .values_list("dimension", "key")
        .annotate(label=Max("label"))
    }
    return [
        (dimension, key, kind, labels.get((dimension, key), key), credit, amount)
        for dimension, key, kind, credit, amount in found
    ]


def credit_order_by_day() -> bool:
    """Write the rows again in day order (PostgreSQL's CLUSTER on the day index), so that a period's rows
    sit together: a filtered quarter at a million people then reads 1/8 of the table by the index
    (0.33-1.01 s, docs/reports.md) instead of all of it (0.75-1.33 s). The rebuild writes people in id
    order, each with all their days, and the sweep writes the people it computes again wherever there is
    room; so the rebuild ends with this, and `manage.py reports_order_credit` runs it now and then. It
    holds the table alone while it runs (about 35 s at a million people): the sweep's credit and filtered
    reports wait. False on SQLite."""
    if connection.vendor != "postgresql":
        return False
    table = PersonCredit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CLUSTER {table} USING reports_personcredit_day")
        cursor.execute(f"ANALYZE {table}")
    return True
