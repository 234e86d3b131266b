"""Benchmark of the person page's timeline with page views grouped by visit (sales.timeline_visits).

    .venv/bin/python bench/bench_timeline.py [--views 10000] [--background 500000] [--runs 9]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_timeline] [--keep]

Builds people with N page views each, in three shapes: ordinary visits (five pages, two browsers,
a form fill or a download among them), one endless visit (a view every 20 s, all of it one sitting),
and seeded views with no visitor id or visit number (grouped by the 30-minute gap alone), beside a
background of other people's interactions so the planner sees a table of realistic size. Times the
timeline's newest page, a page halfway down (the `before` cursor), a `Newer` page, and the htmx
fragment the profile loads, through Django's test client; prints the median and slowest of `--runs`
and the queries each took. No bar is asserted; the brief asks for it to stay fast at 10,000 views.
"""

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, drop_postgres_database, setup_django  # noqa: E402


def build(views: int, background: int) -> dict:
    """The three people and the background, set-based (one INSERT ... SELECT each)."""
    from django.db import connection

    from leads.models import Person

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_interaction, leads_person RESTART IDENTITY CASCADE")
    shapes = ("visits", "endless visit", "seeded, no visit numbers")
    people = {
        shape: Person.objects.create(email=f"bench-{n}@timeline.example", email_key=f"bench-{n}@timeline.example")
        for n, shape in enumerate(shapes)
    }
    background_people = 5_000
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,"
            " consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty, is_test,"
            " is_competitor, is_personal_email, created_at, updated_at)"
            " SELECT 'other' || g || '@timeline.example', 'other' || g || '@timeline.example', '', '', '', '', '',"
            " '', 'unknown', false, 'lead', 0, 0, '', 0, false, false, false, now(), now()"
            " FROM generate_series(1, %s) g",
            [background_people],
        )
        # Ordinary visits: five pages a minute apart, visits a day apart (two browsers taking turns),
        # and a form fill inside every tenth visit.
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT 'page_view', now() - (g / 5) * interval '1 day' + (g %% 5) * interval '1 minute', %s,"
            " CASE WHEN (g / 5) %% 2 = 0 THEN 'v_laptop' ELSE 'v_phone' END, 'page', 'page-' || (g %% 40),"
            " 'Page ' || (g %% 40), '', jsonb_build_object('path', '/page-' || (g %% 40) || '/',"
            " 'visit', 1 + g / 10, 'referrer', 'news.example')"
            " FROM generate_series(0, %s - 1) g",
            [people["visits"].pk, views],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT 'form_submit', now() - (g * 10) * interval '1 day' + interval '2 minutes 30 seconds', %s,"
            " '', 'form', 'gate', 'Gate', '', '{}'::jsonb FROM generate_series(0, %s - 1) g",
            [people["visits"].pk, max(1, views // 50)],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT 'page_view', now() - g * interval '20 seconds', %s, 'v_endless', 'page', 'page',"
            " 'Page', '', jsonb_build_object('path', '/page/', 'visit', 1)"
            " FROM generate_series(0, %s - 1) g",
            [people["endless visit"].pk, views],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT 'page_view', now() - g * interval '47 minutes', %s, '', 'page', 'pricing', 'Pricing', '',"
            " '{}'::jsonb FROM generate_series(0, %s - 1) g",
            [people["seeded, no visit numbers"].pk, views],
        )
        cursor.execute(
            "INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,"
            " object_label, object_topics, properties)"
            " SELECT (ARRAY['page_view','content_download','email_open'])[1 + g %% 3],"
            " now() - (g %% 5000) * interval '1 hour', (SELECT min(id) FROM leads_person) + 3 + g %% %s,"
            " 'v_' || (g %% 20000), 'page', 'p', 'P', '', jsonb_build_object('visit', 1 + g %% 7)"
            " FROM generate_series(1, %s) g",
            [background_people, background],
        )
        cursor.execute("ANALYZE leads_interaction")
    return people


def timed(function, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm: caches, the first query plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    return statistics.median(times), max(times), len(queries)


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--views", type=int, default=10_000, help="page views of each benchmarked person")
    parser.add_argument("--background", type=int, default=500_000, help="other people's interactions")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_timeline")
    args = parser.parse_args()
    if args.views < 10 or args.runs < 1 or args.background < 0:
        parser.error("--views at least 10, --runs at least 1, --background not negative")
    setup_django(args.database_url)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from sales.profile_selectors import person_timeline, timeline_cursor

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    try:
        started = time.perf_counter()
        people = build(args.views, args.background)
        print(f"built in {time.perf_counter() - started:.1f} s: {args.views:,} page views per person, "
              f"{args.background:,} other interactions")  # fmt: skip
        admin, _ = get_user_model().objects.get_or_create(
            username="bench-timeline-admin", defaults={"is_superuser": True, "is_staff": True}
        )
        client = Client()
        client.force_login(admin)
        print(f"\n{'person':<26} {'page':<30} {'median':>8} {'slowest':>8} {'queries':>8} {'entries':>8}")
        for shape, person in people.items():
            first = person_timeline(person)
            middle = first
            for _ in range(5):  # a few pages down: the keyset cursor of a deep page
                middle = person_timeline(person, before=middle.older_cursor) if middle.older_cursor else middle
            fragment = reverse("leads_person:timeline", args=[person.pk])
            newer_than = timeline_cursor(middle.entries[-1].interaction)
            rows = [
                ("newest page", lambda p=person: person_timeline(p)),
                ("7th page (before cursor)", lambda p=person, c=middle.older_cursor: person_timeline(p, before=c)),
                (
                    "newer page (after cursor)",
                    lambda p=person, c=newer_than: person_timeline(p, after=c),
                ),
                ("htmx fragment, HTTP", lambda url=fragment: client.get(url, HTTP_HX_REQUEST="true")),
            ]
            for label, function in rows:
                median, slowest, queries = timed(function, args.runs)
                entries = len(first.entries) if label == "newest page" else ""
                print(
                    f"{shape:<26} {label:<30} {median:>6.1f}ms {slowest:>6.1f}ms {queries:>8} {entries:>8}", flush=True
                )
            pages = sum(getattr(entry, "page_count", 0) for entry in first.entries)
            print(f"{'':<26} (newest page: {len(first.entries)} entries holding {pages:,} page views)")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(args.database_url)


if __name__ == "__main__":
    main()
