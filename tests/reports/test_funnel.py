"""The funnel and velocity report: cohort and period funnels, stage moves, velocity percentiles, recycling,
on hand-built journeys whose numbers are worked out below; the percentile function on this database
(PostgreSQL computes in SQL, others in Python: the same test runs on both); the page over HTTP."""

from datetime import date

import pytest
from django.db.models import Q
from django.http import QueryDict
from wagtail.models import ModelLogEntry

from leads.admin_privacy import EXPORT_ACTION
from leads.models import StageTransition
from reports.filters import ReportFilters, filters_from_request
from reports.funnel import cohort_funnel, period_funnel, recycling, stage_moves, velocity
from reports.models import PersonJourney
from reports.percentiles import Measure, day_percentiles, percentile_cont
from reports.periods import Period
from sales.roles import EDITOR, MARKETER, SALES_REP
from tests.reports.funnel_data import at, person_with_journey, role_user

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 9, 30))
URL = "/admin/reports/funnel/"
QUERY = "period=custom&from=2026-09-01&to=2026-09-30"


def d(month, day):
    return at(date(2026, month, day))


@pytest.fixture
def people(db):
    """September's funnel, worked out by hand.

    cohort (created in September, test people out): a, b, c, g -> 4; MQL a b g; SQL a b; opportunity a;
    customer a (in October: "so far"). First reached in September: MQL a b d g; SQL a b d; opportunity
    a d; customer d. Recycled in September: g (came back) and h (did not).
    """
    rep = role_user(SALES_REP, username="rita")
    made = {}
    made["a"] = person_with_journey(
        created=d(9, 3),
        source="linkedin",
        medium="paid_social",
        owner=rep,
        reached=[d(9, 5), d(9, 10), d(9, 20), d(10, 15)],
        pipeline=50_000,
        won=50_000,
    )[0]
    made["b"] = person_with_journey(created=d(9, 10), source="google", medium="cpc", reached=[d(9, 10), d(9, 12)])[0]
    made["c"] = person_with_journey(created=d(9, 15), country="DE")[0]
    made["d"] = person_with_journey(
        created=d(8, 20), owner=rep, reached=[d(9, 2), d(9, 25), d(9, 26), d(9, 28)], pipeline=9_000, won=9_000
    )[0]
    made["e"] = person_with_journey(created=d(9, 20), reached=[d(9, 21)], excluded=True)[0]
    made["f"] = person_with_journey(created=d(10, 5))[0]
    made["g"] = person_with_journey(created=d(9, 5), reached=[d(9, 6)], recycled=d(9, 15), returned=d(9, 25))[0]
    made["h"] = person_with_journey(created=d(7, 1), reached=[d(7, 10)], recycled=d(9, 10))[0]
    moves = [
        ("a", "mql", d(9, 5)),
        ("a", "sql", d(9, 10)),
        ("a", "opportunity", d(9, 20)),
        ("b", "sql", d(9, 12)),  # lead straight to SQL: reached MQL, but no move into it
        ("d", "mql", d(9, 2)),
        ("d", "sql", d(9, 25)),
        ("d", "opportunity", d(9, 26)),
        ("d", "customer", d(9, 28)),
        ("e", "mql", d(9, 21)),  # a test person: counted nowhere
        ("g", "mql", d(9, 6)),
        ("g", "nurture", d(9, 15)),
        ("g", "mql", d(9, 25)),
        ("a", "customer", d(10, 15)),  # after the period
    ]
    for key, stage, when in moves:
        StageTransition.objects.create(person=made[key], to_stage=stage, reason_type="rule", occurred_at=when)
    made["rep"] = rep
    made["marketer"] = role_user(MARKETER, username="mark")
    return made


def _people(steps):
    return [step.people for step in steps]


def test_the_cohort_funnel_counts_the_periods_people_and_what_they_reached_so_far(people):
    steps = cohort_funnel(people["marketer"], SEPTEMBER, ReportFilters())
    assert _people(steps) == [4, 3, 2, 1, 1]
    assert [step.rate_from_previous for step in steps] == [None, 0.75, 2 / 3, 0.5, 1.0]
    assert steps[-1].rate_from_first == 0.25


def test_the_period_funnel_counts_who_first_reached_each_stage_in_the_period(people):
    assert _people(period_funnel(people["marketer"], SEPTEMBER, ReportFilters())) == [4, 4, 3, 2, 1]


def test_a_rep_counts_only_their_own_people(people):
    assert _people(cohort_funnel(people["rep"], SEPTEMBER, ReportFilters())) == [1, 1, 1, 1, 1]
    assert _people(period_funnel(people["rep"], SEPTEMBER, ReportFilters())) == [1, 2, 2, 2, 1]
    assert stage_moves(people["rep"], SEPTEMBER, ReportFilters()) == {
        "mql": 2,
        "sql": 2,
        "opportunity": 2,
        "customer": 1,
    }


def test_filters_narrow_every_number(people):
    social = filters_from_request(QueryDict("channel=Paid social"))
    assert _people(cohort_funnel(people["marketer"], SEPTEMBER, social)) == [1, 1, 1, 1, 1]
    germany = filters_from_request(QueryDict("country=de"))
    assert _people(cohort_funnel(people["marketer"], SEPTEMBER, germany)) == [1, 0, 0, 0, 0]
    assert stage_moves(people["marketer"], SEPTEMBER, social) == {"mql": 1, "sql": 1, "opportunity": 1}


def test_stage_moves_count_every_move_in_the_period_and_not_the_skipped_stages(people):
    assert stage_moves(people["marketer"], SEPTEMBER, ReportFilters()) == {
        "mql": 4,  # a, d, g twice (back from nurture); b skipped it; e is a test person
        "sql": 3,
        "opportunity": 2,
        "customer": 1,
        "nurture": 1,
    }


def test_velocity_gives_median_and_80th_percentile_days_per_step(people):
    figures = {item.key: item for item in velocity(people["marketer"], SEPTEMBER, ReportFilters())}
    # Lead to MQL, for a (2 days), b (0), d (13), g (1): median 1.5; 80th: 2 + 0.4 * (13 - 2).
    assert figures["lead_mql"].people == 4
    assert figures["lead_mql"].median_days == pytest.approx(1.5)
    assert figures["lead_mql"].p80_days == pytest.approx(6.4)
    # MQL to SQL: a 5, b 2, d 23.
    assert (figures["mql_sql"].median_days, figures["mql_sql"].p80_days) == (pytest.approx(5), pytest.approx(15.8))
    # SQL to opportunity: a 10, d 1.
    assert figures["sql_opportunity"].median_days == pytest.approx(5.5)
    assert figures["opportunity_customer"].people == 1 and figures["opportunity_customer"].median_days == 2
    assert figures["lead_customer"].median_days == pytest.approx(39)


def test_velocity_of_an_empty_period_is_blank_not_zero(people):
    empty = Period(date(2020, 1, 1), date(2020, 1, 31))
    for item in velocity(people["marketer"], empty, ReportFilters()):
        assert (item.people, item.median_days, item.p80_days) == (0, None, None)


def test_recycling_counts_the_recycled_and_those_who_came_back(people):
    result = recycling(people["marketer"], SEPTEMBER, ReportFilters())
    assert (result.recycled, result.came_back, result.rate) == (2, 1, 0.5)


# --- The percentile function ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7], 0.8, 7),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([4, 1, 3, 2], 0.8, 3.4),
        ([0, 0, 0, 10], 0.5, 0),
        ([1.5, 2.5], 1.0, 2.5),
    ],
)
def test_percentile_cont_is_postgresqls_definition(values, fraction, expected):
    assert percentile_cont(values, fraction) == (None if expected is None else pytest.approx(expected))


def test_day_percentiles_agree_with_the_python_definition_on_this_database(people):
    """On PostgreSQL this runs percentile_cont in SQL; on SQLite the Python path: the same expectations."""
    measures = {
        "to_mql": Measure("created_at", "mql_at", Q(mql_at__isnull=False)),
        "to_sql": Measure("mql_at", "sql_at", Q(sql_at__isnull=False)),
        "none": Measure("created_at", "customer_at", Q(pk__in=[])),
    }
    rows = PersonJourney.objects.all()
    overall = day_percentiles(rows, measures)[None]
    to_mql = [(j.mql_at - j.created_at).total_seconds() / 86400 for j in rows if j.mql_at]
    assert overall["to_mql"]["n"] == len(to_mql) == 6
    for fraction in (0.5, 0.8):
        assert overall["to_mql"][fraction] == pytest.approx(percentile_cont(to_mql, fraction))
    assert overall["none"] == {"n": 0, 0.5: None, 0.8: None}
    grouped = day_percentiles(rows, measures, group="channel", fractions=(0.5,))
    assert grouped["Paid search"]["to_sql"] == {"n": 1, 0.5: pytest.approx(2)}
    # Direct: d 13 days, e 1 (the rows here include the test person), g 1, h 9: median 5.
    assert grouped["Direct"]["to_mql"]["n"] == 4 and grouped["Direct"]["to_mql"][0.5] == pytest.approx(5)


# --- The page ---------------------------------------------------------------------------------------------
def test_the_page_shows_the_funnel_chart_tables_and_the_definitions(client, people):
    client.force_login(people["marketer"])
    response = client.get(f"{URL}?{QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "Cohort funnel" in html
    assert "Recent cohorts are incomplete" in html
    for title in ("By cohort", "By period", "Moves into each stage", "Velocity", "Recycling"):
        assert title in html
    for key in "abcdefgh":
        assert people[key].email not in html and (not people[key].phone or people[key].phone not in html)


def test_the_page_refuses_a_wrong_filter_with_400_naming_it(client, people):
    client.force_login(people["marketer"])
    response = client.get(f"{URL}?{QUERY}&channel=Carrier+pigeon")
    assert response.status_code == 400 and b"channel" in response.content
    assert client.get(f"{URL}?period=forever").status_code == 400


def test_editors_may_not_see_the_funnel(client, people):
    client.force_login(role_user(EDITOR))
    refused = client.get(URL)  # Wagtail's admin answers PermissionDenied by sending them home
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert client.get(f"{URL}?{QUERY}&format=csv&table=cohort").status_code == 302


def test_the_velocity_table_downloads_as_csv_and_is_audit_logged(client, people):
    client.force_login(people["marketer"])
    response = client.get(f"{URL}?{QUERY}&format=csv&table=velocity")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Step,People,Median days,80% within (days)"
    assert lines[1] == "Lead to MQL,4,1.5,6.4"
    assert ModelLogEntry.objects.filter(user=people["marketer"], action=EXPORT_ACTION).count() == 1
