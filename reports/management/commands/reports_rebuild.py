"""manage.py reports_rebuild [--since DATE]: compute the reports' rollups again from the raw rows."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.attribution.rollup import attribution_rebuild
from reports.rollups.rebuild import default_since, journeys_rebuild, visitors_rebuild


class Command(BaseCommand):
    help = (
        "Compute the reports' rollups again from the raw rows: every person's journey and the daily "
        "visitors, then everybody's attribution credit. With --since, only people created and visitor-days from "
        "that day on (the credit is always computed for everybody: it reads both)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="YYYY-MM-DD: people created and days from then on (default: every person; visitor-days "
            "from the anonymous-behaviour retention on, as older anonymous page views are purged)",
        )

    def handle(self, *args, since=None, **options):
        if since:
            try:
                since = date.fromisoformat(since)
            except ValueError as error:
                raise CommandError(f"--since: expected a date as YYYY-MM-DD, got {since!r}") from error
        verbosity = options.get("verbosity", 1)

        def progress(line):
            if verbosity >= 1:
                self.stdout.write(line)

        people = journeys_rebuild(since=since, progress=progress)
        days = visitors_rebuild(since=since or default_since(), progress=progress)
        credited = attribution_rebuild(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {people:,} journeys, {days:,} visitor-days and the attribution credit of {credited:,} people."
            )
        )
