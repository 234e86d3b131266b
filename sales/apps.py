from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The sales workspace: lead lists, saved filters, exports, the person 360 view, sales actions,
    roles and who sees whom. Reads and writes the lead store through leads; nothing of ours imports it."""

    name = "sales"
    label = "sales"
    verbose_name = "Sales workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from sales.roles import roles_ensure_after_migrate

        # After every migrate, once every app's permissions exist: the five roles as Wagtail groups.
        post_migrate.connect(roles_ensure_after_migrate, sender=self, dispatch_uid="sales-roles")
