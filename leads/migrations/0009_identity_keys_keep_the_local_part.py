"""Identity keys that lost their whole local part (`+sales@acme.de` -> `@acme.de`) get it back.

Only keys starting with "@" are recomputed. Two stored addresses that both lost it shared one person
(the first one's); that person keeps the key of their own address."""

from django.db import migrations


def key_of(email: str) -> str:
    local, _, domain = email.rpartition("@")
    mailbox = local.split("+", 1)[0] or local
    return f"{mailbox.lower()}@{domain.lower()}"


def recompute(apps, schema_editor):
    Person = apps.get_model("leads", "Person")
    for person in Person.objects.filter(email_key__startswith="@").only("pk", "email", "email_key").iterator():
        key = key_of(person.email)
        if key != person.email_key and not Person.objects.filter(email_key=key).exists():
            Person.objects.filter(pk=person.pk).update(email_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_sales_list_indexes"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
