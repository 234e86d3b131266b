"""Background work of the shared mechanisms (django-tasks, "background" queue)."""

from django_tasks import task


@task(backend="background")
def sweep_stale_work():
    """Each app's sweep of work that was accepted but not finished (queued by every worker's companion)."""
    from core.workers import stale_work_sweep

    return {name: str(result) for name, result in stale_work_sweep().items()}
