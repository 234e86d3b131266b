"""Reads of the sales workspace: the rows of a list as a user may see them.

`list_queryset` is the one place a list's rows are chosen: the admin listing, its export (in the
request or in a background task) and a saved filter all call it with the same query string.
"""

from django.db.models import Q

from leads.models import Company, Lead, Person
from sales.access import visible_companies, visible_leads, visible_people
from sales.filters import FILTERSETS

SEARCH_FIELDS = {
    "people": ["email", "first_name", "last_name", "company__name"],
    "companies": ["name", "domains__domain"],
    "leads": ["person__email", "origin_label", "utm_campaign"],
}
BASE = {
    "people": (lambda: Person.objects.select_related("company", "owner"), visible_people),
    "companies": (lambda: Company.objects.select_related("owner"), visible_companies),
    "leads": (lambda: Lead.objects.select_related("person__company", "person__owner"), visible_leads),
}


def list_queryset(list_name: str, *, user, params):
    """The rows of list `list_name` ("people", "companies", "leads") that `user` may see, filtered by
    `params` (a QueryDict or dict of the listing's query string: filters and `q` for search)."""
    make, scope = BASE[list_name]
    queryset = scope(user, make())
    filterset = FILTERSETS[list_name](data=params, queryset=queryset, request=None)
    if filterset.is_valid():
        queryset = filterset.qs
    query = (params.get("q") or "").strip()
    if query:
        condition = Q()
        for field in SEARCH_FIELDS[list_name]:
            condition |= Q(**{f"{field}__icontains": query})
        queryset = queryset.filter(condition)
    return queryset
