"""manage.py reports_order_credit: write the people's attribution credit rows again in day order."""

from django.core.management.base import BaseCommand

from reports.attribution.person_credit import credit_order_by_day


class Command(BaseCommand):
    help = (
        "Write the people's attribution credit rows (reports.PersonCredit) again in day order, so attribution "
        "narrowed by journey filters reads only the period's part of the table. PostgreSQL only; holds the "
        "table alone while it runs (about 35 s at a million people). Monthly is enough: the sweep scatters "
        "only the rows of the people it computes again."
    )

    def handle(self, *args, **options):
        if credit_order_by_day():
            self.stdout.write(self.style.SUCCESS("The people's credit rows are in day order."))
        else:
            self.stdout.write("Nothing to do: the rows are ordered only on PostgreSQL.")
