"""Benchmarks of the lead store on PostgreSQL (or any DATABASE_URL).

    .venv/bin/python bench/bench_leads.py capture [--count 100000]
    .venv/bin/python bench/bench_leads.py rescore [--people 1000000 --interactions 5000000 --rules 20 --sample 1000]
    options: --database-url postgres://postgres@127.0.0.1:5432/bench_leads (created if missing)

capture: N submissions through leads.services.lead_capture, in process, one after another (a mix
  of new people, returning people, junk and contact-sales), with 20 scoring rules and 5 sales reps;
  prints leads/s and p50/p95/p99 per capture.
rescore: builds N people at M/10 companies and I interactions over 400 days with SQL
  generate_series (fast), then times the bulk path (people_rescore_all) and the per-person path
  on a sample, and prints seconds, peak memory of this process, and the ratio.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import print_machine, setup_django  # noqa: E402


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def reset_leads():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_crmdeliveryattempt, leads_crmdelivery, leads_stagetransition,"
            " leads_interaction, leads_visitorlink, leads_personmerge, leads_lead, leads_person, leads_companydomain,"
            " leads_company, leads_scoringrule, leads_salesrep, django_tasks_database_dbtaskresult"
            " RESTART IDENTITY CASCADE"
            if connection.vendor == "postgresql"
            else "SELECT 1"
        )


def default_rules(count=20):
    """The demo's default rules (the ones a new install shows) plus three, for the 20 the benchmark uses."""
    from cms.demo.leads import FIT_RULES, INTEREST_RULES
    from leads.models import ScoringRule

    fit = [*FIT_RULES, ("Key account", "company__is_key_account", "is_true", "", 25)]
    interest = [
        *INTEREST_RULES,
        ("Email open", "email_open", 1, {"half_life_days": 7, "cap_points": 5}),
        ("AI topic", "content_download", 5, {"topic": "ai"}),
    ]
    rules = [ScoringRule(name=n, kind="fit", attribute=a, operator=o, value=v, points=p) for n, a, o, v, p in fit]
    rules += [
        ScoringRule(name=n, kind="interest", interaction_type=t, points=p, **extra) for n, t, p, extra in interest
    ]
    ScoringRule.objects.bulk_create(rules[:count])


def capture_worker(args):
    """One capturing process (a web worker): its own connection, its share of the submissions."""
    database_url, first, count = args
    setup_django(database_url, migrate=False)
    from django.db import connection

    timings = capture_many(first, count, progress=False)
    connection.close()
    return timings


def bench_capture(count, workers, database_url, process_limit):
    from multiprocessing import get_context

    from django.contrib.auth import get_user_model
    from django.db import connections

    from leads.models import SalesRep

    reset_leads()
    default_rules()
    User = get_user_model()
    for n in range(5):
        user, _ = User.objects.get_or_create(username=f"bench-rep-{n}")
        SalesRep.objects.create(user=user, weight=1 + n % 2, territories="DE,AT,CH" if n == 0 else "")
    started = time.perf_counter()
    if workers == 1:
        timings = capture_many(0, count, progress=True)
    else:
        connections.close_all()
        share = count // workers
        with get_context("spawn").Pool(workers) as pool:
            parts = pool.map(capture_worker, [(database_url, w * share, share) for w in range(workers)])
        timings = [t for part in parts for t in part]
        count = len(timings)
    total = time.perf_counter() - started
    report(
        f"capture (store raw lead + enqueue processing, as a request does), {workers} process(es)",
        count,
        total,
        timings,
    )
    process_queue(process_limit)


def capture_many(first, count, progress):
    from leads.services import lead_capture

    rng = random.Random(first + 1)
    kinds = ["content_download"] * 6 + ["form_submit"] * 2 + ["event_registered", "contact_sales"]
    timings = []
    started = time.perf_counter()
    for n in range(first, first + count):
        returning = n > 1000 and rng.random() < 0.25
        who = rng.randrange(max(1, n // 2)) if returning else n
        email = f"person{who}@company{who % 5000}.de" if rng.random() > 0.05 else f"test{n}@example.com"
        payload = {
            "email": email,
            "first_name": "Jane",
            "last_name": f"Doe{who}",
            "company": f"Company {who % 5000}",
            "job_title": rng.choice(["VP Marketing", "Engineer", "Head of Growth", "CFO", "Student"]),
            "country": rng.choice(["DE", "US", "FR", "AT"]),
            "phone": "+49 30 12345678",
            "utm_source": "linkedin",
            "utm_campaign": f"campaign-{n % 20}",
        }
        t0 = time.perf_counter()
        lead_capture(
            source="form",
            payload=payload,
            origin_type="content",
            origin_id=str(n % 50),
            origin_label=f"Whitepaper {n % 50}",
            visitor_id=f"v_{who:012d}",
            interaction_type=rng.choice(kinds),
        )
        timings.append(time.perf_counter() - t0)
        done = n - first + 1
        if progress and done % max(1, count // 10) == 0:
            elapsed = time.perf_counter() - started
            print(f"  {done:>8,} captured  {elapsed:7.1f}s  {done / elapsed:7.0f} leads/s", flush=True)
    return timings


def process_queue(limit=None):
    """What a task worker does with the queue: process each lead (clean, resolve, score, route)."""
    from leads.models import Lead
    from leads.services.capture import lead_process

    timings = []
    started = time.perf_counter()
    pending = Lead.objects.filter(status="received").order_by("pk")
    for lead in (pending[:limit] if limit else pending).iterator(chunk_size=1000):
        t0 = time.perf_counter()
        lead_process(lead)
        timings.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    report(
        "processing by one task worker (clean, resolve, interaction, rescore, stage rules, routing)",
        len(timings),
        total,
        timings,
    )
    print(
        f"  leads {Lead.objects.count():,}: processed {Lead.objects.filter(status='processed').count():,}, "
        f"failed {Lead.objects.filter(status='failed').count()}, flagged "
        f"{Lead.objects.filter(verdict='flagged').count():,}"
    )


def report(title, count, total, timings):
    ms = sorted(t * 1000 for t in timings)
    print(f"\n{title}: {count:,} in {total:.1f}s = {count / total:,.0f}/s")
    print(
        f"  per lead p50 {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, "
        f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms"
    )


def bench_rescore(people, interactions, rules, sample):
    from django.db import connection
    from django.utils import timezone

    from leads.models import Person
    from leads.services import people_rescore_all, person_rescore

    reset_leads()
    default_rules(rules)
    companies = max(1, people // 10)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # Modulo is written %% because these statements take parameters.
        cursor.execute(
            "INSERT INTO leads_company (name, name_key, industry, employee_band, employee_count, country,"
            " funding_stage, is_key_account, created_at, updated_at)"
            " SELECT 'Company ' || g, 'company ' || g, (ARRAY['banking','insurance','retail','software'])[1 + g %% 4],"
            " '', (g * 37) %% 10000, (ARRAY['DE','US','FR','AT'])[1 + g %% 4], '', g %% 97 = 0, now(), now()"
            " FROM generate_series(1, %s) g",
            [companies],
        )
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,"
            " company_id, consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty,"
            " is_test, is_competitor, is_personal_email, created_at, updated_at)"
            " SELECT 'p' || g || '@c.de', 'p' || g || '@c.de', 'P', 'Erson', '',"
            " (ARRAY['VP Marketing','Engineer','Head of Growth','CFO'])[1 + g %% 4],"
            " (ARRAY['vp','individual','director','c_level','student'])[1 + g %% 5],"
            " (ARRAY['DE','US','FR','AT','CH'])[1 + g %% 5], 1 + g %% %s, 'unknown', false, 'lead', 0, 0, '', 0,"
            " false, g %% 500 = 0, g %% 7 = 0, now(), now() FROM generate_series(1, %s) g",
            [companies, people],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT (ARRAY['page_view','page_view','page_view','content_download','email_open','email_click',"
            "'event_registered','event_attended','contact_sales','unsubscribe'])[1 + (g * 7) %% 10],"
            " now() - ((g * 7919) %% 400) * interval '1 day' - (g %% 86400) * interval '1 second',"
            " 1 + (g * 104729) %% %s, '', 'whitepaper',"
            " CASE WHEN g %% 13 = 0 THEN 'pricing' ELSE (g %% 50)::text END,"
            " '', CASE WHEN g %% 3 = 0 THEN ',ai,' ELSE ',data,' END, '{}'::jsonb"
            " FROM generate_series(1::bigint, %s::bigint) g",
            [people, interactions],
        )
        cursor.execute("ANALYZE")
    print(
        f"built {people:,} people, {companies:,} companies, {interactions:,} interactions, {rules} rules "
        f"in {time.perf_counter() - t0:.1f}s"
    )

    now = timezone.now()

    def progress(step, count, elapsed):
        print(f"  [{elapsed:7.2f}s] {step}" + ("" if count is None else f": {count:,}"), flush=True)

    print(f"\nrescore everybody, first time (every score moves): load average {load()}", flush=True)
    t0 = time.perf_counter()
    people_rescore_all(now=now, progress=progress)
    bulk = time.perf_counter() - t0
    # The nightly runs: at the same moment nothing moves (nothing to write); a day later decay moves
    # the interest of whoever has decaying points.
    nightly = [("again, same moment (nothing moves)", now), ("a day later (decay)", now + timedelta(days=1))]
    for title, moment in nightly:
        print(f"\nrescore everybody {title}: load average {load()}", flush=True)
        t1 = time.perf_counter()
        people_rescore_all(now=moment, progress=progress)
        print(f"  total {time.perf_counter() - t1:.1f}s", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = list(Person.objects.order_by("?").values_list("pk", flat=True)[:sample])
    t0 = time.perf_counter()
    for pk in ids:
        person_rescore(Person(pk=pk), now=now)
    per_person = (time.perf_counter() - t0) / len(ids)
    estimate = per_person * people
    print(
        f"\nrescore bulk, first time: {bulk:.1f}s for {people:,} people ({people / bulk:,.0f} people/s); "
        f"peak memory of this process {peak_mb:.0f} MB"
    )
    print(
        f"rescore per person: {per_person * 1000:.2f} ms each on a sample of {len(ids):,}; "
        f"for everybody that would be {estimate:,.0f}s -> bulk is {estimate / bulk:.0f}x faster"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["capture", "rescore"])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_leads")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="capturing processes, like web workers")
    parser.add_argument(
        "--process", type=int, default=5_000, help="how many of the captured leads to process afterwards (0: all)"
    )
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print("command        " + " ".join(sys.argv))
    print_machine()
    setup_django(args.database_url)
    if args.what == "capture":
        bench_capture(args.count, args.workers, args.database_url, args.process or None)
    else:
        bench_rescore(args.people, args.interactions, args.rules, args.sample)


if __name__ == "__main__":
    main()
