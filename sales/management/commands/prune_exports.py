"""Remove export files older than SALES_EXPORT_KEEP_DAYS (run daily from cron; see docs/operations.md)."""

from django.core.management.base import BaseCommand

from sales.exports.jobs import exports_prune


class Command(BaseCommand):
    help = "Delete export files past SALES_EXPORT_KEEP_DAYS (the jobs and their audit entries stay)."

    def handle(self, *args, **options):
        removed = exports_prune()
        self.stdout.write(f"Removed {removed} export file(s).")
