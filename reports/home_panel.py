"""The marketer's home: managers and marketers open /admin/ onto the dashboard's numbers.

Wagtail's way to shape its home is the `construct_homepage_panels` hook: a panel (a Component) put
first in the list. We use it rather than redirecting /admin/ to the dashboard because Wagtail has no
hook on the home view itself (a redirect would need a middleware or shadowing Wagtail's own URL), the
address stays the one Wagtail's logo and login lead to, and the same users keep Wagtail's own panels
(pages to moderate, their locked pages, recent edits) underneath. Editors and sales reps keep
Wagtail's home untouched: reps see numbers over their own people on the Reports menu's dashboard.
"""

from django.forms import Media
from django.urls import reverse
from wagtail.admin.ui.components import Component

from sales.access import scope_for

from . import access
from .dashboard import dashboard_figures
from .periods import period_from_request
from .views_dashboard import figures_charts, tile_cards


def lands_on_dashboard(user) -> bool:
    """Managers and marketers: may see the reports, over a team or everybody."""
    return access.can_see_reports(user) and scope_for(user).kind in ("all", "team")


class DashboardPanel(Component):
    name = "reports_dashboard"
    template_name = "reports/home_panel.html"
    order = 10  # before Wagtail's own panels (100 and up)

    @property
    def media(self):
        return Media(css={"all": ["reports/reports.css"]})

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        period = period_from_request({}, default="30d")
        figures = dashboard_figures(request.user, period)
        return {
            "period": period,
            "figures": figures,
            "cards": tile_cards(figures, period),
            "charts": figures_charts(figures),
            "dashboard_url": reverse("reports:dashboard"),
        }


def add_dashboard_panel(request, panels):
    if lands_on_dashboard(request.user):
        panels.insert(0, DashboardPanel())
