from django.core.management.base import BaseCommand

from leads.services import people_rescore_all


class Command(BaseCommand):
    help = (
        "Rescore everybody: fit and interest (decay changes interest every day) and grades, in one set-based "
        "statement in the database, then make an MQL of everyone the new scores qualify (owner, CRM push). "
        "Run it nightly (cron, or the rescore_everyone background task)."
    )

    def handle(self, *args, **options):
        def progress(step, count, elapsed):
            shown = "" if count is None else f": {count:,}"
            self.stdout.write(f"  [{elapsed:7.2f}s] {step}{shown}")

        self.stdout.write("Rescoring everybody ...")
        counts = people_rescore_all(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {counts['people scored']:,} people rescored, {counts['became MQL']:,} became MQL."
            )
        )
