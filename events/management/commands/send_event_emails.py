from django.core.management.base import BaseCommand

from events.services import event_schedule_run


class Command(BaseCommand):
    help = (
        "Move events on by the clock and send what is due: reminders, thank-yous, sorry-we-missed-yous. "
        "Run it every few minutes (cron); running it twice sends nothing twice."
    )

    def handle(self, *args, **options):
        counts = event_schedule_run()
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
