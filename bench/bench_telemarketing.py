"""Benchmark of the telemarketing queue on PostgreSQL: its pages at 100,000 people and a million interactions.

    .venv/bin/python bench/bench_telemarketing.py [--people 100000] [--per-person 10] [--runs 7] [--keep] [--reuse]
    options: --database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_telemarketing
             (created if missing; dropped at the end unless --keep; --reuse skips the build when it holds N people)

Builds N people at N/10 companies with SQL generate_series: 60% leads, four in five of them owned by
nobody, seven in ten with a phone, every grade A1..D4; `--per-person` interactions each over 90 days
(page views, downloads, a few tag changes); and calls for one person in twenty over the last 100 days,
every outcome. Then loads the queue's pages through Django's test client, as a browser would (the
whole request): the admin dashboard for scale (what any admin page costs here), page 1 for a
telemarketer and an administrator, a deep page (page 40, the last the queue numbers), narrowed by
grade and country, a call screen; and times the queue's count (what page 1 counts, up to 1,001) and
one call recorded (no answer: the call, the rescore of the person, the stage rules). Prints the
median and the slowest of `--runs` and the query count. Target: every page under 300 ms, as the sales
lists.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_leads import reset_leads  # noqa: E402
from bench.harness import drop_postgres_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/signalpage_bench_telemarketing"
TARGET_MS = 300


def build(people: int, per_person: int):
    """Set-based, as bench_sales_export does: seconds, not minutes."""
    from django.db import connection

    reset_leads()
    companies = max(1, people // 10)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Modulo is written %% because these statements take parameters.
        cursor.execute(
            "INSERT INTO leads_company (name, name_key, industry, employee_band, employee_count, country,"
            " funding_stage, is_key_account, created_at, updated_at)"
            " SELECT 'Company ' || g, 'company ' || g, (ARRAY['banking','insurance','retail'])[1 + g %% 3],"
            " '250-999', 500, (ARRAY['DE','US','FR','AT','GB'])[1 + g %% 5], '', false, now(), now()"
            " FROM generate_series(1, %s) g",
            [companies],
        )
        cursor.execute("SELECT min(id) FROM leads_company")
        first_company = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,"
            " company_id, consent, do_not_contact, stage, stage_changed_at, owner_id, fit_score, interest_score,"
            " grade, scored_at, interest_penalty, is_test, is_competitor, is_personal_email, created_at, updated_at)"
            " SELECT 'person' || g || '@company' || (g %% %s) || '.example', 'person' || g || '@company'"
            " || (g %% %s) || '.example', 'Anna', 'Name ' || g,"
            " CASE WHEN g %% 10 < 7 THEN '+4930' || lpad(g::text, 7, '0') ELSE '' END, 'VP Marketing', 'vp',"
            " (ARRAY['DE','US','FR','AT','CH'])[1 + g %% 5], %s + g %% %s, 'granted', g %% 97 = 0,"
            " CASE WHEN g %% 5 < 3 THEN 'lead' ELSE (ARRAY['mql','sql','nurture','disqualified'])[1 + g %% 4] END,"
            " now(), NULL, g %% 100, (g %% 70)::float,"
            " (ARRAY['A1','A2','A3','A4','B1','B2','B3','B4','C1','C2','C3','C4','D1','D2','D3','D4'])[1 + g %% 16],"
            " now(), 0, g %% 211 = 0, g %% 223 = 0, false, now() - g * interval '1 second', now()"
            " FROM generate_series(1, %s) g",
            [companies, companies, first_company, companies, people],
        )
        cursor.execute("SELECT id FROM auth_user WHERE username = 'bench-rep'")
        rep = cursor.fetchone()[0]
        # One lead in five is owned (a key account's people): not the queue's to call.
        cursor.execute("UPDATE leads_person SET owner_id = %s WHERE stage <> 'lead' OR id %% 5 = 0", [rep])
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT (ARRAY['page_view','page_view','page_view','content_download','tag_added'])[1 + (p.id + k) %% 5],"
            " now() - ((p.id * 7919 + k * 104729) %% 129600) * interval '1 minute', p.id, '', 'page', 'pricing',"
            " 'Pricing', '', '{}'::jsonb"
            " FROM leads_person p, generate_series(1, %s) k",
            [per_person],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT 'call', now() - ((p.id * 31) %% 144000) * interval '1 minute', p.id, '', 'call',"
            " (ARRAY['no_answer','reached','not_interested','wrong_number','no_answer'])[1 + p.id %% 5],"
            " 'A call, by Bench', '', '{\"by\": \"Bench\"}'::jsonb"
            " FROM leads_person p WHERE p.id %% 20 = 0",
            [],  # no parameters, but the statement is formatted: %% stays one %
        )
        cursor.execute("ANALYZE")
    print(f"built {people:,} people, {people * per_person:,} interactions in {time.perf_counter() - started:.1f}s")


def users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from leads.models import SalesRep
    from sales.roles import TELEMARKETER

    User = get_user_model()
    rep, _ = User.objects.get_or_create(username="bench-rep")
    SalesRep.objects.get_or_create(user=rep)
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    caller, created = User.objects.get_or_create(username="bench-telemarketer", defaults={"first_name": "Tina"})
    if created:
        caller.groups.add(Group.objects.get(name=TELEMARKETER))
    return admin, caller


def timed(call, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm: caches, the first query plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        call()
    return statistics.median(times), max(times), len(queries)


def plain_static_storage():
    """Admin pages name their static files; without collectstatic, the plain storage (as the tests use)."""
    from django.conf import settings
    from django.contrib.staticfiles import storage as staticfiles
    from django.core.files.storage import storages
    from django.utils.functional import empty

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    storages._backends = None
    storages.__dict__.pop("backends", None)
    storages._storages.clear()
    staticfiles.staticfiles_storage._wrapped = empty


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TELEMARKETING_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if args.people < 1 or args.per_person < 0 or args.runs < 1:
        parser.error("--people and --runs must be at least 1, --per-person at least 0")
    setup_django(args.database_url)
    plain_static_storage()

    from django.test import Client

    from leads.models import Interaction, Person
    from sales.telemarketing import queue_call_record, queue_people

    try:
        admin, caller = users()
        if not (args.reuse and Person.objects.count() == args.people):
            build(args.people, args.per_person)
            admin, caller = users()  # the build emptied the sales reps
        queue_size = queue_people().count()
        print(
            f"\n{Person.objects.count():,} people, {Interaction.objects.count():,} interactions, "
            f"{queue_size:,} in the queue; {args.runs} runs after one warm-up; target {TARGET_MS} ms\n"
        )
        first = queue_people().first()
        clients = {}
        for user in (admin, caller):
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        pages = [
            # The admin's own cost on this machine (menus, session, permissions), for scale.
            ("telemarketer", caller, "the admin dashboard (the floor)", "/admin/"),
            ("telemarketer", caller, "queue, page 1", "/admin/sales/call-queue/"),
            ("administrator", admin, "queue, page 1", "/admin/sales/call-queue/"),
            ("telemarketer", caller, "queue, page 40", "/admin/sales/call-queue/?p=40"),
            ("telemarketer", caller, "queue, grade A1 & country DE", "/admin/sales/call-queue/?grade=A1&country=DE"),
            ("telemarketer", caller, "call screen", f"/admin/sales/call-queue/call/{first.pk}/"),
        ]
        print(f"{'who':<14} {'what':<40} {'median':>8} {'slowest':>8} {'queries':>8}")
        worst = 0
        for who, user, label, url in pages:
            client = clients[user.pk]

            def load(client=client, url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            median, slowest, queries = timed(load, args.runs)
            worst = max(worst, median)
            flag = "" if median < TARGET_MS else "  <- over target"
            print(f"{who:<14} {label:<40} {median:>6.0f}ms {slowest:>6.0f}ms {queries:>8}{flag}", flush=True)
        median, slowest, queries = timed(lambda: queue_people().count(), args.runs)
        print(f"{'service':<14} {'the whole queue counted':<40} {median:>6.0f}ms {slowest:>6.0f}ms {queries:>8}")
        callees = iter(queue_people().values_list("pk", flat=True)[: args.runs + 2])

        def record():
            queue_call_record(caller, next(callees), outcome="no_answer", token=uuid.uuid4())

        median, slowest, queries = timed(record, args.runs)
        print(f"{'service':<14} {'a call recorded (no answer)':<40} {median:>6.0f}ms {slowest:>6.0f}ms {queries:>8}")
        verdict = "PASS" if worst < TARGET_MS else "FAIL"
        print(f"\nslowest page median: {worst:.0f} ms -> {verdict} (target {TARGET_MS} ms)")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(args.database_url)
            print("dropped the bench database")


if __name__ == "__main__":
    main()
