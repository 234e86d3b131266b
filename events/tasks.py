"""Background work of the events app (django-tasks, "background" queue)."""

from django_tasks import task


@task(backend="background")
def deliver_event_email(delivery_id: int):
    """Kept for tasks queued before event emails moved to the outbox (the database queue stores this
    path): their rows were carried over with the same ids. New emails are sent by outbox.tasks."""
    from outbox.services import outbox_deliver

    return outbox_deliver(delivery_id)


@task(backend="background")
def run_event_schedule():
    """Statuses by time, reminders, no-shows, follow-ups: enqueue every few minutes from a scheduler."""
    from events.services import event_schedule_run

    return event_schedule_run()
