from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    label = "cms"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"
