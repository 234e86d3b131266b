from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """The product's one outbox for email: every message is written down (OutgoingEmail) in the
    transaction of the change it is about, then sent by a background task, retried with backoff,
    never sent again once the mail server has accepted it, and visible in the admin (Outbox).

    Its models, services and tasks depend on Django and django-tasks only, so any app of ours may
    send mail through it: forms, events and later campaigns queue through outbox.services and, for
    mail built at send time, register a builder for their kinds in their AppConfig.ready
    (outbox.kinds). Only its admin screen reads the product's personal-data rule (leads.privacy,
    which depends on nothing of ours), to mask recipients."""

    name = "outbox"
    label = "outbox"
    verbose_name = "Outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the settings check)
