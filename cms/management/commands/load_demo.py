import logging

from django.core.management.base import BaseCommand

from cms.demo.leads import SALES_USERS
from cms.demo.loader import DEMO_PASSWORD, DEMO_USERNAME, DemoLoader


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
        try:
            report = DemoLoader().load()
        finally:
            wagtail_logger.setLevel(previous_level)
        if report.created:
            self.stdout.write(self.style.SUCCESS(f"Demo content: created {len(report.created)} objects."))
        else:
            self.stdout.write("Demo content: already loaded, nothing changed.")
        if report.user_skipped_reason:
            self.stdout.write(f"Demo admin user not created: {report.user_skipped_reason}.")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo admin: user name '{DEMO_USERNAME}', password '{DEMO_PASSWORD}' "
                    "(admin at /admin/). Change it before exposing this site."
                )
            )
            self.stdout.write(
                f"Demo sales reps (same password): {', '.join(user[0] for user in SALES_USERS)}."
            )
