from django.urls import path, reverse
from wagtail import hooks

from core import admin_views
from core.admin_menu import PermissionMenuItem
from core.logins import LOCKED_OUT_ACTION


@hooks.register("register_log_actions")
def register_core_log_actions(actions):
    actions.register_action(LOCKED_OUT_ACTION, "Locked out after repeated wrong passwords", "Locked out")


@hooks.register("register_admin_urls")
def core_admin_urls():
    return [path("reports/background-work/", admin_views.background_work, name="core_background_work")]


@hooks.register("register_reports_menu_item")
def background_work_menu_item():
    return PermissionMenuItem(
        "Background work", reverse("core_background_work"), any_of=admin_views.PERMISSION, icon_name="cogs", order=900
    )
