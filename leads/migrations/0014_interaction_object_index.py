from django.db import migrations, models


class AddIndexWithoutLocking(migrations.AddIndex):
    """On PostgreSQL CREATE INDEX CONCURRENTLY: leads_interaction is the biggest table (tens of millions of
    rows), and a plain CREATE INDEX would stop every write to it (page views, opens, clicks) for a minute or
    more. Elsewhere (SQLite) a plain index."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.add_index(model, self.index, concurrently=True)
            else:
                schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.remove_index(model, self.index, concurrently=True)
            else:
                schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("leads", "0013_scoring_rule_help"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="interaction",
            index=models.Index(
                fields=["type", "object_id", "occurred_at"], include=("person",), name="leads_interaction_object"
            ),
        ),
    ]
