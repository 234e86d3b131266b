from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    name = "personalization"
    label = "personalization"
    verbose_name = "Personalisation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import atexit

        from . import receivers  # noqa: F401 - connects to the lead store's signals
        from .stats import flush_at_exit

        atexit.register(flush_at_exit)  # a worker that stops writes the counts it still holds
