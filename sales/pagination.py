"""Keyset pagination for lists of a million rows.

Wagtail's paginator counts the whole filtered table on every page (COUNT(*)) and jumps with OFFSET,
which reads and throws away every row before the page: both grow with the table. Here a page starts
where the previous one ended: `?after=<cursor>` (or `?before=` going back) carries the last row's sort
value and primary key, and the query asks for the rows past that point in the index order. The pk is
the tie-breaker, so rows sharing a sort value (same grade, same second) are neither skipped nor shown
twice. The count is capped (`COUNT(*) FROM (... LIMIT 10001)`): "10,000+ people" costs 10,001 index
entries, not a million.

A cursor is signed (django.core.signing) and names its list, its ordering and a digest of the filters
it was made under; a cursor that was tampered with, belongs to another ordering, or to other filters is
ignored and the list starts at page 1.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.core import signing
from django.db.models import F, Q
from django.utils.functional import cached_property

# Query-string keys that move through a list without changing which rows are in it.
NAVIGATION_KEYS = {"p", "after", "before", "ordering", "_w_filter_fragment", "export"}
COUNT_CAP = 10_000
MAX_CURSOR_LENGTH = 1_000


@dataclass(frozen=True)
class SortKey:
    """A column a list can be sorted by: its `?ordering=` name and what the database orders on.

    The value must never be NULL (keyset comparisons skip NULLs), so only non-null columns and
    annotations that are non-null for every row of the list are sort keys.
    """

    name: str
    expression: object  # an expression or a field/annotation name
    kind: str = "str"  # "str" | "int" | "float" | "datetime": how the value travels in a cursor


@dataclass(frozen=True)
class Ordering:
    key: SortKey
    descending: bool

    ALIAS = "_keyset"

    @property
    def param(self) -> str:
        """As in the query string (and as Wagtail's column headers compare it): "-created_at", "name"."""
        return f"-{self.key.name}" if self.descending else self.key.name

    def apply(self, queryset, *, reverse=False):
        """The queryset annotated with the sort value and ordered by (value, pk), reversed for `before`."""
        expression = F(self.key.expression) if isinstance(self.key.expression, str) else self.key.expression
        descending = self.descending != reverse
        if self.ALIAS not in queryset.query.annotations:
            queryset = queryset.annotate(**{self.ALIAS: expression})
        if descending:
            return queryset.order_by(F(self.ALIAS).desc(), "-pk")
        return queryset.order_by(F(self.ALIAS).asc(), "pk")

    def beyond(self, queryset, value, pk, *, backwards=False):
        """The rows after (value, pk) in this order, or before it when `backwards`.

        Written as `value <= v AND (value < v OR (value = v AND pk < k))` (for a descending order): the
        first, redundant condition is the one an index on the sort column can start its scan from;
        the second only drops the ties already shown.
        """
        alias = self.ALIAS
        smaller = self.descending != backwards
        op, op_eq = ("lt", "lte") if smaller else ("gt", "gte")
        return queryset.filter(
            Q(**{f"{alias}__{op_eq}": value}),
            Q(**{f"{alias}__{op}": value}) | Q(**{alias: value, f"pk__{op}": pk}),
        )


def filters_digest(params) -> str:
    """A short fingerprint of the filters in a query string (navigation keys left out)."""
    pairs = (
        params.lists()
        if hasattr(params, "lists")
        else ((key, value if isinstance(value, list | tuple) else [value]) for key, value in params.items())
    )
    items = sorted((key, str(value)) for key, values in pairs if key not in NAVIGATION_KEYS for value in values)
    return hashlib.sha256(urlencode(items).encode()).hexdigest()[:12]


def _dump_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _load_value(value, kind):
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


class KeysetPaginator:
    """What Wagtail's listing templates ask of a paginator, without counting the whole table."""

    def __init__(self, queryset, *, verbose_name, verbose_name_plural, known_count=None):
        self._queryset = queryset
        self._known_count = known_count
        self.verbose_name = verbose_name
        self.verbose_name_plural = verbose_name_plural

    @cached_property
    def count(self) -> int:
        """The number of rows, counted up to COUNT_CAP + 1 (more than COUNT_CAP reads "10,000+")."""
        if self._known_count is not None:
            return self._known_count
        return self._queryset.order_by().values("pk")[: COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def items_count_label(self) -> str:
        if self.is_capped:
            return f"{COUNT_CAP:,}+ {self.verbose_name_plural}"
        noun = self.verbose_name if self.count == 1 else self.verbose_name_plural
        return f"{self.count:,} {noun}"

    def get_elided_page_range(self, *args, **kwargs):
        return []  # no page numbers: a page is a position in the index, not an offset


@dataclass
class KeysetPage:
    object_list: list
    paginator: KeysetPaginator
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""
    number = None

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


class Cursors:
    """Signs and reads the cursors of one list under one ordering and one set of filters."""

    def __init__(self, list_name: str, ordering: Ordering, params):
        self.salt = f"sales.listing.{list_name}"
        self.ordering = ordering
        self.digest = filters_digest(params)

    def make(self, row) -> str:
        value = getattr(row, Ordering.ALIAS)
        return signing.dumps(
            {"o": self.ordering.param, "f": self.digest, "v": _dump_value(value), "k": row.pk},
            salt=self.salt,
            compress=True,
        )

    def read(self, token) -> tuple | None:
        """(value, pk) from a cursor of this list, ordering and filters; None for anything else."""
        if not token or len(token) > MAX_CURSOR_LENGTH:
            return None
        try:
            data = signing.loads(token, salt=self.salt)
            if data["o"] != self.ordering.param or data["f"] != self.digest:
                return None
            return _load_value(data["v"], self.ordering.key.kind), int(data["k"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None


def keyset_paginate(queryset, ordering: Ordering, *, list_name: str, params, page_size: int) -> KeysetPage:
    """One page of `queryset` in `ordering`, starting after `params["after"]` or ending before
    `params["before"]`; a missing or unusable cursor gives the first page."""
    cursors = Cursors(list_name, ordering, params)
    after = cursors.read(params.get("after"))
    before = None if after else cursors.read(params.get("before"))
    meta = queryset.model._meta
    names = {"verbose_name": meta.verbose_name, "verbose_name_plural": meta.verbose_name_plural}

    rows, has_next, has_previous = [], False, False
    if after:
        rows = list(ordering.beyond(ordering.apply(queryset), *after)[: page_size + 1])
        has_next, has_previous, rows = len(rows) > page_size, True, rows[:page_size]
    elif before:
        rows = list(ordering.beyond(ordering.apply(queryset, reverse=True), *before, backwards=True)[: page_size + 1])
        has_previous, has_next, rows = len(rows) > page_size, True, rows[:page_size][::-1]
    if not rows or not has_previous:
        # The first page: no cursor, a cursor past the end (its rows were deleted), or going back
        # reached the start (then the first page is shown full, not the few rows before the cursor).
        rows = list(ordering.apply(queryset)[: page_size + 1])
        has_next, has_previous, rows = len(rows) > page_size, False, rows[:page_size]
    known_count = len(rows) if not has_next and not has_previous else None
    return KeysetPage(
        object_list=rows,
        paginator=KeysetPaginator(queryset, known_count=known_count, **names),
        has_next=has_next,
        has_previous=has_previous,
        next_cursor=cursors.make(rows[-1]) if has_next else "",
        previous_cursor=cursors.make(rows[0]) if has_previous else "",
    )
