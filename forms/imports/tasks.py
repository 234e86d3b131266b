"""The import runs as a background task: immediate in development and tests, the database queue in
production (a `db_worker` picks it up), so an upload request never waits for 100,000 rows."""

from django_tasks import task


@task(backend="background")
def run_lead_import(import_id: int):
    from forms.imports.services import import_run

    return import_run(import_id)
