"""An export's memory does not grow with its length: 200,000 rows take about what 20,000 take.

The process's resident memory is sampled while the export service writes a CSV of 20,000 people,
then, with 180,000 more people in the table, of all 200,000. A file built in memory, a list of every
row or a query log would make the second rise about ten times the first; keyset batches keep both
at one batch's worth. The margin is generous (3x, or 20 MB), the claim is about the shape, not the
bytes; no timing is asserted. (tracemalloc would be more exact, and six times slower.)
"""

import gc
import os
import tempfile

import pytest
from django.db import connection
from django.utils import timezone

from leads.models import Company, Person
from sales.exports import services

pytestmark = pytest.mark.django_db

MARGIN = 20 * 1024 * 1024

# Every column of leads_person, as SQL on the row number n (portable: SQLite and PostgreSQL). Written
# in SQL rather than bulk_create: 200,000 rows in a second or two instead of a minute or more.
PERSON_SQL = {
    "email": "'person' || n || '@firm' || (n %% 97) || '.example'",
    "email_key": "'person' || n || '@firm' || (n %% 97) || '.example'",
    "first_name": "CASE WHEN n %% 3 = 0 THEN '=HYPERLINK(1)' ELSE 'Zoë' END",
    "last_name": "'Name ' || n",
    "phone": "'+4930123456'",
    "job_title": "'Head of Growth, EMEA'",
    "seniority": "'director'",
    "country": "'DE'",
    "company_id": "%(company)s + n %% 97",
    "consent": "'granted'",
    "do_not_contact": "false",
    "stage": "'mql'",
    "stage_changed_at": "NULL",
    "owner_id": "%(owner)s",
    "fit_score": "n %% 100",
    "interest_score": "(n %% 70) / 3.0",
    "grade": "'A1'",
    "scored_at": "NULL",
    "interest_penalty": "0",
    "mql_blocked_until": "NULL",
    "is_test": "false",
    "is_competitor": "false",
    "is_personal_email": "false",
    "created_at": "%(now)s",
    "updated_at": "%(now)s",
}


def add_people(start: int, count: int, first_company_id: int, owner):
    columns = [field.column for field in Person._meta.concrete_fields if field.column != "id"]
    missing = set(columns) - set(PERSON_SQL)
    assert not missing, f"add the new Person columns {missing} to PERSON_SQL"
    sql = (
        f"WITH RECURSIVE seq(n) AS (SELECT %(first)s UNION ALL SELECT n + 1 FROM seq WHERE n < %(last)s) "
        f"INSERT INTO {Person._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(PERSON_SQL[column] for column in columns)} FROM seq"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "first": start,
                "last": start + count - 1,
                "company": first_company_id,
                "owner": owner.pk,
                "now": timezone.now(),
            },
        )


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def growth_of_export(user) -> tuple[int, int]:
    """Rows written, and how far the process's resident memory rose above where it started (sampled after
    every batch: a file or a list of rows built in memory shows at the end, whatever happens between)."""
    spec = services.spec_for(
        user, list_name="people", params="", title="everybody", columns=None, file_format="csv", mask=True
    )
    queryset = services.export_rows("people", user=user, params=spec.params)
    gc.collect()
    before = resident_bytes()
    peak = [before]

    def progress(rows):
        peak[0] = max(peak[0], resident_bytes())

    with tempfile.TemporaryFile() as output:
        rows = services.write_file(output, spec, queryset, progress=progress)
    return rows, peak[0] - before


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from Linux's /proc")
def test_exporting_ten_times_the_rows_does_not_take_ten_times_the_memory(django_user_model, settings):
    settings.SALES_EXPORT_BATCH_SIZE = 2000
    admin = django_user_model.objects.create_superuser("exporter", "exporter@signalpage.test", "x")
    companies = Company.objects.bulk_create(
        [
            Company(name=f"Firm {n}", name_key=f"firm {n}", industry="banking", employee_band="250-999")
            for n in range(97)
        ]
    )
    first_company = min(company.pk for company in companies)
    assert Company.objects.filter(pk__gte=first_company, pk__lt=first_company + 97).count() == 97
    add_people(0, 20_000, first_company, admin)
    small_rows, small_growth = growth_of_export(admin)
    add_people(20_000, 180_000, first_company, admin)
    big_rows, big_growth = growth_of_export(admin)

    assert (small_rows, big_rows) == (20_000, 200_000)
    # Rows kept in memory would cost ~1 kB each: 200 MB here. One batch's worth is a few MB.
    assert big_growth < max(3 * small_growth, small_growth + MARGIN), (small_growth, big_growth)
