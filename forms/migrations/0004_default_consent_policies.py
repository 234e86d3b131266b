"""The consent policies a new installation starts with: explicit opt-in in the EU/EEA and the UK,
and (the cautious default) everywhere else until marketers add countries where a notice is enough."""

from django.db import migrations

EU_EEA_UK = (
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "  # EU
    "IS LI NO "  # EEA
    "GB"
).split()
OPT_IN_TEXT = (
    "Yes, I'd like to receive research, product news and event invitations by email. "
    "I can unsubscribe at any time."
)


def add_defaults(apps, schema_editor):
    ConsentPolicy = apps.get_model("leadforms", "ConsentPolicy")
    for country in [*EU_EEA_UK, "*"]:
        ConsentPolicy.objects.get_or_create(
            country=country, defaults={"show_checkbox": True, "opt_in_required": True, "text": OPT_IN_TEXT}
        )


class Migration(migrations.Migration):
    dependencies = [("leadforms", "0003_lead_imports")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
