"""Planner statistics for what the audiences compare (issue 19, target 4), on PostgreSQL 14+ only.

A segment's text rules match case-insensitively (`iexact`), which PostgreSQL runs as
`UPPER(column::text) = UPPER('value')`; a behaviour rule on a URL reads `properties ->> 'path'`. Without
statistics on those expressions the planner guesses (half a percent of the rows for an equality), and a
guess that far off picks nested loops: "industry banking, downloaded in 90 days, attended an event" at
1M people / 5M interactions took 22 s, expecting 250 banking companies where there were 10,000; with the
statistics 2.6 s, then hash joins. Extended statistics cost nothing on writes (an index on each
expression would add a write to every rescored person); ANALYZE (autovacuum's, and the bulk rescore's)
keeps them. The tables are analysed once here so the statistics exist from the start (sampled: a few
seconds whatever the size).

SQLite (development, tests) has no such statistics: nothing happens there.
"""

from django.db import migrations

STATISTICS = {
    # name: (table, expression)
    "leads_company_industry_ci": ("leads_company", "(UPPER(industry::text))"),
    "leads_company_band_ci": ("leads_company", "(UPPER(employee_band::text))"),
    "leads_person_country_ci": ("leads_person", "(UPPER(country::text))"),
    "leads_person_stage_ci": ("leads_person", "(UPPER(stage::text))"),
    "leads_person_grade_ci": ("leads_person", "(UPPER(grade::text))"),
    "leads_interaction_path": ("leads_interaction", "((properties ->> 'path'))"),
}


def supported(schema_editor) -> bool:
    connection = schema_editor.connection
    return connection.vendor == "postgresql" and connection.pg_version >= 140000


def create(apps, schema_editor):
    if not supported(schema_editor):
        return
    for name, (table, expression) in STATISTICS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} ON {expression} FROM {table}")
    for table in sorted({table for table, _ in STATISTICS.values()}):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if not supported(schema_editor):
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0017_sales_search_and_lead_list_indexes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
