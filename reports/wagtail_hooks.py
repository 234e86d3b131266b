"""The reports in Wagtail's admin: their URLs and their items in the Reports menu."""

from django.urls import include, path
from wagtail import hooks

from . import admin_urls


@hooks.register("register_admin_urls")
def reports_urls():
    return [path("reports/", include(admin_urls, namespace="reports"))]


# Content performance: editors see it (content reports), and so does whoever could read personalisation's
# variant statistics, which moved into it (HCONT).
@hooks.register("register_reports_menu_item")
def content_report_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem
    from personalization.views import STATISTICS_PERMISSIONS

    return PermissionMenuItem(
        "Content performance",
        reverse("reports:content"),
        any_of=["reports.view_content_reports", "reports.view_reports", *STATISTICS_PERMISSIONS],
        icon_name="doc-full",
        order=300,
    )


@hooks.register("register_reports_menu_item")
def events_report_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem

    return PermissionMenuItem(
        "Events", reverse("reports:events"), any_of=["reports.view_reports"], icon_name="date", order=400
    )


# Attribution: conversions credited to channels, campaigns, content and events (HATTR).
@hooks.register("register_reports_menu_item")
def attribution_report_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem

    return PermissionMenuItem(
        "Attribution", reverse("reports:attribution"), any_of=["reports.view_reports"], icon_name="pick", order=250
    )


# Funnel and velocity; channel quality (HFUN).
@hooks.register("register_reports_menu_item")
def funnel_report_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem

    return PermissionMenuItem(
        "Funnel and velocity",
        reverse("reports:funnel"),
        any_of=["reports.view_reports"],
        icon_name="list-ul",
        order=150,
    )


@hooks.register("register_reports_menu_item")
def channels_report_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem

    return PermissionMenuItem(
        "Channel quality", reverse("reports:channels"), any_of=["reports.view_reports"], icon_name="site", order=200
    )


# The dashboard (HDASH): first in the Reports menu, and on Wagtail's home for managers and marketers
# (reports.home_panel says why a panel and not a redirect).
@hooks.register("register_reports_menu_item")
def dashboard_menu_item():
    from django.urls import reverse

    from core.admin_menu import PermissionMenuItem

    return PermissionMenuItem(
        "Dashboard", reverse("reports:dashboard"), any_of=["reports.view_reports"], icon_name="table", order=1
    )


@hooks.register("construct_homepage_panels")
def dashboard_home_panel(request, panels):
    from .home_panel import add_dashboard_panel

    add_dashboard_panel(request, panels)
