"""Indexes for the sales lists at a million people (issue 19, target 5), on PostgreSQL only.

- Search (sales.selectors.search): every word is matched with `icontains`, which PostgreSQL runs as
  `UPPER(column::text) LIKE UPPER('%word%')`. A B-tree cannot answer a pattern with a leading `%`, so each
  search read all 1M people. Trigram GIN indexes (pg_trgm) on exactly those expressions can: the person's
  first name, last name and email, and the company's name.
- A source's lead list (sales.filters.lead_list_junk): the "Include junk (N)" count starts from the few
  people marked as test data or competitors and from the few flagged leads of that source, instead of
  testing every one of the list's people.

SQLite (development, tests) has no pg_trgm, and its lists are small: nothing happens there. The indexes
are not in the models' Meta for that reason (a GIN index or an operator class would not migrate on
SQLite), so `makemigrations` does not know them; this migration is where they are defined.

Built CONCURRENTLY, as 0014 does: leads_person takes writes all the time (forms, scoring), and building a
trigram index over a million rows takes tens of seconds. pg_trgm is a trusted extension (PostgreSQL 13+):
the database owner may create it without superuser rights.
"""

from django.db import migrations

INDEXES = {
    # name: (table, definition)
    "leads_person_first_name_trgm": ("leads_person", "USING gin (UPPER(first_name::text) gin_trgm_ops)"),
    "leads_person_last_name_trgm": ("leads_person", "USING gin (UPPER(last_name::text) gin_trgm_ops)"),
    "leads_person_email_trgm": ("leads_person", "USING gin (UPPER(email::text) gin_trgm_ops)"),
    "leads_company_name_trgm": ("leads_company", "USING gin (UPPER(name::text) gin_trgm_ops)"),
    "leads_person_junk": ("leads_person", "(id) WHERE is_test OR is_competitor"),
    "leads_lead_origin_flagged": ("leads_lead", "(origin_type, origin_id) WHERE verdict = 'flagged'"),
}


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and does nothing on any other database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("leads", "0016_transition_moves_index"),
    ]

    operations = [
        # Left in place when migrating back: other code (or a DBA) may use it, and it costs nothing.
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        *(
            PostgresOnlySQL(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}",
                reverse_sql=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            )
            for name, (table, definition) in INDEXES.items()
        ),
    ]
