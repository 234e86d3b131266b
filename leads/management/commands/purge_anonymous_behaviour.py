from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leads.behaviour import anonymous_behaviour_purge


class Command(BaseCommand):
    help = (
        "Delete the behaviour (page views) of visitors nobody identified, older than the retention "
        "(ANONYMOUS_BEHAVIOUR_RETENTION_DAYS, 90 days). Run it daily (cron). What joined a person stays."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="keep this many days instead of the setting")

    def handle(self, *args, days=None, **options):
        kept = settings.ANONYMOUS_BEHAVIOUR_RETENTION_DAYS if days is None else days
        try:
            deleted = anonymous_behaviour_purge(days=days)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Deleted {deleted:,} anonymous interactions older than {kept} days.")
