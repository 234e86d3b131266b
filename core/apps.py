from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Mechanisms every app shares and no business area owns: the request edge (query strings,
    redirects), spreadsheets that never run a formula, the checks on secrets, and the background
    workers (one command for every queue, heartbeats, taking up work a dead worker held).

    It depends on Django and Wagtail only; every app of ours may use it."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core import checks, logins  # noqa: F401 - registers the checks on secrets, the lock-out log
        from core.spreadsheets import guard_wagtail_exports

        guard_wagtail_exports()
