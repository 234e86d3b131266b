"""Background work of the events app (django-tasks, "background" queue)."""

from django_tasks import task


@task(backend="background")
def deliver_event_email(delivery_id: int):
    from events.services.emails import email_deliver

    return email_deliver(delivery_id)


@task(backend="background")
def run_event_schedule():
    """Statuses by time, reminders, no-shows, follow-ups: enqueue every few minutes from a scheduler."""
    from events.services import event_schedule_run

    return event_schedule_run()
