"""Benchmark of the sales workspace's lists on PostgreSQL: page loads at a million people.

    .venv/bin/python bench/bench_sales_lists.py [--people 1000000] [--keep] [--reuse] [--runs 7]
    options: --database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_sales (shared with
             bench_sales_export.py: build once with --keep, then --reuse in either)

Builds the same data as bench_sales_export.py (N people at N/10 companies, 20 reps in two teams),
plus one lead per tenth person for a whitepaper (the gated-content lead list), then loads the admin
pages through Django's test client, as a browser would (the whole request: middleware, session,
permissions, the listing's queries, the template): page 1, a deep page (the keyset cursor of the
row halfway down the list) with and without filters, sorted by score and by name, a search, a
rep's own list and a manager's team list, the whitepaper's lead list, companies and leads.
Prints the median and the slowest of `--runs` loads per page and its query count. Target: every
page under 300 ms.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_sales_export import DEFAULT_URL, build, drop_database  # noqa: E402
from bench.harness import setup_django  # noqa: E402

TARGET_MS = 300
WHITEPAPER_ID = "4242"


def add_whitepaper_leads():
    """One lead for a whitepaper per tenth person (set-based): its lead list is ~N/10 people."""
    from django.db import connection

    from leads.models import Lead

    if Lead.objects.filter(origin_type="content", origin_id=WHITEPAPER_ID).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_lead (source, origin_type, origin_id, origin_label, origin_topics, raw_payload,"
            " mapped_fields, utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_page,"
            " visitor_id, interaction_type, status, processing_error, attempts, verdict, flags, person_id,"
            " received_at)"
            " SELECT 'form', 'content', %s, 'State of RevOps 2026', '', '{}', '', 'linkedin', 'paid',"
            " (ARRAY['banking-q4','revops-2026'])[1 + p.id %% 2], '', '', '', '', '', 'content_download',"
            " 'processed', '', 1, 'clean', '[]', p.id, p.created_at + interval '1 hour'"
            " FROM leads_person p WHERE p.id %% 10 = 0",
            [WHITEPAPER_ID],
        )
        cursor.execute("ANALYZE leads_lead")


def users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from leads.models import SalesRep
    from sales.roles import SALES_MANAGER

    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    rep = User.objects.get(username="bench-rep-0")
    manager, created = User.objects.get_or_create(username="bench-manager")
    if created:
        manager.groups.add(Group.objects.get(name=SALES_MANAGER))
        SalesRep.objects.create(user=manager, team=SalesRep.objects.get(user=rep).team, weight=0)
    return admin, rep, manager


def deep_cursor(user, list_name, params, fraction=0.5):
    """The `after` cursor of the row `fraction` of the way down the list, as a Next link would carry it."""
    from django.http import QueryDict

    from sales.pagination import Cursors
    from sales.selectors import list_selection

    query = QueryDict(urlencode(params, doseq=True))
    selection = list_selection(list_name, user=user, params=query)
    queryset, ordering = selection.queryset, selection.ordering
    total = queryset.order_by().count()
    row = ordering.apply(queryset)[int(total * fraction)]
    return Cursors(list_name, ordering, query).make(row), int(total * fraction)


def timed_get(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: caches, the first query plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), max(times), len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SALES_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.conf import settings
    from django.test import Client

    from leads.models import Person

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Admin pages name their static files; without collectstatic, the plain storage (as the tests use).
    from django.contrib.staticfiles import storage as staticfiles
    from django.core.files.storage import storages
    from django.utils.functional import empty

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    storages._backends = None  # read STORAGES again
    storages.__dict__.pop("backends", None)
    storages._storages.clear()
    staticfiles.staticfiles_storage._wrapped = empty
    try:
        if not (args.reuse and Person.objects.count() == args.people):
            build(args.people)
        add_whitepaper_leads()
        admin, rep, manager = users()
        pages = []
        deep, deep_row = deep_cursor(admin, "people", {})
        deep_filtered, deep_filtered_row = deep_cursor(admin, "people", {"stage": "mql", "grade": "A1"})
        deep_rep, deep_rep_row = deep_cursor(rep, "people", {})
        source = f"content:{WHITEPAPER_ID}"
        deep_gated, deep_gated_row = deep_cursor(admin, "people", {"source": source})
        pages += [
            ("administrator", admin, "people, page 1", "/admin/leads/person/"),
            (
                "administrator",
                admin,
                f"people, deep page (row {deep_row:,})",
                "/admin/leads/person/?" + urlencode({"after": deep}),
            ),
            ("administrator", admin, "people, stage=mql & grade=A1, page 1", "/admin/leads/person/?stage=mql&grade=A1"),
            (
                "administrator",
                admin,
                f"people, stage=mql & grade=A1, deep page (row {deep_filtered_row:,})",
                "/admin/leads/person/?" + urlencode({"stage": "mql", "grade": "A1", "after": deep_filtered}),
            ),
            (
                "administrator",
                admin,
                "people, grades A1+A2, score >= 100, this quarter",
                "/admin/leads/person/?grade=A1&grade=A2&score_min=100&period=this_quarter",
            ),
            ("administrator", admin, "people, sorted by score", "/admin/leads/person/?ordering=-score"),
            ("administrator", admin, "people, sorted by name", "/admin/leads/person/?ordering=name"),
            ("administrator", admin, "people, search 'Name 424242'", "/admin/leads/person/?q=Name+424242"),
            ("administrator", admin, "whitepaper lead list, page 1", f"/admin/leads/person/?source={source}"),
            (
                "administrator",
                admin,
                f"whitepaper lead list, deep page (row {deep_gated_row:,})",
                "/admin/leads/person/?" + urlencode({"source": source, "after": deep_gated}),
            ),
            ("sales rep", rep, "own people, page 1", "/admin/leads/person/"),
            (
                "sales rep",
                rep,
                f"own people, deep page (row {deep_rep_row:,})",
                "/admin/leads/person/?" + urlencode({"after": deep_rep}),
            ),
            ("sales manager", manager, "team's people, page 1", "/admin/leads/person/"),
            ("administrator", admin, "companies, page 1", "/admin/leads/company/"),
            ("administrator", admin, "leads, page 1", "/admin/leads/lead/"),
            ("administrator", admin, "lead lists (gated content)", "/admin/sales/lead-lists/"),
        ]
        print(
            f"\n{Person.objects.count():,} people; {args.runs} loads per page after one warm-up; "
            f"target {TARGET_MS} ms\n"
        )
        print(f"{'who':<14} {'page':<58} {'median':>8} {'slowest':>8} {'queries':>8}")
        worst = 0
        clients = {}
        for who, user, label, url in pages:
            client = clients.get(user.pk)
            if client is None:
                client = clients[user.pk] = Client()
                client.force_login(user)
            median, slowest, queries = timed_get(client, url, args.runs)
            worst = max(worst, median)
            flag = "" if median < TARGET_MS else "  <- over target"
            print(f"{who:<14} {label:<58} {median:>6.0f}ms {slowest:>6.0f}ms {queries:>8}{flag}", flush=True)
        print(f"\nslowest median: {worst:.0f} ms -> {'PASS' if worst < TARGET_MS else 'FAIL'} (target {TARGET_MS} ms)")
    finally:
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
