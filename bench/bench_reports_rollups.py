"""What the reports' rollups cost (reports.rollups) on PostgreSQL (or any DATABASE_URL).

    .venv/bin/python bench/bench_reports_rollups.py [--views 200000] [--visitors 20000] [--days 30]
        [--views-per-visit 4] [--order served|random] [--captures 300] [--people 50000] [--rounds 2]
        [--only ingestion,capture,rebuild]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_rollups]

ingestion  N page views (visits of 1 to 2 x --views-per-visit pages by V visitors over D days, 30% of
           the visits by known people; the first page of a visit carries its UTM or referrer; in the
           order they were viewed with 1% hours late, or with --order random shuffled) written
           by the batch writer (leads.behaviour.page_views_flush), alternately without and with the rollup receiver
           (page_views_written: on PostgreSQL the batch's view ids recorded for the sweep, in its
           transaction); the tables are emptied before each round. After each round with the receiver,
           the sweep's part: the pending views added to their visitor-days (reports.rollups), timed
           apart, and the rollup checked against the raw rows (visitor-days and views, "agree").
           Prints views/s each way, the added cost in % and the sweep's time.
capture    C submissions processed as the worker does (lead_store_raw + lead_process), alternately
           without and with the rollups' receivers (people_changed: a mark per signal); then the
           sweep's cost to compute the marked journeys. Prints captures/s each way and the added %.
rebuild    P people with leads, stage moves and deals made with SQL, then `reports_rebuild`'s
           journeys (people/s) and the daily visitors of the D days (visitor-days/s).
The issue's bar: keeping the rollups current adds under 10% to capture and page-view ingestion.
"""

import json
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, setup_django  # noqa: E402

UTMS = [
    {},
    {},
    {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "q4-banking"},
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "brand"},
    {"utm_source": "newsletter", "utm_medium": "email"},
]
REFERRERS = ["", "", "google.com", "news.example.org", "t.co"]


SPENT = {"receivers": 0.0}  # seconds spent inside the rollups' receivers (measured in the rounds "with")


def timed_receivers() -> None:
    """Wrap what the receivers call, so the bench also prints the time spent inside them: on a loaded
    machine the difference between two rounds is noisier than the cost itself."""
    from reports.rollups import receivers as module

    for name in ("people_mark", "page_views_written_receive"):
        inner = getattr(module, name)

        def timed(*args, _inner=inner, **kwargs):
            started = time.perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                SPENT["receivers"] += time.perf_counter() - started

        setattr(module, name, timed)


def receivers(on: bool):
    from leads.signals import page_views_written, people_changed
    from reports.rollups import receivers as rollup_receivers

    if on:
        rollup_receivers.connect()
    else:
        page_views_written.disconnect(dispatch_uid="reports-rollups-page-views")
        people_changed.disconnect(dispatch_uid="reports-rollups-people")


def truncate(*tables):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def served_order(rng, items) -> list[str]:
    """The buffered views in the order a live site buffers them: by the time they were viewed, except
    one in a hundred that arrives hours late (a front end sending its batch after being offline)."""
    from datetime import datetime

    def arrival(item: str):
        at = datetime.fromisoformat(json.loads(item)["at"])
        return at + timedelta(hours=rng.randint(1, 48)) if rng.random() < 0.01 else at

    return [item for _, item in sorted(((arrival(item), item) for item in items), key=lambda pair: pair[0])]


def ingestion(args, person_ids) -> dict:
    from django.utils import timezone

    from leads import behaviour

    rng = random.Random(7)
    now = timezone.now()
    visitors = [f"v_bench{n:017d}" for n in range(args.visitors)]
    timings, inside, swept = {False: [], True: []}, [], []
    for round_ in range(args.rounds * 2):
        on = round_ % 2 == 1
        truncate("leads_interaction", "reports_dailyvisitor", "reports_pendingpageview")
        receivers(on)
        buffer = behaviour.LocalBuffer()
        buffer.items = __import__("collections").deque(maxlen=args.views + 1)
        n = 0
        while n < args.views:  # visits: a visitor, a moment, 1 to 2 x views_per_visit pages a minute apart
            source = rng.randrange(len(UTMS))
            visitor = rng.choice(visitors)
            person = rng.choice(person_ids) if rng.random() < 0.3 else None
            start = now - timedelta(seconds=rng.randint(600, args.days * 86_400))
            for page in range(min(rng.randint(1, 2 * args.views_per_visit - 1), args.views - n)):
                behaviour.page_view_buffer(
                    visitor_id=visitor,
                    person_id=person,
                    page_id=n % 203,
                    path=f"/page-{n % 203}/",
                    title="A page",
                    referrer=REFERRERS[source] if page == 0 else "",
                    utm=UTMS[source] if page == 0 else {},
                    occurred_at=start + timedelta(minutes=page),
                    buffer=buffer,
                )
                n += 1
        if args.order == "served":
            buffer.items = __import__("collections").deque(served_order(rng, buffer.items), maxlen=args.views + 1)
        SPENT["receivers"] = 0.0
        started = time.perf_counter()
        written = behaviour.page_views_flush(buffer=buffer)["written"]
        timings[on].append(time.perf_counter() - started)
        if on:
            inside.append(SPENT["receivers"])
        print(
            f"  round {round_ + 1}: {'with' if on else 'without'} rollup: {written:,} views in {timings[on][-1]:.2f} s"
        )
        if on:
            swept.append(sweep_page_views())
    receivers(True)
    from reports.models import DailyVisitor

    off, on = statistics.mean(timings[False]), statistics.mean(timings[True])
    print(f"ingestion  without rollup {args.views / off:>10,.0f} views/s   ({off:.2f} s)")
    print(
        f"ingestion  with rollup    {args.views / on:>10,.0f} views/s   ({on:.2f} s),"
        f" {DailyVisitor.objects.count():,} visitor-days"
    )
    print(f"ingestion  added: {100 * (on - off) / off:+.1f}%  (bar: under 10%)")
    spent = statistics.mean(inside)
    print(f"ingestion  inside the receiver: {spent:.2f} s of {on:.2f} s, {100 * spent / (on - spent):.1f}% added")
    sweep = statistics.mean(swept)
    print(
        f"ingestion  the sweep adding them: {sweep:.2f} s ({args.views / sweep:,.0f} views/s;"
        f" {100 * sweep / off:.1f}% of the writer's own time, off its path)"
    )
    return {"off": off, "on": on, "sweep": sweep}


def sweep_page_views() -> float:
    """The sweep's part of ingestion: every pending view added (rounds of PAGE_VIEWS_BATCH), timed; then
    the rollup held to the raw rows (as many visitor-days, as many views)."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count, Sum

    from reports import rollups
    from reports.models import DailyVisitor, PendingPageView

    started = time.perf_counter()
    rounds = 0
    while rollups._page_views_round(rollups.PAGE_VIEWS_BATCH):
        rounds += 1
    spent = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(DISTINCT (visitor_id, (occurred_at AT TIME ZONE %s)::date)) FROM leads_interaction"
            " WHERE type = 'page_view' AND visitor_id <> ''",
            [settings.TIME_ZONE],
        )
        views, days = cursor.fetchone()
    held = DailyVisitor.objects.aggregate(n=Count("pk"), v=Sum("page_views"))
    agree = (held["n"], held["v"] or 0) == (days, views) and not PendingPageView.objects.exists()
    print(
        f"    the sweep: {rounds} rounds in {spent:.2f} s; {held['n']:,} visitor-days, {held['v'] or 0:,} views"
        f" ({'agree' if agree else f'DISAGREE: raw rows {days:,} visitor-days, {views:,} views'})"
    )
    return spent


def captures(args) -> None:
    from django.db import transaction

    from leads.services.capture import lead_process, lead_store_raw
    from reports import rollups
    from reports.models import RollupDirtyPerson

    rng = random.Random(11)
    timings, inside, swept = {False: [], True: []}, [], []
    for round_ in range(args.rounds * 2):
        on = round_ % 2 == 1
        receivers(on)
        RollupDirtyPerson.objects.all().delete()
        spent, SPENT["receivers"] = 0.0, 0.0
        for n in range(args.captures):
            email = f"capture{round_}-{n % (args.captures * 2 // 3)}@firm{n % 50}.example.com"
            fields = {"email": email, "first_name": "Alex", "country": "DE", **rng.choice(UTMS)}
            started = time.perf_counter()
            with transaction.atomic():
                lead = lead_store_raw(
                    source="form",
                    payload=fields,
                    fields=fields,
                    origin_type="content",
                    origin_id="42",
                    origin_label="State of RevOps",
                    origin_topics=(),
                    visitor_id="",
                    ip_address=None,
                    received_at=None,
                    interaction_type="form_submit",
                )
            lead_process(lead)  # on_commit callbacks (the signals) run as each transaction commits
            spent += time.perf_counter() - started
        timings[on].append(spent)
        if on:
            inside.append(SPENT["receivers"])
        print(
            f"  round {round_ + 1}: {'with' if on else 'without'} receivers: {args.captures:,} captures, {spent:.2f} s"
        )
        if on:
            marked = RollupDirtyPerson.objects.count()
            started = time.perf_counter()
            rollups.rollups_refresh()
            swept = time.perf_counter() - started
            print(
                f"           sweep: {marked:,} journeys computed in {swept:.2f} s"
                f" ({1000 * swept / max(marked, 1):.1f} ms each)"
            )
    receivers(True)
    off, on = statistics.mean(timings[False]), statistics.mean(timings[True])
    print(f"capture    without receivers {args.captures / off:>8,.0f} captures/s")
    print(f"capture    with receivers    {args.captures / on:>8,.0f} captures/s")
    print(f"capture    added: {100 * (on - off) / off:+.1f}%  (bar: under 10%)")
    spent = statistics.mean(inside)
    print(f"capture    inside the receivers: {spent:.2f} s of {on:.2f} s, {100 * spent / (on - spent):.1f}% added")


def rebuild(args) -> None:
    from django.db import connection

    from reports.rollups.rebuild import journeys_rebuild, visitors_rebuild
    from reports.rollups.visitors import day_of

    if connection.vendor != "postgresql":
        print("rebuild    skipped: the people are made with PostgreSQL's generate_series")
        return
    from django.utils import timezone

    started = time.perf_counter()
    days = visitors_rebuild(since=day_of(timezone.now()) - timedelta(days=args.days))
    spent = time.perf_counter() - started
    print(
        f"rebuild    daily visitors: {days:,} visitor-days of {args.days + 1} days in {spent:.1f} s"
        f" ({days / spent:,.0f}/s)"
    )
    truncate("leads_person", "reports_personjourney")
    people = args.people
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,
                consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty, is_test,
                is_competitor, is_personal_email, created_at, updated_at)
            SELECT 'r' || g || '@bench.example', 'r' || g || '@bench.example', '', '', '', '', '', 'DE', 'unknown',
                   false, 'lead', 0, 0, '', 0, false, false, false, now() - (g % 700) * interval '1 day', now()
            FROM generate_series(1, {int(people)}) g
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_lead (source, origin_type, origin_id, origin_label, origin_topics, raw_payload,
                mapped_fields, utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_page,
                visitor_id, interaction_type, status, processing_error, attempts, verdict, flags, person_id,
                received_at)
            SELECT 'form', 'content', (p.id % 40)::text, 'Paper', '', '{}', '',
                   (ARRAY['', 'linkedin', 'google', 'newsletter'])[1 + (p.id + k) % 4],
                   (ARRAY['', 'paid_social', 'cpc', 'email'])[1 + (p.id + k) % 4], 'c' || (p.id % 30), '', '',
                   CASE WHEN p.id % 5 = 0 THEN 'https://www.news.example.org/x' ELSE '' END, '', '',
                   'form_submit', 'processed', '', 1, 'clean', '[]', p.id, p.created_at + k * interval '3 days'
            FROM leads_person p CROSS JOIN generate_series(0, 1) k WHERE k = 0 OR p.id % 3 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_stagetransition (person_id, from_stage, to_stage, reason_type, reason, occurred_at)
            SELECT p.id, '', (ARRAY['mql', 'sql', 'nurture', 'opportunity', 'customer'])[1 + k], 'rule', '',
                   p.created_at + (k + 1) * interval '5 days'
            FROM leads_person p CROSS JOIN generate_series(0, 4) k WHERE k < 1 + p.id % 5 AND p.id % 2 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_deal (crm_id, person_id, status, amount, currency, amount_report, opened_at,
                crm_changed_at, created_at, updated_at)
            SELECT 'bench-' || p.id, p.id, (ARRAY['open', 'won', 'lost'])[1 + p.id % 3], 10000, 'EUR', 10000,
                   now(), now(), now(), now()
            FROM leads_person p WHERE p.id % 10 = 0
            """
        )
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    done = journeys_rebuild()
    spent = time.perf_counter() - started
    print(
        f"rebuild    journeys: {done:,} people in {spent:.1f} s ({done / spent:,.0f} people/s;"
        f" 1,000,000 people: ~{1_000_000 / (done / spent) / 60:.1f} min)"
    )


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--views", type=int, default=200_000)
    parser.add_argument("--visitors", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--views-per-visit", type=int, default=4, help="mean pages per visit (1: every view its own visitor-day)"
    )
    parser.add_argument(
        "--order",
        choices=["served", "random"],
        default="served",
        help="ingestion: the views in the order they were viewed, 1%% late (as a live site buffers them), or"
        " shuffled over the days (every batch reaches days on both sides of the visitors' other days)",
    )
    parser.add_argument("--captures", type=int, default=300)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (without, with), alternating")
    parser.add_argument("--only", default="ingestion,capture,rebuild", help="which parts, comma-separated")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_rollups")
    args = parser.parse_args()
    setup_django(args.database_url)
    timed_receivers()

    from leads.models import Person, ScoringRule

    truncate("leads_interaction", "leads_lead", "leads_person", "reports_dailyvisitor", "reports_personjourney")
    ScoringRule.objects.get_or_create(
        name="Page view", kind="interest", interaction_type="page_view", defaults={"points": 2, "cap_points": 10}
    )
    Person.objects.bulk_create(
        [Person(email=f"p{n}@bench.example", email_key=f"p{n}@bench.example") for n in range(5_000)], batch_size=5000
    )
    person_ids = list(Person.objects.values_list("pk", flat=True))
    print(
        f"views {args.views:,}, visitors {args.visitors:,}, days {args.days}, pages per visit ~{args.views_per_visit},"
        f" order {args.order}, rounds {args.rounds} each way"
    )
    parts = set(args.only.split(","))
    if "ingestion" in parts:
        ingestion(args, person_ids)
    if "capture" in parts:
        captures(args)
    if "rebuild" in parts:
        rebuild(args)


if __name__ == "__main__":
    main()
