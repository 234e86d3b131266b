from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from events import imports


class Command(BaseCommand):
    help = (
        "Import a season of events from a CSV file or a calendar (.ics) and generate their landing pages "
        "(drafts unless --publish). Prints every row's problems first; --dry-run stops there. Events that "
        "already exist (same title and start) are skipped, so running it twice creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="season.csv or season.ics")
        parser.add_argument("--publish", action="store_true", help="Publish the landing pages at once")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and show what would happen")
        parser.add_argument("--user", help="Username the events and pages are created as (owner, history)")

    def handle(self, *args, path, publish, dry_run, user=None, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user called {user!r}.")
        try:
            preview = imports.events_from_file(file)
        except imports.ImportFileError as error:
            raise CommandError(str(error)) from None

        for message in preview.warnings:
            self.stdout.write(self.style.WARNING(message))
        for row in preview.rows:
            for message in row.error_messages:
                self.stdout.write(self.style.ERROR(message))
            for message in row.warning_messages:
                self.stdout.write(self.style.WARNING(message))
            if row.skip_reason:
                self.stdout.write(f"{row.label}: skipped, {row.skip_reason}")
        self.stdout.write(
            f"{preview.total} rows: {preview.ready} to import, {preview.invalid} with errors, "
            f"{preview.skipped} skipped."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
            return

        result = imports.events_import(preview, publish=publish, user=owner)
        pages = "published" if result.publish else "drafts"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {result.created_count} events and {result.pages_created} landing pages ({pages}); "
                f"skipped {result.skipped_count}."
            )
        )
