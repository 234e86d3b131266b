"""What a saved filter keeps: the list's query string, cleaned, and the link that applies it.

What is kept is the list's filters as a query string, cleaned: only the list's own filter parameters
(and `ordering`), no paging or fragment noise, blanks dropped, keys in a stable order. Relative
choices stay relative (`period=this_week`, `owner=me`): applying a saved filter is following a link
to the list with that query string, so "this week" is this week whenever it is used and "me" is the
person applying it, not the one who saved it. (The bar, forms and screens are in sales.saved_filters.)
"""

from functools import cache
from urllib.parse import parse_qsl, urlencode

from django.urls import reverse

from sales.models import ListName, SavedFilter

# The lists a filter can be saved on, and where each lives.
LIST_INDEX_URLS = {
    ListName.PEOPLE: "leads_person:index",
    ListName.COMPANIES: "leads_company:index",
    ListName.LEADS: "leads_lead:index",
}
LIST_CHOICES = [(value, label) for value, label in ListName.choices if value in LIST_INDEX_URLS]

# The lists' filter parameters (sales.filters; the contract the lists are built to). Whatever else the
# filter sets declare is accepted too (see param_names), so a filter added there can be saved at once.
LIST_PARAMS = {
    ListName.PEOPLE: {
        "source",
        "period",
        "date_from",
        "date_to",
        "grade",
        "score_min",
        "score_max",
        "stage",
        "owner",
        "country",
        "industry",
        "company_size",
        "utm_campaign",
        "verdict",
        "q",
    },
    ListName.COMPANIES: {"industry", "company_size", "country", "owner", "grade", "is_key_account", "q"},
    ListName.LEADS: {
        "source",
        "origin_type",
        "period",
        "date_from",
        "date_to",
        "grade",
        "stage",
        "owner",
        "country",
        "industry",
        "company_size",
        "utm_campaign",
        "verdict",
        "score_min",
        "score_max",
        "q",
    },
}
# Kept although not a filter: the list's sort order is part of "my hottest leads".
ORDERING_PARAM = "ordering"
# Never kept: paging cursors, Wagtail's fragment marker, the export switch.
NOISE_PARAMS = {"p", "after", "before", "_w_filter_fragment", "export"}

QUERY_MAX_LENGTH = 2000
QUERY_MAX_FIELDS = 200  # a list has ~16 filters; hundreds of parameters are not a filter, they are an attack


class QueryError(ValueError):
    """A query string that can't be saved; the message says why, in the user's words."""


@cache
def param_names(list_name: str) -> frozenset[str]:
    """Every query parameter list `list_name` understands (its filters, search, ordering)."""
    from sales.filters import FILTERSETS

    names = set(LIST_PARAMS.get(list_name, ())) | {ORDERING_PARAM, "q"}
    filterset_class = FILTERSETS.get(list_name)
    for name, declared in getattr(filterset_class, "base_filters", {}).items():
        names.add(name)
        # Range filters take two parameters (created_at_after / created_at_before, score_min / score_max).
        widget = declared.extra.get("widget") or getattr(declared.field_class, "widget", None)
        for suffix in getattr(widget, "suffixes", None) or ():
            names.add(f"{name}_{suffix}" if suffix else name)
    return frozenset(names - NOISE_PARAMS)


def query_canonical(list_name: str, pairs) -> str:
    """The query string to keep from (key, value) pairs: known keys only, blanks and repeats dropped,
    keys sorted (one filter, one spelling), `:` left readable (`source=content:42`)."""
    allowed = param_names(list_name)
    kept: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in allowed:
            continue
        value = str(value).strip()
        if not value or "\x00" in value:  # PostgreSQL refuses NUL in text: such a value is never a filter
            continue
        values = kept.setdefault(key, [])
        if value not in values:
            values.append(value)
    return urlencode([(key, value) for key in sorted(kept) for value in kept[key]], safe=":")


def query_clean(list_name: str, raw: str) -> str:
    """A query string from outside (a form post, a link), cleaned for keeping; QueryError if it can't be."""
    if list_name not in LIST_INDEX_URLS:
        raise QueryError("Choose one of the lists.")
    raw = (raw or "").strip().lstrip("?")
    try:
        pairs = parse_qsl(raw, keep_blank_values=False, max_num_fields=QUERY_MAX_FIELDS)
    except ValueError:
        raise QueryError(f"Too many parameters to save (at most {QUERY_MAX_FIELDS}).") from None
    return query_checked(query_canonical(list_name, pairs))


def query_checked(query: str) -> str:
    if len(query) > QUERY_MAX_LENGTH:
        raise QueryError(
            f"These filters are too long to save ({len(query):,} characters; at most {QUERY_MAX_LENGTH:,})."
        )
    return query


def query_has_filters(query: str) -> bool:
    """True when the query chooses rows (a sort order alone is not a filter)."""
    return any(key != ORDERING_PARAM for key, _ in parse_qsl(query))


def query_describe(query: str) -> str:
    """The filters in words for a listing cell: "stage: mql · owner: me"."""
    grouped: dict[str, list[str]] = {}
    for key, value in parse_qsl(query):
        grouped.setdefault(key, []).append(value)
    return " · ".join(f"{key.replace('_', ' ')}: {', '.join(values)}" for key, values in grouped.items())


def list_url(list_name: str, query: str = "") -> str:
    url = reverse(LIST_INDEX_URLS[list_name])
    return f"{url}?{query}" if query else url


def apply_url(saved_filter: SavedFilter) -> str:
    """Applying a saved filter is opening its list with its query string."""
    return list_url(saved_filter.list_name, saved_filter.query)
