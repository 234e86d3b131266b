from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core import admin_views
from core.logins import LOCKED_OUT_ACTION


@hooks.register("register_log_actions")
def register_core_log_actions(actions):
    actions.register_action(LOCKED_OUT_ACTION, "Locked out after repeated wrong passwords", "Locked out")


@hooks.register("register_admin_urls")
def core_admin_urls():
    return [path("reports/background-work/", admin_views.background_work, name="core_background_work")]


class BackgroundWorkMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.may_view(request.user)


@hooks.register("register_reports_menu_item")
def background_work_menu_item():
    return BackgroundWorkMenuItem("Background work", reverse("core_background_work"), icon_name="cogs", order=900)
