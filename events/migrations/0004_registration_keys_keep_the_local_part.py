"""Registration keys that lost their whole local part (`+sales@acme.de` -> `@acme.de`) get it back
(the same rule as leads 0009): two such addresses counted as one registrant per event."""

from django.db import migrations


def key_of(email: str) -> str:
    local, _, domain = email.rpartition("@")
    mailbox = local.split("+", 1)[0] or local
    return f"{mailbox.lower()}@{domain.lower()}"


def recompute(apps, schema_editor):
    Registration = apps.get_model("events", "Registration")
    for registration in Registration.objects.filter(email_key__startswith="@").only("pk", "event_id", "email"):
        key = key_of(registration.email)
        if key != "@" and not Registration.objects.filter(event_id=registration.event_id, email_key=key).exists():
            Registration.objects.filter(pk=registration.pk).update(email_key=key)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_emails_to_outbox")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
