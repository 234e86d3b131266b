from django.core.management.base import BaseCommand

from core.workers import stale_work_sweep, tasks_of_dead_workers_release


class Command(BaseCommand):
    help = (
        "Take up now what dead workers held and what the apps owe (emails, CRM pushes, unprocessed leads). "
        "Workers do this by themselves every minute; this is for checking by hand or a cron without them."
    )

    def handle(self, *args, **options):
        released = tasks_of_dead_workers_release()
        self.stdout.write(f"tasks of dead workers: {released['requeued']} queued again, {released['failed']} failed")
        for name, result in stale_work_sweep().items():
            self.stdout.write(f"{name}: {result}")
