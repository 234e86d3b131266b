import importlib

from django.conf import settings
from django.db import migrations, models

# CREATE INDEX CONCURRENTLY on PostgreSQL (the stage history takes writes from every capture and rescore),
# a plain index elsewhere: the operation 0014 wrote for the interactions table.
AddIndexWithoutLocking = importlib.import_module(
    "leads.migrations.0014_interaction_object_index"
).AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("leads", "0015_crm_feedback_deals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="stagetransition",
            index=models.Index(fields=["occurred_at", "to_stage"], include=("person",), name="leads_transition_moves"),
        ),
    ]
