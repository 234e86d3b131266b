from django.core.management.base import BaseCommand

from outbox.services import outbox_sweep


class Command(BaseCommand):
    help = (
        "Queue again the emails nobody is sending: due retries, lost tasks, and emails a dead worker left "
        "'being sent'. Run it every minute (cron) where no worker runs the sweeps; running it twice sends "
        "nothing twice."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"re-queued: {outbox_sweep()}")
