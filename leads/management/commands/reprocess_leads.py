from django.core.management.base import BaseCommand

from leads.services import leads_reprocess_failed


class Command(BaseCommand):
    help = "Process again the captured leads whose processing failed or never ran. Their raw submission is kept."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many leads")

    def handle(self, *args, limit=None, **options):
        def progress(counts):
            done = counts["processed"] + counts["failed"]
            if done % 500 == 0:
                self.stdout.write(f"  {done} leads: {counts['processed']} processed, {counts['failed']} failed")

        counts = leads_reprocess_failed(limit=limit, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Reprocessed: {counts['processed']} processed, {counts['failed']} still failing.")
        )
