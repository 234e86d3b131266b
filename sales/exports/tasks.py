"""Big exports run as a background task: immediate in development, tests and the demo; the database
queue in production (a `db_worker` picks it up), so the request that asks never waits for a million rows."""

from django_tasks import task


@task(backend="background")
def run_export(job_id: int):
    from sales.exports.jobs import export_job_run

    return export_job_run(job_id)
