from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from events.services.emails import register_kinds

        register_kinds()  # every event email kind, with its builder, in the outbox
