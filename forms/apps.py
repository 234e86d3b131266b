from django.apps import AppConfig


class LeadFormsConfig(AppConfig):
    # The label is not "forms": Django's own django.forms app (needed for template-based form
    # rendering) already has it. Tables are leadforms_*.
    name = "forms"
    label = "leadforms"
    verbose_name = "Gated forms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from forms.services.submission import email_kinds_register

        email_kinds_register()  # the confirmation and notification kinds in the outbox's registry
