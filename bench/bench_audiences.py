"""Benchmark of audience counts with behaviour conditions on PostgreSQL: 1,000,000 people, 20,000,000 interactions.

    .venv/bin/python bench/bench_audiences.py [--people 1000000] [--interactions 20000000] [--runs 5]
        [--rebuild] [--try-index] [--database-url postgres://postgres@127.0.0.1:5432/signalpage_h3_bench]

Builds the data set once (kept in its database; --rebuild builds it again) with INSERT ... SELECT over
generate_series, the interactions' indexes dropped while loading and made again after: N people at N/20
companies, M interactions over the last 365 days, written in time order as the lead store writes them
(a log: the last week's rows lie together at the end of the table), by random people; two thirds page
views (300 pages, /pricing/ one view in 30), then downloads, emails, forms, event registrations and
attendances, custom events; one in ten anonymous; 20 tags on a fifth of the people, stage moves for a
third of them.

Then times what the segment editor does while a marketer edits (personalization.selectors.segment_audience:
the COUNT and the sample of 8) for several behaviour conditions, alone and combined under all/any/not,
and the sales people list's behaviour filter (its capped count and first keyset page), each the median
of --runs runs after one warm-up. A figure over 1 s also prints the plan's summary (EXPLAIN ANALYZE).
--try-index measures again with an index on leads_interaction (type, object_id, occurred_at), then drops it.
The issue's bar: under 1 s at 1M people and 20M interactions.
"""

import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, print_machine, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/signalpage_h3_bench"
BAR_S = 1.0
PAGES = 300
EVENTS = 50
TAGS = 20
TOPICS = ["ai", "data", "revops", "security", "events", "product-a", "product-b", "abm"]
# Indexes the lead store might add (leads/ migrations are not this bench's to make): measured with
# --try-index one set after the other, each made, measured and dropped.
CANDIDATE_INDEXES = [
    (
        "(type, object_id, occurred_at) INCLUDE (person_id)",
        [
            "CREATE INDEX bench_candidate_object ON leads_interaction (type, object_id, occurred_at)"
            " INCLUDE (person_id)",
        ],
    ),
]

# What the marketer types: (label, match, [(fact, value, times, days, negate)]).
AUDIENCES = [
    ("viewed pricing 2+ times in 7 days", "all", [("visited_page", "pricing", 2, 7, False)]),
    ("visited URL /whitepapers/* in 30 days", "all", [("visited_url", "/whitepapers/*", 1, 30, False)]),
    ("downloaded topic:ai in 30 days", "all", [("downloaded", "topic:ai", 1, 30, False)]),
    ("registered for event 7 (ever)", "all", [("registered_event", "7", 1, None, False)]),
    ("has tag t3", "all", [("has_tag", "t3", 1, None, False)]),
    ("did custom event trial_started 2+ in 30 days", "all", [("did_custom_event", "trial_started", 2, 30, False)]),
    ("reached MQL in 30 days", "all", [("reached_stage", "mql", 1, 30, False)]),
    (
        "any: opened email topic:product-a 7d | visited /pricing/ 30d | registered event 7",
        "any",
        [
            ("opened_email", "topic:product-a", 1, 7, False),
            ("visited_url", "/pricing/", 1, 30, False),
            ("registered_event", "7", 1, None, False),
        ],
    ),
    (
        "all: viewed pricing 2+ in 7d, grade A1/A2, not tagged t3",
        "all",
        [
            ("visited_page", "pricing", 2, 7, False),
            ("grade", "A1,A2", None, None, False),
            ("has_tag", "t3", 1, None, True),
        ],
    ),
    (
        "all: industry banking, downloaded anything 90d, attended any event",
        "all",
        [
            ("industry", "banking", None, None, False),
            ("downloaded", "", 1, 90, False),
            ("attended_event", "", 1, None, False),
        ],
    ),
    # Five rules, the editor's most: behaviour and person facts, each way of combining them.
    (
        "5 all: pricing 2+ 7d, downloaded any 90d, grade A1/A2, industry banking, not tagged t3",
        "all",
        [
            ("visited_page", "pricing", 2, 7, False),
            ("downloaded", "", 1, 90, False),
            ("grade", "A1,A2", None, None, False),
            ("industry", "banking", None, None, False),
            ("has_tag", "t3", 1, None, True),
        ],
    ),
    (
        "5 any: event 7, attended any, email topic:product-a 7d, demo_booked 30d, reached SQL 30d",
        "any",
        [
            ("registered_event", "7", 1, None, False),
            ("attended_event", "", 1, None, False),
            ("opened_email", "topic:product-a", 1, 7, False),
            ("did_custom_event", "demo_booked", 1, 30, False),
            ("reached_stage", "sql", 1, 30, False),
        ],
    ),
    (
        "5 all behaviour: /whitepapers/* 30d, topic:ai 90d, opened 30d, clicked ever, not event 7",
        "all",
        [
            ("visited_url", "/whitepapers/*", 1, 30, False),
            ("downloaded", "topic:ai", 1, 90, False),
            ("opened_email", "", 1, 30, False),
            ("clicked_email", "", 1, None, False),
            ("registered_event", "7", 1, None, True),
        ],
    ),
    (
        "5 any: stage MQL, country DE, score >= 150, not downloaded 365d, pricing 3+ 30d",
        "any",
        [
            ("stage", "mql", None, None, False),
            ("person_country", "de", None, None, False),
            ("score", "150", None, None, False),
            ("downloaded", "", 1, 365, True),
            ("visited_page", "pricing", 3, 30, False),
        ],
    ),
    (
        "5 all, negated: not grade D4, not tagged any, not opened 30d, company 50-249, visited 90d",
        "all",
        [
            ("grade", "D4", None, None, True),
            ("has_tag", "", 1, None, True),
            ("opened_email", "", 1, 30, True),
            ("company_size", "50-249", None, None, False),
            ("visited_url", "/*", 1, 90, False),
        ],
    ),
]
# A bulk rescore moves many people's scores and grades; until ANALYZE the planner reads the old figures.
# Within a transaction rolled back afterwards (the data set is kept): a third of the people change
# grade (half of them to a grade the statistics have never seen), everybody's interest moves.
STALE_UPDATE = (
    "UPDATE leads_person SET interest_score = interest_score * 2 + 10, fit_score = fit_score + 20,"
    " grade = CASE WHEN id %% 6 = 0 THEN 'A1' WHEN id %% 6 = 1 THEN 'B3' ELSE grade END"
)
SALES_FILTERS = [
    ("people list: viewed pricing 2+ in 7 days", "behaviour=visited_page&behaviour_value=pricing&behaviour_times=2"
     "&behaviour_days=7"),
    ("people list: registered for event 7, stage mql", "behaviour=registered_event&behaviour_value=7&stage=mql"),
]  # fmt: skip


def sql(cursor, statement, params=()):
    started = time.perf_counter()
    cursor.execute(statement, params)
    return time.perf_counter() - started


def built(people: int, interactions: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_person")
        have_people = cursor.fetchone()[0]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'leads_interaction'")
        have_interactions = cursor.fetchone()[0]
    return have_people == people and abs(have_interactions - interactions) < interactions * 0.02


def build(people: int, interactions: int):
    """The data set, set-based; the interactions' secondary indexes are dropped while loading."""
    from django.db import connection

    companies = max(1, people // 20)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_interaction, leads_persontag, leads_tag, leads_stagetransition, leads_lead,"
            " leads_person, leads_company RESTART IDENTITY CASCADE"
        )
        took = sql(
            cursor,
            "INSERT INTO leads_company (name, name_key, industry, employee_band, employee_count, country,"
            " funding_stage, is_key_account, created_at, updated_at)"
            " SELECT 'Company ' || g, 'company ' || g,"
            " (ARRAY['banking','insurance','retail','software','healthcare'])[1 + g %% 5],"
            " (ARRAY['1-49','50-249','250-999','1000-4999','5000+'])[1 + g %% 5], (g * 37) %% 10000,"
            " (ARRAY['DE','US','FR','AT','GB'])[1 + g %% 5], '', g %% 97 = 0, now(), now()"
            " FROM generate_series(1, %s::bigint) g",
            [companies],
        )
        print(f"  companies      {companies:>12,}  {took:6.1f} s", flush=True)
        took = sql(
            cursor,
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority,"
            " country, company_id, consent, do_not_contact, stage, stage_changed_at, owner_id, fit_score,"
            " interest_score, grade, scored_at, interest_penalty, is_test, is_competitor, is_personal_email,"
            " created_at, updated_at)"
            " SELECT 'p' || g || '@bench.example', 'p' || g || '@bench.example', 'Ann', 'Name ' || g, '', '',"
            " '', 'DE', 1 + (g * 7919) %% %s, 'granted', false,"
            " (ARRAY['lead','lead','lead','mql','sql','nurture'])[1 + g %% 6], now(), NULL, g %% 100,"
            " (g %% 700) / 7.0, (ARRAY['A1','A2','B1','B2','C3','D4','C1','D2'])[1 + g %% 8], now(), 0,"
            " g %% 1000 = 0, false, false, now() - (g %% 365) * interval '1 day', now()"
            " FROM generate_series(1, %s::bigint) g",
            [companies, people],
        )
        print(f"  people         {people:>12,}  {took:6.1f} s", flush=True)
        load_interactions(cursor, people, interactions)
        took = sql(
            cursor,
            "INSERT INTO leads_tag (name, slug, created_at) SELECT 'Tag ' || g, 't' || g, now()"
            " FROM generate_series(1, %s::bigint) g",
            [TAGS],
        )
        took += sql(
            cursor,
            # A fifth of the people carry one to three tags.
            "INSERT INTO leads_persontag (person_id, tag_id, source, added_at)"
            " SELECT DISTINCT p, 1 + (p * k * 31) %% %s, 'manual', now() - ((p * k) %% 365) * interval '1 day'"
            " FROM generate_series(1, %s, 5) p, generate_series(1, 3) k WHERE k = 1 OR p %% (k + 1) = 0",
            [TAGS, people],
        )
        print(f"  person tags    {'':>12}  {took:6.1f} s", flush=True)
        took = sql(
            cursor,
            "INSERT INTO leads_stagetransition (person_id, from_stage, to_stage, reason_type, reason, occurred_at)"
            " SELECT p, 'lead', (ARRAY['mql','sql','nurture'])[1 + (p / 3) %% 3], 'rule', 'bench',"
            " now() - (p %% 365) * interval '1 day' - (p %% 86400) * interval '1 second'"
            " FROM generate_series(1, %s, 3) p",
            [people],
        )
        print(f"  stage moves    {'':>12}  {took:6.1f} s", flush=True)
    with connection.cursor() as cursor:  # VACUUM runs outside a transaction (Django autocommits here)
        took = sql(cursor, "VACUUM (ANALYZE)")
    print(f"  vacuum analyze {'':>12}  {took:6.1f} s", flush=True)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def load_interactions(cursor, people: int, interactions: int, chunk: int = 2_000_000):
    """Interactions of the last 365 days in chunks; the secondary indexes made again afterwards."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE %s",
        ["leads_interaction", "CREATE UNIQUE%"],  # the primary key and the event id's unique index stay
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    topics = "ARRAY[" + ",".join(f"',{topic},'" for topic in TOPICS) + "]"
    done = 0
    while done < interactions:
        size = min(chunk, interactions - done)
        took = sql(
            cursor,
            # t picks the type (per mille): 0-659 page views, 660-719 downloads, 720-839 email opens,
            # 840-889 email clicks, 890-919 registrations, 920-934 attendances, 935-959 form submissions,
            # 960-989 custom events, 990-999 contact sales. One in ten is an anonymous visitor's. An open
            # says whether a machine made it, as campaigns' tracking writer does (one in ten here).
            f"""
            INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,
                object_label, object_topics, properties)
            SELECT
                CASE WHEN t < 660 THEN 'page_view' WHEN t < 720 THEN 'content_download'
                     WHEN t < 840 THEN 'email_open' WHEN t < 890 THEN 'email_click'
                     WHEN t < 920 THEN 'event_registered' WHEN t < 935 THEN 'event_attended'
                     WHEN t < 960 THEN 'form_submit' WHEN t < 990 THEN 'custom_event' ELSE 'contact_sales' END,
                now() - (%s - g + s) * (interval '31536000 second' / %s),
                CASE WHEN g %% 10 = 0 THEN NULL ELSE p END,
                'v_bench' || lpad((p * 3 + g %% 3)::text, 19, '0'),
                '',
                CASE WHEN t < 660 THEN (CASE WHEN o %% 30 = 0 THEN 'pricing' ELSE 'page-' || (o %% {PAGES}) END)
                     WHEN t < 720 THEN (o %% 200)::text
                     WHEN t < 890 THEN 'campaign-' || (o %% 60)
                     WHEN t < 935 THEN (o %% {EVENTS})::text
                     WHEN t < 960 THEN (o %% 40)::text
                     WHEN t < 990 THEN (ARRAY['trial_started','pricing_calculator_used','demo_booked'])[1 + o %% 3]
                     ELSE '1' END,
                '',
                ({topics})[1 + o %% {len(TOPICS)}],
                CASE WHEN t < 660 THEN jsonb_build_object('path', CASE WHEN o %% 30 = 0 THEN '/pricing/'
                     WHEN o %% 3 = 0 THEN '/whitepapers/page-' || (o %% {PAGES}) || '/'
                     ELSE '/page-' || (o %% {PAGES}) || '/' END, 'visit', 1)
                     WHEN t < 840 THEN jsonb_build_object('machine', o %% 10 = 0)
                     ELSE '{{}}'::jsonb END
            FROM (
                SELECT g, floor(random() * 1000)::int AS t, floor(random() * 1000)::int AS s,
                       1 + floor(random() * %s)::int AS p, floor(random() * 100003)::int AS o
                FROM generate_series(%s::bigint, %s::bigint) g
            ) r
            """,
            [interactions, interactions, people, done + 1, done + size],
        )
        done += size
        print(f"  interactions   {done:>12,}  {took:6.1f} s", flush=True)
    for name, definition in indexes:
        took = sql(cursor, definition)
        print(f"  index {name:<40} {took:6.1f} s", flush=True)


def timed(function, runs: int):
    function()  # warm-up: the first run reads from disk
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), result


def plan_summary(typed, match) -> str:
    """The lines of EXPLAIN ANALYZE of the editor's statement that say where the time went."""
    from django.db import connection

    from personalization.selectors import audience_statement, matching_people

    sql, params = audience_statement(matching_people(typed, match)[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    lines = [line for line in text.splitlines() if "actual time" in line or line.startswith("Execution")]
    return "\n".join("      " + re.sub(r"\s+", " ", line.strip()) for line in lines[:24])


def typed_rules(rules):
    """The rules as the editor posts them; the operator is the fact's first (is one of, at least, any)."""
    from personalization.rules import FACTS_BY_CODE

    return [
        {
            "fact": fact,
            "operator": FACTS_BY_CODE[fact].operators[0],
            "value": value,
            "times": times,
            "days": days,
            "negate": negate,
        }
        for fact, value, times, days, negate in rules
    ]


def audiences(runs: int, title: str = "audience (segment editor: COUNT + sample of 8)", plans: bool = True):
    from personalization.selectors import segment_audience

    print(f"\n{title:<86} {'median':>8} {'max':>8} {'people':>9}", flush=True)
    over = []
    for label, match, rules in AUDIENCES:
        typed = typed_rules(rules)
        median, slowest, result = timed(lambda typed=typed, match=match: segment_audience(typed, match), runs)
        assert not result.errors, result.errors
        flag = "  OVER" if median > BAR_S else ""
        print(f"  {label:<84} {median:7.3f}s {slowest:7.3f}s {result.count:>9,}{flag}", flush=True)
        if median > BAR_S:
            over.append((label, typed, match))
    if plans:
        for label, typed, match in over:
            print(f"\n  plan of “{label}”:\n{plan_summary(typed, match)}", flush=True)
    return len(over)


def stale_statistics(runs: int):
    """The audiences again right after a bulk change of scores and grades, before any ANALYZE (autovacuum
    cannot see an uncommitted change either); rolled back afterwards."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            took = sql(cursor, STALE_UPDATE)
            changed = cursor.rowcount
        print(f"\nstale statistics: {changed:,} people's scores changed in {took:.0f} s, not analysed", flush=True)
        over = audiences(runs, "audience with stale statistics (after a bulk change, before ANALYZE)")
        transaction.set_rollback(True)
    return over


def sales_lists(runs: int):
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from sales.pagination import KeysetPaginator, keyset_paginate
    from sales.selectors import list_selection

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    print(f"\n{'sales list (capped count + first keyset page of 50)':<86} {'median':>8} {'max':>8} {'rows':>9}")
    for label, query in SALES_FILTERS:

        def load(query=query):
            selection = list_selection("people", user=user, params=query)
            page = keyset_paginate(
                selection.queryset, selection.ordering, list_name="people", params=QueryDict(), page_size=50
            )
            count = KeysetPaginator(selection.queryset, verbose_name="", verbose_name_plural="").count
            return count, len(page.object_list)

        median, slowest, (count, rows) = timed(load, runs)
        flag = "  OVER" if median > BAR_S else ""
        print(f"  {label:<84} {median:7.3f}s {slowest:7.3f}s {count:>9,}{flag}", flush=True)


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--try-index", action="store_true", help="measure again with each candidate index")
    parser.add_argument("--skip-stale", action="store_true", help="skip the stale-statistics measurement")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print("command        " + " ".join(sys.argv))
    setup_django(args.database_url)

    from django.db import connection

    print_machine()
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        print(f"postgresql     {connection.pg_version}, work_mem {work_mem}, shared_buffers {cursor.fetchone()[0]}")
    if args.rebuild or not built(args.people, args.interactions):
        print(f"building {args.people:,} people and {args.interactions:,} interactions ...", flush=True)
        build(args.people, args.interactions)
    else:
        print(f"reusing {args.people:,} people and ~{args.interactions:,} interactions")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('leads_interaction'))")
        print(f"leads_interaction with its indexes: {cursor.fetchone()[0]}")
    over = audiences(args.runs)
    sales_lists(args.runs)
    over_stale = stale_statistics(args.runs) if not args.skip_stale else 0
    if args.try_index:
        for label, statements in CANDIDATE_INDEXES:
            with connection.cursor() as cursor:
                took = sum(sql(cursor, statement) for statement in statements)
                cursor.execute("ANALYZE leads_interaction")
                cursor.execute(
                    "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index"
                    " WHERE indexrelid::regclass::text LIKE 'bench_candidate%%'"
                )
                size = cursor.fetchone()[0]
            print(f"\nwith {label} ({size}, made in {took:.0f} s):")
            try:
                over_with = audiences(args.runs)
                sales_lists(args.runs)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("DROP INDEX IF EXISTS bench_candidate_object")
            print(f"over the bar with it: {over_with}")
    print(f"\nbar: every audience under {BAR_S:.0f} s; over it: {over} with fresh statistics, {over_stale} with stale")


if __name__ == "__main__":
    main()
