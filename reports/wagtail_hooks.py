"""The reports in Wagtail's admin: their URLs and their items in the Reports menu."""

from django.urls import include, path
from wagtail import hooks

from . import admin_urls


@hooks.register("register_admin_urls")
def reports_urls():
    return [path("reports/", include(admin_urls, namespace="reports"))]
