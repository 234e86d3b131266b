"""Benchmark of lead imports on PostgreSQL (or any DATABASE_URL).

    .venv/bin/python bench/bench_imports.py [--rows 100000] [--existing 20000] [--batch 1000]
    options: --database-url postgres://postgres@127.0.0.1:5432/bench_imports (created if missing)

Builds a CSV of N rows (about 70% new people at 5,000 companies, 20% people already in the lead
store, 10% junk: invalid or throwaway emails, test data, made-up phones), with 20 scoring rules and
the existing people's history in place, then runs it through what the admin runs: upload
(`import_upload`: store, check, count), preview (`import_preview`: every row checked) and the task's
body (`import_run`: every row through `leads.services.bulk.BulkCapture`, a batch at a time, progress
and summary written with each batch). Prints rows/s for each step and seconds per phase.
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_leads import default_rules, reset_leads  # noqa: E402
from bench.harness import setup_django  # noqa: E402


def build_csv(rows: int, existing: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "E-mail",
            "First name",
            "Last name",
            "Company name",
            "Job title",
            "Phone",
            "Country",
            "Industry",
            "Employees",
            "Consent",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "Notes",
        ]
    )
    titles = ["VP Marketing", "Engineer", "Head of Growth", "CFO", "Marketing Manager", "Data Analyst", "CEO"]
    countries = ["DE", "Germany", "US", "FR", "AT", "CH", "United Kingdom", "SE"]
    industries = ["banking", "insurance", "retail", "software", "manufacturing"]
    for n in range(rows):
        draw = rng.random()
        if draw < 0.10:  # junk
            kind = n % 4
            email = ["not-an-email", f"someone{n}@mailinator.com", f"test{n}@example.com", f"ok{n}@firm{n % 5000}.com"][
                kind
            ]
            phone = "1111111" if kind == 3 else ""
            writer.writerow([email, "Jo", f"Junk{n}", f"Firm {n % 5000}", "", phone, "DE", "", "", "", "list", "", ""])
            continue
        if draw < 0.30:  # a person we already know
            who = rng.randrange(existing)
            email = f"p{who}@existing{who % 2000}.de"
            company = f"Existing {who % 2000}"
        else:
            email = f"new{n}@firm{n % 5000}.com"
            company = f"Firm {n % 5000}"
        writer.writerow(
            [
                email,
                rng.choice(["Anna", "Zoë", "José", "Li", "Ole", "Fatima"]),
                f"Name{n}",
                company,
                rng.choice(titles),
                rng.choice(["", "+49 30 1234567", "+1 212 555 0134", ""]),
                rng.choice(countries),
                rng.choice(industries),
                str(rng.choice([12, 80, 400, 2500, 9000])),
                rng.choice(["yes", "", "no"]),
                "tradefair",
                "offline",
                f"fair-{n % 10}",
                "met at the booth" if n % 5 == 0 else "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def build_existing(existing: int):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_company (name, name_key, industry, employee_band, employee_count, country,"
            " funding_stage, is_key_account, created_at, updated_at)"
            " SELECT 'Existing ' || g, 'existing ' || g, 'banking', '', 300, 'DE', '', g %% 500 = 0, now(), now()"
            " FROM generate_series(0, 1999) g",
            [],
        )
        cursor.execute(
            "INSERT INTO leads_companydomain (company_id, domain)"
            " SELECT id, 'existing' || substr(name, 10) || '.de' FROM leads_company WHERE name LIKE 'Existing %%'",
            [],
        )
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,"
            " company_id, consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty,"
            " is_test, is_competitor, is_personal_email, created_at, updated_at)"
            " SELECT 'p' || g || '@existing' || (g %% 2000) || '.de', 'p' || g || '@existing' || (g %% 2000) || '.de',"
            " 'Known', 'Person', '', 'Analyst', 'individual', 'DE', c.id, 'unknown', false, 'lead', 0, 0, '', 0,"
            " false, false, false, now(), now()"
            " FROM generate_series(0, %s - 1) g JOIN leads_company c ON c.name = 'Existing ' || (g %% 2000)",
            [existing],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT (ARRAY['page_view','content_download','email_open','event_attended'])[1 + g %% 4],"
            " now() - (g %% 300) * interval '1 day', p.id, '', 'whitepaper', (g %% 50)::text, '', ',ai,', '{}'::jsonb"
            " FROM leads_person p, generate_series(1, 5) g",
            [],
        )
        cursor.execute("ANALYZE")
    # The steady state: known people were scored, and those who qualified went to sales back then.
    from leads.services import people_rescore_all

    people_rescore_all()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_person SET stage = 'mql', stage_changed_at = now() WHERE grade IN ('A1', 'A2', 'B1')"
            " OR company_id IN (SELECT id FROM leads_company WHERE is_key_account)",
            [],
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_imports")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from forms.imports import services
    from forms.models import LeadImport
    from leads.models import Lead, Person
    from leads.services.bulk import BulkCapture

    private = tempfile.mkdtemp(prefix="bench-imports-")
    settings.LEAD_IMPORT_ROOT = private
    settings.LEAD_IMPORT_BATCH_SIZE = args.batch
    reset_leads()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE leadforms_leadimportresult, leadforms_leadimport RESTART IDENTITY CASCADE")
    default_rules()
    t0 = time.perf_counter()
    build_existing(args.existing)
    content = build_csv(args.rows, args.existing)
    print(
        f"built {args.existing:,} known people with 5 interactions each and a {len(content) / 1e6:.1f} MB CSV of "
        f"{args.rows:,} rows in {time.perf_counter() - t0:.1f}s ({connection.vendor})"
    )

    captures = []

    class RecordingCapture(BulkCapture):  # the same class, remembered so its phase timings can be printed
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            captures.append(self)

    services.BulkCapture = RecordingCapture

    t0 = time.perf_counter()
    lead_import = services.import_upload(SimpleUploadedFile("bench.csv", content), name="Bench import")
    upload = time.perf_counter() - t0
    print(
        f"\nupload (store, detect encoding/delimiter, count rows): {upload:.1f}s = {args.rows / upload:,.0f} rows/s;"
        f" mapping guessed: {dict(zip(lead_import.headers, lead_import.mapping, strict=True))}"
    )
    t0 = time.perf_counter()
    preview = services.import_preview(lead_import)
    checked = time.perf_counter() - t0
    print(
        f"preview (every row checked): {checked:.1f}s = {args.rows / checked:,.0f} rows/s; good {preview.good:,}, "
        f"warnings {preview.warnings:,}, bad {preview.bad:,}, repeats {preview.repeats:,}"
    )

    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.QUEUED)
    t0 = time.perf_counter()
    status = services.import_run(lead_import.pk)
    total = time.perf_counter() - t0
    lead_import.refresh_from_db()
    print(
        f"\nimport (the task: {args.batch:,} rows a batch): {status}, {lead_import.rows_done:,} rows in {total:.1f}s "
        f"= {lead_import.rows_done / total:,.0f} rows/s"
    )
    print(
        f"  created {lead_import.created_count:,}, updated {lead_import.updated_count:,}, rejected "
        f"{lead_import.rejected_count:,} {lead_import.reason_counts}, failed {lead_import.failed_count}"
    )
    timings = captures[-1].timings
    accounted = sum(timings.values())
    for phase, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        print(f"  {phase:<14} {seconds:7.2f}s  {seconds / total:5.1%}  ({lead_import.rows_done / seconds:,.0f} rows/s)")
    print(f"  {'other':<14} {total - accounted:7.2f}s  (reading the file, transactions)")
    print(f"  leads now {Lead.objects.count():,}, people {Person.objects.count():,}")
    os.environ.pop("LEAD_IMPORT_ROOT", None)


if __name__ == "__main__":
    main()
