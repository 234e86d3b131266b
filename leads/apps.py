from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    label = "leads"
    verbose_name = "Lead store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from leads.models import Company, Person
        from leads.signals import people_changed, send_after_commit

        # Edits by hand (the admin, a shell) change what other apps cached about people too.
        def person_saved(sender, instance, **kwargs):
            send_after_commit(people_changed, person_ids=[instance.pk])

        def company_saved(sender, instance, **kwargs):
            ids = list(instance.people.values_list("pk", flat=True)) if instance.pk else []
            if ids:
                send_after_commit(people_changed, person_ids=ids)

        post_save.connect(person_saved, sender=Person, dispatch_uid="leads-person-saved", weak=False)
        post_delete.connect(person_saved, sender=Person, dispatch_uid="leads-person-deleted", weak=False)
        post_save.connect(company_saved, sender=Company, dispatch_uid="leads-company-saved", weak=False)
