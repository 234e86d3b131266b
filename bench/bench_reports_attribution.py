"""How long attribution for a quarter takes (reports.attribution), each model, on PostgreSQL.

    .venv/bin/python bench/bench_reports_attribution.py [--people 100000] [--rounds 2] [--keep] [--no-live]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_attribution]

Data, made with SQL (generate_series) over two years: P people with their journeys (a third reach MQL,
an eighth SQL, a sixteenth an opportunity of 10,000, a fortieth a won deal), a lead each with UTM, 5
visitor-days, a download, 2 email clicks, an event attended by a quarter of them and 14 page views each
(page views are not touches, but they sit in the same index as the touches, as in production: at 1M
people that is ~18M interactions). Then:
- the credit rollup built from scratch (reports.attribution.rollup.attribution_rebuild: what
  `manage.py reports_rebuild` adds), with its rate, and 2,000 people computed again as the sweep does;
- attribution of the last 91 days, every model, as the report reads it from the rollup (`--rounds`
  times, the median); as a report with a journey filter reads it, the filtered people's credit rows
  summed (country DE, which every person has: the widest filter; and one industry of ten), the median
  of `--rounds`, and whether the widest says what the rollup says; and (unless --no-live) credited from
  every touch (what a report does before the rollup is built), once, with its CPU seconds, and whether
  both say the same.
Prints seconds and what that is for 1M people (linear in the people where it grows with them).
The issue's bar: a quarter, any model, under 1 s at 1,000,000 people / 20,000,000 interactions.
"""

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, setup_django  # noqa: E402


def build(people: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_interaction, leads_lead, leads_deal, reports_dailyvisitor, reports_personjourney,"
            " leads_person RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,
                consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty, is_test,
                is_competitor, is_personal_email, created_at, updated_at)
            SELECT 'a' || g || '@bench.example', 'a' || g || '@bench.example', '', '', '', '', '', 'DE', 'unknown',
                   false, 'lead', 0, 0, '', 0, false, false, false,
                   now() - (g %% 730) * interval '1 day' - (g %% 24) * interval '1 hour', now()
            FROM generate_series(1, %s) g
            """,
            [people],
        )
        cursor.execute(
            """
            INSERT INTO reports_personjourney (person_id, created_at, channel, source, medium, campaign,
                referrer_domain, first_origin_type, first_origin_id, first_origin_label, industry, country, team,
                stage, is_excluded, mql_at, sql_at, opportunity_at, customer_at, pipeline_amount, won_amount,
                refreshed_at)
            SELECT p.id, p.created_at, '', '', '', '', '', '', '', '', 'Industry ' || (p.id % 10), 'DE', '', 'lead',
                   false,
                   CASE WHEN p.id % 3 = 0 THEN p.created_at + interval '4 days' END,
                   CASE WHEN p.id % 8 = 0 THEN p.created_at + interval '9 days' END,
                   CASE WHEN p.id % 16 = 0 THEN p.created_at + interval '15 days' END,
                   CASE WHEN p.id % 80 = 0 THEN p.created_at + interval '40 days' END,
                   CASE WHEN p.id % 16 = 0 THEN 10000 ELSE 0 END, CASE WHEN p.id % 80 = 0 THEN 10000 ELSE 0 END,
                   now()
            FROM leads_person p
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_deal (crm_id, person_id, status, amount, currency, amount_report, opened_at,
                close_date, crm_changed_at, created_at, updated_at)
            SELECT 'bench-' || j.person_id, j.person_id, 'won', 10000, 'EUR', 10000, j.opportunity_at,
                   (j.customer_at)::date, j.customer_at, now(), now()
            FROM reports_personjourney j WHERE j.customer_at IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_lead (source, origin_type, origin_id, origin_label, origin_topics, raw_payload,
                mapped_fields, utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_page,
                visitor_id, interaction_type, status, processing_error, attempts, verdict, flags, person_id,
                received_at)
            SELECT 'form', 'content', (p.id % 40)::text, 'Paper ' || (p.id % 40), '', '{}', '',
                   (ARRAY['', 'linkedin', 'google', 'newsletter'])[1 + p.id % 4],
                   (ARRAY['', 'paid_social', 'cpc', 'email'])[1 + p.id % 4], 'c' || (p.id % 30), '', '',
                   CASE WHEN p.id % 5 = 0 THEN 'https://www.news.example.org/x' ELSE '' END, '', '',
                   'content_download', 'processed', '', 1, 'clean', '[]', p.id, p.created_at - interval '1 minute'
            FROM leads_person p
            """
        )
        interaction = """
            INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,
                object_label, object_topics, properties, lead_id)
        """
        cursor.execute(
            interaction
            + """
            SELECT 'content_download', l.received_at, l.person_id, '', 'content', l.origin_id, l.origin_label, '',
                   '{}', l.id FROM leads_lead l
            """
        )
        cursor.execute(
            interaction
            + """
            SELECT 'email_click', p.created_at + k * interval '8 days', p.id, '', 'email', (p.id % 12)::text,
                   'Newsletter ' || (p.id % 12), '', '{}', NULL
            FROM leads_person p CROSS JOIN generate_series(0, 1) k
            """
        )
        cursor.execute(
            interaction
            + """
            SELECT 'event_attended', p.created_at + interval '3 days', p.id, '', 'event', (p.id % 9)::text,
                   'Event ' || (p.id % 9), '', '{}', NULL
            FROM leads_person p WHERE p.id % 4 = 0
            """
        )
        cursor.execute(
            interaction
            + """
            SELECT 'page_view', p.created_at + (k - 6) * interval '1 day', p.id, 'v' || p.id, 'page',
                   'page-' || k, 'A page', '', '{}', NULL
            FROM leads_person p CROSS JOIN generate_series(0, 13) k
            """
        )
        cursor.execute(
            """
            INSERT INTO reports_dailyvisitor (day, visitor_id, person_id, first_at, channel, source, medium,
                campaign, referrer_domain, page_views)
            SELECT (p.created_at + o * interval '1 day')::date, 'v' || p.id, p.id, p.created_at + o * interval '1 day',
                   (ARRAY['Direct', 'Social', 'Paid search', 'Email'])[1 + (p.id + o + 100) % 4], '', '',
                   CASE WHEN o < 0 THEN 'c' || (p.id % 30) ELSE '' END, '', 3
            FROM leads_person p CROSS JOIN unnest(ARRAY[-9, -6, -3, 1, 7]) o
            """
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM leads_interaction")
        print(f"built {people:,} people, {cursor.fetchone()[0]:,} interactions")


def summary(result) -> dict:
    """What the report shows, zeros out: to check the rollup against crediting every touch."""
    rows = {}
    for dimension, table in result.rows.items():
        for key, row in table.items():
            for kind in set(row.credit) | set(row.amount):
                if row.credit.get(kind) or row.amount.get(kind):
                    rows[(dimension, key, kind)] = (row.credit.get(kind, 0), row.amount.get(kind, 0))
    return {"conversions": {k: n for k, n in result.conversions.items() if n}, "rows": rows}


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="use the data already in the database")
    parser.add_argument("--no-live", action="store_true", help="skip crediting every touch (the slow path)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_attribution")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from reports.attribution import rollup
    from reports.attribution.crediting import MODELS, TIME_DECAY
    from reports.attribution.selectors import attribution
    from reports.filters import ReportFilters
    from reports.models import AttributionCredit, PersonCredit, PersonJourney
    from reports.periods import Period

    if not args.keep:
        started = time.perf_counter()
        build(args.people)
        print(f"build: {time.perf_counter() - started:.0f} s")
    people = PersonJourney.objects.count()
    scale = 1_000_000 / max(1, people)
    today = timezone.localdate()
    quarter = Period(today - timedelta(days=90), today)
    journeys = PersonJourney.objects.filter(is_excluded=False)
    marketer, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "email": "admin@bench.example"}
    )

    if not args.keep or not rollup.rollup_ready():
        started = time.perf_counter()
        rollup.attribution_rebuild()
        spent = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_attributioncredit, reports_personcredit")
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('reports_personcredit'))")
            size = cursor.fetchone()[0]
        print(
            f"rollup rebuilt: {people:,} people in {spent:,.0f} s ({people / spent:,.0f} people/s),"
            f" {AttributionCredit.objects.count():,} credit rows, {PersonCredit.objects.count():,} people's"
            f" credit rows ({size} with indexes); 1M people: ~{spent * scale / 60:,.1f} min"
        )
    sample = list(journeys.order_by("-created_at").values_list("person_id", flat=True)[:2000])
    started = time.perf_counter()
    rollup.attribution_refresh(sample)
    print(f"the sweep's share: 2,000 recent people computed again (unchanged) in {time.perf_counter() - started:.2f} s")

    print(f"{people:,} people; attribution of {quarter.start} .. {quarter.end}")
    everybody = ReportFilters({"country": "DE"})  # every person of the bench is in DE: the widest filter
    a_tenth = ReportFilters({"industry": "Industry 3"})
    choices = [(model, 7) for model in MODELS] + [(TIME_DECAY, 3), (TIME_DECAY, 90)]
    for model, half_life in choices:
        name = f"{model}" + (f" ({half_life} d)" if model == TIME_DECAY else "")
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            kept = rollup.from_rollup(marketer, quarter, model=model, half_life_days=half_life)
            timings.append(time.perf_counter() - started)
        line = f"  {name:<19} rollup: " + (
            f"{statistics.median(timings):6.3f} s" if kept is not None else "  not kept (credited from the touches)"
        )
        if kept is not None:  # a journey filter: the filtered people's credit rows summed
            for label, filters in (("everybody", everybody), ("a tenth", a_tenth)):
                timings = []
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    paths = rollup.from_paths(marketer, quarter, filters, model=model, half_life_days=half_life)
                    timings.append(time.perf_counter() - started)
                spent = statistics.median(timings)
                agree = "" if filters is a_tenth else ("; agree" if summary(paths) == summary(kept) else "; DISAGREE")
                line += f"   filtered ({label}): {spent:6.3f} s (1M people ~{spent * scale:,.2f} s{agree})"
        if not args.no_live:
            started, started_cpu = time.perf_counter(), time.process_time()
            live = attribution(journeys, quarter, model=model, half_life_days=half_life)
            spent, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            conversions = sum(live.conversions.values())
            agree = "" if kept is None else ("; agree" if summary(kept) == summary(live) else "; DISAGREE")
            line += (
                f"   every touch: {spent:6.2f} s (CPU {cpu:.2f} s, {conversions:,} conversions,"
                f" 1M people ~{spent * scale:,.0f} s){agree}"
            )
        print(line + "   (bar: under 1 s at 1M people)")


if __name__ == "__main__":
    main()
