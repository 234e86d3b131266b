from django.core.management.base import BaseCommand

from leads.services.crm import crm_deliver_due


class Command(BaseCommand):
    help = "Send every CRM push that is due (first tries and retries). Safe to run often, e.g. every minute."

    def handle(self, *args, **options):
        counts = crm_deliver_due()
        self.stdout.write(", ".join(f"{status}: {count}" for status, count in counts.items()))
