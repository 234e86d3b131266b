"""The reports in Wagtail's admin: their URLs, their items in the Reports menu, and the dashboard's panel
on Wagtail's home."""

from django.urls import include, path, reverse
from wagtail import hooks

from core.admin_menu import PermissionMenuItem
from personalization.views import STATISTICS_PERMISSIONS

from . import admin_urls
from .access import CONTENT_PERMISSION, REPORTS_PERMISSION

# (label, URL name, who sees it, icon, order) of each report in the Reports menu, the dashboard first.
# Content performance: editors too, and whoever could read personalisation's variant statistics, which
# moved into it.
MENU = [
    ("Dashboard", "reports:dashboard", [REPORTS_PERMISSION], "table", 1),
    ("Funnel and velocity", "reports:funnel", [REPORTS_PERMISSION], "list-ul", 150),
    ("Channel quality", "reports:channels", [REPORTS_PERMISSION], "site", 200),
    ("Attribution", "reports:attribution", [REPORTS_PERMISSION], "pick", 250),
    (
        "Content performance",
        "reports:content",
        [CONTENT_PERMISSION, REPORTS_PERMISSION, *STATISTICS_PERMISSIONS],
        "doc-full",
        300,
    ),
    ("Events", "reports:events", [REPORTS_PERMISSION], "date", 400),
]


@hooks.register("register_admin_urls")
def reports_urls():
    return [path("reports/", include(admin_urls, namespace="reports"))]


def _menu_item(label, url_name, any_of, icon_name, order):
    def item():
        return PermissionMenuItem(label, reverse(url_name), any_of=any_of, icon_name=icon_name, order=order)

    return item


for _entry in MENU:
    hooks.register("register_reports_menu_item", _menu_item(*_entry))


# The dashboard on Wagtail's home for managers and marketers (reports.home_panel says why a panel and
# not a redirect).
@hooks.register("construct_homepage_panels")
def dashboard_home_panel(request, panels):
    from .home_panel import add_dashboard_panel

    add_dashboard_panel(request, panels)
