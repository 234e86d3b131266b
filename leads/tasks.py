"""Background work of the lead store (django-tasks, on the "background" queue)."""

from django_tasks import task


@task(backend="background")
def rescore_everyone():
    """The nightly rescore: enqueue it from a scheduler (cron, a platform scheduler) once a day."""
    from leads.services import people_rescore_all

    return people_rescore_all()["people scored"]
