"""Background work of the outbox (django-tasks, "background" queue)."""

from django_tasks import task


@task(backend="background")
def deliver_email(email_id: int):
    """Send one outgoing email (a retry queues itself again, deferred, where the backend can defer)."""
    from outbox.services import outbox_deliver

    return outbox_deliver(email_id)
