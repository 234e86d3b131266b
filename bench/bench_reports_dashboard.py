"""How long the dashboard takes (reports.dashboard.dashboard_figures and the page), on PostgreSQL, as a
marketer (everybody, with traffic) and as a rep (their own people), for 30 days and for a year.

    .venv/bin/python bench/bench_reports_dashboard.py [--people 200000] [--rounds 3] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_dashboard]

Data: the funnel bench's (bench_reports_funnel.build: P people over two years with journeys, three
stage moves each, five visitor-days each), plus a deal for every person who reached an opportunity
(won for customers), two content downloads or form fills per person, and page views as the rest of a
busy interactions table would hold them (--page-views per person, default 10: the content query must
find its rows among them through the (type, occurred_at) index). Prints the median seconds of each
part and of the whole page, and what that is for 1M people (linear). The issue's bar: under 1 s.
"""

import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_reports_funnel import PLAIN_STATIC, build, timed  # noqa: E402
from bench.harness import argument_parser, setup_django  # noqa: E402


def build_more(page_views: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_deal, leads_interaction RESTART IDENTITY CASCADE")
        cursor.execute(
            """
            INSERT INTO leads_deal (crm_id, person_id, status, amount, currency, amount_report, close_date,
                opened_at, crm_changed_at, created_at, updated_at)
            SELECT 'opp-' || j.person_id, j.person_id,
                   CASE WHEN j.customer_at IS NOT NULL THEN 'won' WHEN j.person_id % 5 = 0 THEN 'lost' ELSE 'open' END,
                   10000, 'EUR', 10000, j.customer_at::date, j.opportunity_at, j.opportunity_at, now(), now()
            FROM reports_personjourney j WHERE j.opportunity_at IS NOT NULL
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,
                object_label, object_topics, properties)
            SELECT CASE WHEN o = 0 THEN 'content_download' ELSE 'form_submit' END,
                   p.created_at + o * interval '3 days', p.id, '',
                   CASE WHEN o = 0 THEN 'whitepaper' ELSE 'form' END, (p.id % 30)::text,
                   'Object ' || (p.id % 30), '', '{}'
            FROM leads_person p CROSS JOIN generate_series(0, 1) o
            """
        )
        cursor.execute(
            """
            INSERT INTO leads_interaction (type, occurred_at, person_id, visitor_id, object_type, object_id,
                object_label, object_topics, properties)
            SELECT 'page_view', p.created_at + o * interval '5 hours', p.id, 'v' || p.id, 'page', (o %% 50)::text,
                   '', '', '{}'
            FROM leads_person p CROSS JOIN generate_series(1, %s) o
            """,
            [page_views],
        )
        cursor.execute("ANALYZE leads_deal")
        cursor.execute("ANALYZE leads_interaction")
        cursor.execute("SELECT count(*) FROM leads_interaction")
        print(f"built {cursor.fetchone()[0]:,} interactions")
    from reports.rollups.content import content_days_rebuild

    started = time.perf_counter()
    content_days_rebuild()  # the content rollup, as `reports_rebuild` computes it (top content reads it)
    print(f"content rollup: {time.perf_counter() - started:.1f} s")


def dashboard_parts(user, period, *, traffic: bool) -> dict:
    """Each part of dashboard_figures as a callable, and the whole of it."""
    from reports import access, dashboard

    previous = period.previous()
    journeys = access.journeys_for(user)
    parts = {
        "visitors and known visitors": lambda: dashboard._visitor_tiles(period, previous),
        "five people tiles": lambda: [
            dashboard._journey_days(journeys, column, previous, period) for _, _, column in dashboard.STAGE_TILES
        ],
        "pipeline and won revenue": lambda: dashboard._deal_tiles(user, period, previous),
        "top channels": lambda: dashboard.top_channels(journeys, period),
        "top content": lambda: dashboard.top_content(user, period),
        "upcoming events": lambda: dashboard.upcoming_events(user),
        "dashboard_figures, all of it": lambda: dashboard.dashboard_figures(user, period),
    }
    if not traffic:
        parts.pop("visitors and known visitors")
    return parts


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--page-views", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="use the data already in the database")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_dashboard")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from reports.models import PersonJourney
    from reports.periods import Period
    from sales.roles import MARKETER, SALES_REP, roles_ensure

    if not args.keep:
        started = time.perf_counter()
        build(args.people)
        build_more(args.page_views)
        print(f"build: {time.perf_counter() - started:.0f} s")
    roles = roles_ensure()
    users = get_user_model().objects
    marketer, _ = users.get_or_create(username="bench-marketer", defaults={"email": "marketer@bench.example"})
    marketer.groups.add(roles[MARKETER])
    rep = users.get(username="bench-rep-0")
    rep.groups.add(roles[SALES_REP])
    people = PersonJourney.objects.count()
    scale = 1_000_000 / max(1, people)
    today = timezone.localdate()

    def show(label, seconds):
        print(f"  {label:<44} {seconds:6.3f} s   1M people: ~{seconds * scale:6.2f} s   (bar: under 1 s)")

    print(f"{people:,} people")
    for days, query in ((30, "period=30d"), (365, "period=12m")):
        period = Period(today - timedelta(days=days - 1), today)
        for who, user in (("marketer", marketer), ("rep", rep)):
            print(f"the last {days} days, as the {who}:")
            for label, work in dashboard_parts(user, period, traffic=who == "marketer").items():
                show(label, timed(args.rounds, work))
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            with override_settings(STORAGES=PLAIN_STATIC):  # no collectstatic manifest needed
                url = f"/admin/reports/?{query}"
                status = client.get(url).status_code
                if status != 200:
                    sys.exit(f"{url} answered {status}")
                show("the dashboard page", timed(args.rounds, lambda url=url, client=client: client.get(url)))


if __name__ == "__main__":
    main()
