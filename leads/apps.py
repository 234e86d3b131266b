from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    label = "leads"
    verbose_name = "Lead store"
    default_auto_field = "django.db.models.BigAutoField"
