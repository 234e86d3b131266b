import logging
import time

from django.core.management.base import BaseCommand

from cms.demo.leads import DEMO_LOGINS
from cms.demo.loader import DEMO_PASSWORD, DEMO_USERNAME, DemoLoader
from cms.demo.summary import demo_summary


class Command(BaseCommand):
    help = (
        "Build the Northwind Signal demo site: pages, whitepapers with generated PDFs, case studies, "
        "images, menus and a demo superuser. Safe to run again: nothing existing is changed or duplicated."
    )

    def handle(self, *args, **options):
        # Wagtail logs every page created and published at INFO: dozens of lines nobody needs here.
        wagtail_logger = logging.getLogger("wagtail")
        previous_level = wagtail_logger.level
        wagtail_logger.setLevel(logging.WARNING)
        started = time.monotonic()

        def progress(step):
            self.stdout.write(f"  [{time.monotonic() - started:5.0f}s] {step}…")
            self.stdout.flush()

        self.stdout.write("Loading the demo (the first time takes a few minutes; later runs only check):")
        try:
            report = DemoLoader(progress=progress).load()
        finally:
            wagtail_logger.setLevel(previous_level)
        elapsed = time.monotonic() - started
        if report.created:
            self.stdout.write(self.style.SUCCESS(f"Demo content loaded in {elapsed:.0f}s. The demo holds:"))
        else:
            self.stdout.write(f"Demo content: already loaded, nothing changed ({elapsed:.0f}s). It holds:")
        for line in demo_summary():
            self.stdout.write(f"  {line}")
        if report.user_skipped_reason:
            self.stdout.write(f"Demo admin user not created: {report.user_skipped_reason}.")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo logins at /admin/, one per role, all with the password '{DEMO_PASSWORD}' "
                    f"('{DEMO_USERNAME}' is the superuser). Change them before exposing this site."
                )
            )
            for role, username, sees in DEMO_LOGINS:
                self.stdout.write(f"  {role}: {username} ({sees})")
