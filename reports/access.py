"""Who sees which report, and over whom.

Marketers and managers (and administrators) see every report. A sales rep sees the people-based
reports over the people they own (a manager over their team's: sales.access decides the scope, as it
does for the sales lists). Editors see content performance only. Anonymous traffic (visitors, page
views) belongs to nobody's book, so only users who see everybody see it.
"""

from sales.access import scope_for

from .models import PersonJourney

REPORTS_PERMISSION = "reports.view_reports"
CONTENT_PERMISSION = "reports.view_content_reports"


def can_see_reports(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(REPORTS_PERMISSION))


def can_see_content_reports(user) -> bool:
    return bool(user and user.is_authenticated and (user.has_perm(CONTENT_PERMISSION) or can_see_reports(user)))


def sees_everybody(user) -> bool:
    """True when the reports cover everybody: then traffic (visitors, page views) is shown too."""
    return scope_for(user).kind == "all"


def journeys_for(user, queryset=None):
    """The journeys of the people `user` may count, test and competitor people left out."""
    queryset = PersonJourney.objects.all() if queryset is None else queryset
    queryset = queryset.filter(is_excluded=False)
    condition = scope_for(user).owner_q()
    return queryset if condition is None else queryset.filter(condition)


def person_scope_q(user, prefix: str = "person__"):
    """The same scope as a condition on a relation to Person (`prefix` + owner), or None for everybody."""
    return scope_for(user).owner_q(prefix)
