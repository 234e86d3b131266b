"""How long the funnel for a year and channel quality for a quarter take (reports.funnel,
reports.channel_quality), on PostgreSQL, as a marketer (everybody) and as a rep (their own people).

    .venv/bin/python bench/bench_reports_funnel.py [--people 200000] [--rounds 3] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_funnel]

Data, made with SQL (generate_series) over two years: P people with their journeys (seven channels,
forty campaigns, a third reach MQL, an eighth SQL, a sixteenth an opportunity, an 80th are customers, a
tenth of the MQLs recycled, half of those back; owners spread over 20 reps), three stage moves per
person (as at 1M people / 3M moves), and 5 visitor-days per person. Then, `--rounds` times: every
selector of the funnel page for the last 365 days (the cohort; the period funnel, velocity and recycling
in one pass; the stage moves) and channel quality for the last 91 days by channel, by source and by
campaign; then the two pages whole through the admin (rendering, charts and drill-down links
included). Prints the median seconds of each and what that is for 1M people (linear). The issue's
bar: each under 1 s at 1,000,000 people.
"""

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import argument_parser, setup_django  # noqa: E402

REPS = 20
PAGES = (
    ("the funnel page, a year", "/admin/reports/funnel/?period=12m"),
    ("the channel quality page, a quarter", "/admin/reports/channels/?period=90d"),
)
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def build(people: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from reports.rollups.visitors import previous_days_refresh

    user_model = get_user_model()
    reps = [
        user_model.objects.get_or_create(username=f"bench-rep-{n}", defaults={"email": f"rep{n}@bench.example"})[0]
        for n in range(REPS)
    ]
    first_rep = reps[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_stagetransition, reports_dailyvisitor, reports_personjourney, leads_person"
            " RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority, country,
                consent, do_not_contact, stage, fit_score, interest_score, grade, interest_penalty, is_test,
                is_competitor, is_personal_email, owner_id, created_at, updated_at)
            SELECT 'f' || g || '@bench.example', 'f' || g || '@bench.example', '', '', '', '', '', 'DE', 'unknown',
                   false, 'lead', 0, 0, '', 0, false, false, false, %s + g %% %s,
                   now() - (g %% 730) * interval '1 day' - (g %% 24) * interval '1 hour', now()
            FROM generate_series(1, %s) g
            """,
            [first_rep, REPS, people],
        )
        cursor.execute(
            """
            INSERT INTO reports_personjourney (person_id, created_at, channel, source, medium, campaign,
                referrer_domain, first_origin_type, first_origin_id, first_origin_label, industry, country, owner_id,
                team, stage, is_excluded, mql_at, sql_at, opportunity_at, customer_at, recycled_at, returned_at,
                pipeline_amount, won_amount, refreshed_at)
            SELECT p.id, p.created_at,
                   (ARRAY['Direct', 'Social', 'Paid search', 'Email', 'Organic search', 'Referral', 'Paid social'])
                       [1 + p.id % 7],
                   (ARRAY['', 'linkedin', 'google', 'newsletter', 'google', '', 'linkedin'])[1 + p.id % 7],
                   (ARRAY['', 'social', 'cpc', 'email', 'organic', '', 'paid_social'])[1 + p.id % 7],
                   'c' || (p.id % 40),
                   CASE WHEN p.id % 7 = 5 THEN 'news.example.org' ELSE '' END,
                   'form', (p.id % 12)::text, 'Form ' || (p.id % 12), 'banking', 'DE', p.owner_id,
                   'Team ' || (p.owner_id % 3), 'lead', p.id % 97 = 0,
                   CASE WHEN p.id % 3 = 0 THEN p.created_at + (p.id % 9) * interval '1 day' END,
                   CASE WHEN p.id % 8 = 0 THEN p.created_at + (9 + p.id % 13) * interval '1 day' END,
                   CASE WHEN p.id % 16 = 0 THEN p.created_at + (15 + p.id % 21) * interval '1 day' END,
                   CASE WHEN p.id % 80 = 0 THEN p.created_at + (40 + p.id % 30) * interval '1 day' END,
                   CASE WHEN p.id % 30 = 3 THEN p.created_at + interval '20 days' END,
                   CASE WHEN p.id % 60 = 3 THEN p.created_at + interval '50 days' END,
                   CASE WHEN p.id % 16 = 0 THEN 10000 ELSE 0 END, CASE WHEN p.id % 80 = 0 THEN 10000 ELSE 0 END,
                   now()
            FROM leads_person p
            """
        )
        # Three moves a person: into lead at creation, and two along or off the path.
        cursor.execute(
            """
            INSERT INTO leads_stagetransition (person_id, from_stage, to_stage, reason_type, reason, occurred_at)
            SELECT j.person_id, '', m.stage, 'rule', '', m.at
            FROM reports_personjourney j CROSS JOIN LATERAL (VALUES
                ('lead', j.created_at),
                (CASE WHEN j.mql_at IS NOT NULL THEN 'mql' ELSE 'nurture' END,
                 coalesce(j.mql_at, j.created_at + interval '30 days')),
                (CASE WHEN j.sql_at IS NOT NULL THEN 'sql' ELSE 'disqualified' END,
                 coalesce(j.sql_at, j.created_at + interval '60 days'))
            ) AS m(stage, at)
            """
        )
        cursor.execute(
            """
            INSERT INTO reports_dailyvisitor (day, visitor_id, person_id, first_at, channel, source, medium,
                campaign, referrer_domain, page_views)
            SELECT (p.created_at + o * interval '1 day')::date, 'v' || p.id, p.id, p.created_at + o * interval '1 day',
                   (ARRAY['Direct', 'Social', 'Paid search', 'Email'])[1 + (p.id + o + 100) % 4], '', '',
                   'c' || (p.id % 40), '', 3
            FROM leads_person p CROSS JOIN unnest(ARRAY[-9, -6, -3, 1, 7]) o
            """
        )
    previous_days_refresh(None)  # what the rollup keeps on every row (each visitor's day before)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM leads_stagetransition")
        print(f"built {people:,} people, {cursor.fetchone()[0]:,} stage moves")


def timed(rounds, work):
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="use the data already in the database")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_funnel")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from reports import channel_quality, funnel
    from reports.filters import ReportFilters
    from reports.models import PersonJourney
    from reports.periods import Period
    from sales.roles import MARKETER, SALES_REP, roles_ensure

    if not args.keep:
        started = time.perf_counter()
        build(args.people)
        print(f"build: {time.perf_counter() - started:.0f} s")
    roles = roles_ensure()
    users = get_user_model().objects
    marketer, _ = users.get_or_create(username="bench-marketer", defaults={"email": "marketer@bench.example"})
    marketer.groups.add(roles[MARKETER])
    rep = users.get(username="bench-rep-0")
    rep.groups.add(roles[SALES_REP])
    people = PersonJourney.objects.count()
    today = timezone.localdate()
    year, quarter = Period(today - timedelta(days=364), today), Period(today - timedelta(days=90), today)
    none = ReportFilters()
    scale = 1_000_000 / max(1, people)

    def show(label, seconds):
        print(f"  {label:<62} {seconds:6.3f} s   1M people: ~{seconds * scale:6.2f} s   (bar: under 1 s)")

    print(f"{people:,} people; funnel {year.start} .. {year.end}, channels {quarter.start} .. {quarter.end}")
    for who, user in (("marketer", marketer), ("rep", rep)):
        print(f"as the {who}:")
        parts = {
            "cohort funnel": lambda user=user: funnel.cohort_funnel(user, year, none),
            "period funnel, velocity, recycling (one pass)": lambda user=user: funnel.period_figures(user, year, none),
            "stage moves": lambda user=user: funnel.stage_moves(user, year, none),
        }
        total = 0.0
        for label, work in parts.items():
            spent = timed(args.rounds, work)
            total += spent
            show(f"funnel, a year: {label}", spent)
        show("funnel, a year: every selector", total)
        for group in ("channel", "source", "campaign"):
            options = channel_quality.Options(group=group)
            show(
                f"channel quality, a quarter, by {group}",
                timed(args.rounds, lambda user=user, o=options: channel_quality.channel_rows(user, quarter, none, o)),
            )
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for label, url in PAGES:
            with override_settings(STORAGES=PLAIN_STATIC):  # no collectstatic manifest needed
                status = client.get(url).status_code
                if status != 200:
                    sys.exit(f"{url} answered {status}")
                show(label, timed(args.rounds, lambda url=url, client=client: client.get(url)))


if __name__ == "__main__":
    main()
