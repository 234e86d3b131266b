"""Drill-down: the sales people list showing exactly the people a report's number counts.

Every people count in a report is a set of journeys (reports.models.PersonJourney) chosen by the
report's filters, a period and, for stage counts, a stage reached. The sales people list has the same
conditions as its journey filter (sales.journey_filter, parameters `j_*`), read from the same rows and
scoped by the same rule (sales.access), so the list opened from a number shows that number.
tests/reports/test_drilldown_agrees.py checks it over HTTP for every count of the funnel and channel
tables, as a marketer and as a rep.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from .filters import TEXT_FILTERS, ReportFilters
from .periods import Period

PEOPLE_LIST = "leads_person:index"
NOT_SET = "(not set)"  # sales.journey_filter.NOT_SET: an empty column (reports show it as this label)
STAGES = ("mql", "sql", "opportunity", "customer", "recycled", "returned")
# ReportFilters' parameter -> the journey filter's suffix (the same journey column).
SUFFIX = {"channel": "channel", **{name: name for name in TEXT_FILTERS}, "form": "form", "country": "country"}


def journey_params(
    filters: ReportFilters | None = None,
    period: Period | None = None,
    reached: str | None = None,
    *,
    cohort: bool = True,
    returned: bool = False,
    extra: dict | None = None,
) -> dict[str, str]:
    """The `j_*` parameters for these filters, period and stage.

    cohort=True: the period bounds when the person was created (j_created_*), and `reached` means reached
    so far. cohort=False: the period bounds when they first reached `reached` (j_reached_*). `extra`
    adds journey columns by suffix (a channel table's row: {"source": "linkedin"}); an empty value
    there means the column is empty.
    """
    if reached is not None and reached not in STAGES:
        raise ValueError(f"reached must be one of {', '.join(STAGES)}")
    if period is not None and not cohort and reached is None:
        raise ValueError("a period of reaching needs the stage reached")
    params: dict[str, str] = {}
    for name, value in (filters.query() if filters else {}).items():
        if name == "owner":
            params["j_owner"] = str(value)
        elif name in SUFFIX:
            params[f"j_{SUFFIX[name]}"] = str(value)
    for suffix, value in (extra or {}).items():
        params[f"j_{suffix}"] = str(value) if value not in ("", None) else NOT_SET
    if reached:
        params["j_reached"] = reached
    if period is not None:
        which = "created" if cohort else "reached"
        params[f"j_{which}_from"] = period.start.isoformat()
        params[f"j_{which}_to"] = period.end.isoformat()
    if returned:
        params["j_returned"] = "yes"
    return params


def sales_list_url(
    filters: ReportFilters | None = None,
    period: Period | None = None,
    reached: str | None = None,
    cohort: bool = True,
    *,
    returned: bool = False,
    extra: dict | None = None,
) -> str:
    """The URL of the sales people list showing exactly the people a report's number counts."""
    params = journey_params(filters, period, reached, cohort=cohort, returned=returned, extra=extra)
    # Every report number has a period or a filter, so the list always gets a journey condition (which
    # also leaves test and competitor people out, as the reports do).
    return f"{reverse(PEOPLE_LIST)}?{urlencode(params, safe=':()')}"
