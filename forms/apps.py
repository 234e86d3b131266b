from django.apps import AppConfig


class LeadFormsConfig(AppConfig):
    # The label is not "forms": Django's own django.forms app (needed for template-based form
    # rendering) already has it. Tables are leadforms_*.
    name = "forms"
    label = "leadforms"
    verbose_name = "Gated forms"
    default_auto_field = "django.db.models.BigAutoField"
