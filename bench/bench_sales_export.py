"""Benchmark of the sales workspace's exports on PostgreSQL: a million people to CSV and to XLSX.

    .venv/bin/python bench/bench_sales_export.py [--people 1000000] [--formats csv,xlsx] [--unmasked] [--keep]
    options: --database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_sales
             (created if missing; dropped at the end unless --keep; --reuse skips the build when it holds N people)

Builds N people at N/10 companies, owned by 20 sales reps in two teams, with SQL generate_series
(seconds, not minutes), then runs what the admin runs for a big export: an ExportJob and its task's
body (sales.exports.services.export_job_run: the rows from sales.selectors.list_queryset for the
requesting user, keyset batches, progress saved every few thousand rows, the private file, the
audit entry), for everybody (a user who sees all people but not their personal data, so email and
phone are masked, the heavier path; --unmasked for a superuser) and for one rep's own people.

Each export runs in a child process of its own, so its memory is its own: the child prints its
resident memory before the export (Django loaded) and its peak (VmHWM) after. Targets, at
1,000,000 rows: CSV under 30 s, XLSX under 60 s, each under 150 MB peak.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_leads import reset_leads  # noqa: E402
from bench.harness import setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/signalpage_bench_sales"
EXPORT_ROOT = REPO / "bench" / ".data" / "sales-exports"
REPS = 20
TARGETS = {"csv": (30, 150), "xlsx": (60, 150)}  # seconds and peak MB at 1,000,000 rows


def proc_status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def build(people: int):
    """N people, N/10 companies, 20 reps (two teams); set-based, as bench_leads does."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from leads.models import SalesRep
    from sales.roles import SALES_REP

    reset_leads()
    User = get_user_model()
    User.objects.filter(username__startswith="bench-").delete()
    reps = [User.objects.create_user(f"bench-rep-{n}", first_name="Rep", last_name=f"Number {n}") for n in range(REPS)]
    SalesRep.objects.bulk_create(
        [SalesRep(user=rep, team="Inbound" if n % 2 else "Enterprise") for n, rep in enumerate(reps)]
    )
    Group.objects.get(name=SALES_REP).user_set.add(*reps)
    rep_ids = [rep.pk for rep in reps]
    companies = max(1, people // 10)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Modulo is written %% because these statements take parameters.
        cursor.execute(
            "INSERT INTO leads_company (name, name_key, industry, employee_band, employee_count, country,"
            " funding_stage, is_key_account, created_at, updated_at)"
            " SELECT 'Company ' || g, 'company ' || g,"
            " (ARRAY['banking','insurance','retail','software','healthcare'])[1 + g %% 5],"
            " (ARRAY['1-49','50-249','250-999','1000-4999','5000+'])[1 + g %% 5], (g * 37) %% 10000,"
            " (ARRAY['DE','US','FR','AT','GB'])[1 + g %% 5], '', g %% 97 = 0, now(), now()"
            " FROM generate_series(1, %s) g",
            [companies],
        )
        cursor.execute("SELECT min(id) FROM leads_company")
        first_company = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,"
            " company_id, consent, do_not_contact, stage, stage_changed_at, owner_id, fit_score, interest_score,"
            " grade, scored_at, interest_penalty, is_test, is_competitor, is_personal_email, created_at, updated_at)"
            " SELECT 'person' || g || '@company' || (g %% %s) || '.example',"
            " 'person' || g || '@company' || (g %% %s) || '.example',"
            " (ARRAY['Anna','Zoë','José','Li','Ole','Fatima'])[1 + g %% 6], 'Name ' || g,"
            " '+4930' || lpad(g::text, 7, '0'),"
            " (ARRAY['VP Marketing','Head of Growth, EMEA','CFO','Data \"Analyst\"','=Engineer'])[1 + g %% 5],"
            " (ARRAY['vp','individual','director','c_level','manager'])[1 + g %% 5],"
            " (ARRAY['DE','US','FR','AT','CH'])[1 + g %% 5], %s + g %% %s,"
            " (ARRAY['granted','unknown','denied'])[1 + g %% 3], g %% 50 = 0,"
            " (ARRAY['lead','mql','sql','nurture','opportunity'])[1 + g %% 5], now() - (g %% 90) * interval '1 day',"
            " (%s::bigint[])[1 + g %% %s], g %% 100, (g %% 700) / 7.0,"
            " (ARRAY['A1','A2','B1','B2','C3','D4'])[1 + g %% 6], now(), 0, false, false, g %% 7 = 0,"
            " now() - g * interval '1 second', now()"
            " FROM generate_series(1, %s) g",
            [companies, companies, first_company, companies, rep_ids, REPS, people],
        )
        cursor.execute("ANALYZE")
    print(
        f"built {people:,} people, {companies:,} companies, {REPS} reps in {time.perf_counter() - started:.1f}s",
        flush=True,
    )


def exporter(unmasked: bool):
    """Who exports everybody: a superuser, or someone who sees all people but not their email and phone."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    User = get_user_model()
    if unmasked:
        user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
        return user
    user, _ = User.objects.get_or_create(username="bench-all-masked")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="leads", codename__in=["view_person", "export_people", "view_all_people"]
        )
    )
    return user


def new_job(user, file_format: str, title: str, masked: bool):
    from leads.models import Person
    from sales.exports import columns as registry
    from sales.models import ExportJob

    keys = registry.default_keys("people", Person.objects.all())
    return ExportJob.objects.create(
        requested_by=user,
        list_name="people",
        title=title,
        params="",
        columns=keys,
        file_format=file_format,
        masked=masked,
    )


def run_child(database_url: str, job_id: int) -> dict:
    """Run one job in a fresh process; returns what it measured."""
    env = {**os.environ, "SALES_EXPORT_ROOT": str(EXPORT_ROOT)}
    completed = subprocess.run(
        [sys.executable, __file__, "_child", "--database-url", database_url, "--job", str(job_id)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"the export child failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child(job_id: int):
    """The task worker's part: the job's body, timed, with this process's memory before and at its peak."""
    from django.db import connection

    from sales.exports.services import export_job_run
    from sales.models import ExportJob

    connection.ensure_connection()
    before = proc_status("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    status = export_job_run(job_id)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    job = ExportJob.objects.get(pk=job_id)
    print(
        json.dumps(
            {
                "status": status,
                "error": job.error,
                "rows": job.rows_done,
                "bytes": job.file_size,
                "seconds": seconds,
                "cpu": cpu,
                "rss_before_kb": before,
                "peak_kb": proc_status("VmHWM"),
            }
        )
    )


def report(label: str, result: dict, target: tuple[int, int] | None):
    if result["status"] != "done":
        print(f"{label}: {result['status']} {result['error']}")
        return True
    rows, seconds, peak_mb = result["rows"], result["seconds"], result["peak_kb"] / 1024
    line = (
        f"{label}: {rows:,} rows in {seconds:.1f}s ({rows / seconds:,.0f} rows/s; "
        f"{result['cpu']:.1f}s CPU in the exporting process), "
        f"{result['bytes'] / 1e6:.0f} MB file, peak RSS {peak_mb:.0f} MB "
        f"(after start-up {result['rss_before_kb'] / 1024:.0f} MB)"
    )
    if target:
        target_seconds, target_mb = target
        scaled = seconds * 1_000_000 / max(rows, 1)
        verdict = "OK" if scaled < target_seconds and peak_mb < target_mb else "MISSED"
        line += f"\n  target < {target_seconds}s and < {target_mb} MB at 1,000,000 rows: {verdict}"
        if rows != 1_000_000:
            line += f" (at 1,000,000 rows that pace would be {scaled:.0f}s)"
    print(line, flush=True)
    return True


def drop_database(database_url: str):
    import psycopg
    from django.db import connections

    connections.close_all()
    name = urlsplit(database_url).path.lstrip("/")
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped the database {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="run", choices=["run", "_child"])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SALES_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv, xlsx")
    parser.add_argument("--unmasked", action="store_true", help="export as a superuser (email and phone shown)")
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="skip the build when the database holds --people")
    parser.add_argument("--job", type=int)
    args = parser.parse_args()
    if not urlsplit(args.database_url).scheme.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL (--database-url postgres://...).")
    os.environ["SALES_EXPORT_ROOT"] = str(EXPORT_ROOT)
    if args.what == "_child":
        setup_django(args.database_url, migrate=False)
        child(args.job)
        return

    setup_django(args.database_url)
    from leads.models import Person

    try:
        if not (args.reuse and Person.objects.count() == args.people):
            build(args.people)
        user = exporter(args.unmasked)
        masked = not args.unmasked
        print(
            f"exporting as {user.username} ({'masked' if masked else 'unmasked'} email and phone), "
            f"each export in its own process",
            flush=True,
        )
        for file_format in [f.strip() for f in args.formats.split(",") if f.strip()]:
            job = new_job(user, file_format, f"Everybody {file_format}", masked)
            report(
                f"{file_format.upper()}, everybody",
                run_child(args.database_url, job.pk),
                target=TARGETS.get(file_format),
            )
        from django.contrib.auth import get_user_model

        rep = get_user_model().objects.get(username="bench-rep-0")
        job = new_job(rep, "csv", "Rep's own", True)
        report("CSV, one rep's own people (scope applied)", run_child(args.database_url, job.pk), target=None)
    finally:
        shutil.rmtree(EXPORT_ROOT, ignore_errors=True)
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
