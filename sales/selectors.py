"""Reads of the sales workspace: the rows of a list as a user may see them.

`list_queryset` is the one place a list's rows are chosen: the admin listing, its export (in the
request or in a background task) and a saved filter all call it with the same query string, so they
cannot disagree. Scope first (sales.access), then the filters (sales.filters), then the search `q`,
then the order. Paging keys (`p`, `after`, `before`) are not its business; `ordering` is honoured when
it names one of the list's sort keys.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Lower, NullIf
from django.http import QueryDict

from leads.cleaning import email_identity_key
from leads.models import Company, CompanyDomain, Interaction, Lead, Person
from leads.privacy import can_view_personal_data
from sales.access import visible_companies, visible_leads, visible_people
from sales.filter_fields import JUNK_INCLUDED
from sales.filters import FILTERSETS
from sales.pagination import Ordering, SortKey

LIST_NAMES = ("people", "companies", "leads")
MAX_SEARCH_TERMS = 5
MAX_SEARCH_LENGTH = 200
# A search word naming up to this many companies matches people by those companies' ids (see _person_term).
SEARCH_COMPANIES = 1_000


def _score(path=""):
    return F(f"{path}fit_score") + F(f"{path}interest_score")


BASE = {
    "people": (lambda: Person.objects.select_related("company", "owner").annotate(score=_score()), visible_people),
    "companies": (lambda: Company.objects.select_related("owner"), visible_companies),
    "leads": (
        lambda: Lead.objects.select_related("person__company", "person__owner").annotate(score=_score("person__")),
        visible_leads,
    ),
}

# What each list can be sorted by. Every key is non-null and has an index to walk at a million rows
# (see the report of issue 7 for the ones leads/models/ still needs: grade, stage, score).
SORT_KEYS = {
    "people": {
        "created_at": SortKey("created_at", "created_at", "datetime"),
        "name": SortKey("name", Lower("last_name")),  # leads_person_last_name_ci
        "grade": SortKey("grade", "grade"),
        "stage": SortKey("stage", "stage"),
        "score": SortKey("score", "score", "float"),
        "converted_at": SortKey("converted_at", "converted_at", "datetime"),  # only with `source`
    },
    "companies": {"name": SortKey("name", "name_key")},
    "leads": {"received_at": SortKey("received_at", "received_at", "datetime"), "lid": SortKey("lid", "pk", "int")},
}
# Sort keys that exist only when the rows carry that annotation.
ANNOTATED_KEYS = {"converted_at", "score"}
DEFAULT_ORDERING = {"people": "-created_at", "companies": "name", "leads": "-received_at"}


@dataclass
class ListSelection:
    queryset: object
    ordering: Ordering
    filterset: object

    @property
    def is_gated(self) -> bool:
        """A people list narrowed to one whitepaper, event or form: the rows carry `converted_at`."""
        return "converted_at" in self.queryset.query.annotations


def as_params(params) -> QueryDict:
    """A QueryDict from what callers have: a QueryDict, a query string, or a dict (lists for repeats)."""
    if isinstance(params, QueryDict):
        return params
    if params is None or isinstance(params, str):
        return QueryDict(params or "")
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    return query


def list_selection(list_name: str, *, user, params, filterset=None) -> ListSelection:
    """The rows, their order and the bound filter set (its errors say what was left out and why)."""
    if list_name not in LIST_NAMES:
        raise ValueError(f"Unknown list {list_name!r}: choose one of {', '.join(LIST_NAMES)}")
    params = as_params(params)
    make, scope = BASE[list_name]
    queryset = scope(user, make())
    if filterset is None:
        filterset = FILTERSETS[list_name](data=params, queryset=queryset, user=user)
    filterset.is_valid()  # validates; a value with an error is left out, the valid ones still apply
    queryset = filterset.filter_queryset(queryset)
    queryset = search(list_name, queryset, params.get("q"), personal_data=can_view_personal_data(user))
    ordering = list_ordering(list_name, params, queryset)
    return ListSelection(ordering.apply(queryset), ordering, filterset)


def list_queryset(list_name: str, *, user, params):
    """The rows of list `list_name` ("people", "companies", "leads") that `user` may see, filtered by
    `params` (a QueryDict, a query string or a dict of the listing's query string: filters, `q` for search
    and optionally `ordering`), ordered by the list's sort key and then pk.

    With `source` on the people list, each person carries `converted_at` (their first lead of that
    origin). People and leads carry `score` (fit + interest)."""
    return list_selection(list_name, user=user, params=params).queryset


def lead_list_junk_count(*, user, params, cap: int) -> int:
    """How many people a lead list (the people list with a `source`) has as junk, with its other filters
    and search: what "Include junk (N)" adds, or what "Leave junk out" takes away. Counted up to cap + 1
    (it stops early, as the list's own count does); 0 when the list is not a source's."""
    params = as_params(params).copy()
    params["junk"] = JUNK_INCLUDED
    selection = list_selection("people", user=user, params=params)
    if not selection.is_gated:
        return 0
    junk = selection.filterset.lead_list_junk(selection.queryset)  # their pks, as one UNION
    return junk[: cap + 1].count()


def list_filter_errors(list_name: str, *, user, params) -> dict[str, list[str]]:
    """What is wrong with a query string, by field ({} when every filter applies). A saved filter or an
    export can refuse what the listing only leaves out."""
    filterset = FILTERSETS[list_name](data=as_params(params), user=user)
    return {} if filterset.is_valid() else {name: list(errors) for name, errors in filterset.errors.items()}


def list_ordering(list_name: str, params, queryset) -> Ordering:
    keys = SORT_KEYS[list_name]
    default = DEFAULT_ORDERING[list_name]
    if list_name == "people" and "converted_at" in queryset.query.annotations:
        default = "-converted_at"  # a gated list reads newest conversion first
    for wanted in (str(params.get("ordering") or ""), default):
        name = wanted.removeprefix("-")
        key = keys.get(name)
        if key and (key.name not in ANNOTATED_KEYS or key.name in queryset.query.annotations):
            return Ordering(key, descending=wanted.startswith("-"))
    raise AssertionError(f"The default ordering of {list_name} is not one of its sort keys")


# --- Search -------------------------------------------------------------------------------------------
def search_terms(query) -> list[str]:
    text = str(query or "").replace("\x00", "")[:MAX_SEARCH_LENGTH]
    return text.split()[:MAX_SEARCH_TERMS]


def _person_term(term: str, path: str, personal_data: bool) -> Q:
    """One word against a person: names and company for everybody; the email only with the right to see
    it. Without it an address is found only when typed in full (a rep can check "do we have jane@x.com?"),
    never by parts, so the masked addresses cannot be spelled out letter by letter.

    Each part is an `icontains` that a trigram index answers on PostgreSQL (leads migration 0017), and
    PostgreSQL combines them (BitmapOr) only when all are conditions on the person's own row: the company is
    matched through the ids of the companies whose name matches (`company_id IN (1, 2, ...)`, looked up
    first), not through the joined company's name. A word that names more than SEARCH_COMPANIES companies
    ("GmbH") is matched on the join instead: so many ids would cost more than they save, and a word that
    common finds a page of people quickly in any order."""
    company_ids = list(
        Company.objects.filter(name__icontains=term).order_by().values_list("pk", flat=True)[: SEARCH_COMPANIES + 1]
    )
    if len(company_ids) > SEARCH_COMPANIES:
        by_company = Q(**{f"{path}company__name__icontains": term})
    else:
        by_company = Q(**{f"{path}company_id__in": company_ids})  # none: Django leaves this part out
    condition = Q(**{f"{path}first_name__icontains": term}) | Q(**{f"{path}last_name__icontains": term}) | by_company
    if "@" in term:
        if term.startswith("@"):
            # A domain: masked addresses show it anyway. `email` holds it as `email_key` does (only the
            # mailbox's sub-address differs) and has the trigram index.
            return condition | Q(**{f"{path}email__icontains": term})
        key = email_identity_key(term)
        if personal_data:
            return condition | Q(**{f"{path}email_key__startswith": key})  # the unique index's pattern ops
        return condition | Q(**{f"{path}email_key": key})
    if personal_data:
        condition |= Q(**{f"{path}email__icontains": term})
    return condition


def search(list_name: str, queryset, query, *, personal_data: bool):
    """Every word must match somewhere (name, email, company; a company's name or domain; a lead's person,
    origin or campaign). Related rows are matched with EXISTS or a to-one join: no duplicates."""
    for term in search_terms(query):
        if list_name == "people":
            condition = _person_term(term, "", personal_data)
        elif list_name == "leads":
            condition = (
                _person_term(term, "person__", personal_data)
                | Q(origin_label__icontains=term)
                | Q(utm_campaign__icontains=term)
            )
        else:
            domains = CompanyDomain.objects.filter(company=OuterRef("pk"), domain__icontains=term.lower())
            condition = Q(name__icontains=term) | Q(Exists(domains))
        queryset = queryset.filter(condition)
    return queryset


# --- Facts for one page of rows (one query each, whatever the page size) -------------------------------
def people_last_activity(person_ids) -> dict[int, object]:
    """{person id: when they last did something}, from the (person, occurred_at) index."""
    latest = Interaction.objects.filter(person=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    rows = Person.objects.filter(pk__in=list(person_ids)).annotate(last=Subquery(latest)).values_list("pk", "last")
    return {pk: last for pk, last in rows if last}


def company_people_facts(user, company_ids) -> dict[int, dict]:
    """{company id: {"people": n, "best_grade": "A1"}} counting only the people `user` may see."""
    people = visible_people(user, Person.objects.filter(company_id__in=list(company_ids)))
    rows = (
        people.order_by().values("company_id").annotate(people=Count("pk"), best_grade=Min(NullIf("grade", Value(""))))
    )
    return {row["company_id"]: {"people": row["people"], "best_grade": row["best_grade"] or ""} for row in rows}
