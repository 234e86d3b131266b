from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports and attribution (docs/reports.md): the marketer's dashboard, the funnel and its velocity,
    channel quality, attribution, content and event performance, the weekly digest.

    Reads the lead store (people, leads, interactions, stage moves, deals), personalisation, events,
    forms and campaigns; writes only its own rollups, which it keeps current from the lead store's
    signals. Nothing of ours depends on it but cms, which wires its URLs and the demo."""

    name = "reports"
    label = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from reports.rollups.receivers import connect

        connect()  # the rollups follow the lead store's signals (reports.rollups)
        from reports.digest import register_kind

        register_kind()  # the weekly digest's label in the Outbox
