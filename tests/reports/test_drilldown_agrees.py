"""Every count in the funnel and channel-quality reports equals the count of the sales list it opens
(issue 18, "Numbers that agree"): generated people over several channels, sources, stages and owners,
some test people, some created before the period, read over HTTP as a marketer and as a rep."""

import random
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from leads.models import StageTransition
from reports.drilldown import NOT_SET, sales_list_url
from reports.filters import ReportFilters
from reports.periods import Period
from sales.roles import MARKETER, SALES_REP
from tests.reports.funnel_data import at, linked_counts, list_count, person_with_journey, role_user

pytestmark = pytest.mark.django_db

TOUCHES = [
    ("linkedin", "paid_social", ""),
    ("linkedin", "", ""),
    ("google", "cpc", ""),
    ("newsletter", "email", ""),
    ("", "", "news.ycombinator.com"),
    ("", "", ""),
    ("q4-banking", "", ""),
]


@pytest.fixture
def world():
    """~70 people with seeded random journeys: two reps (one team), unowned people, test people."""
    rng = random.Random(18)
    today = timezone.localdate()
    period = Period(today - timedelta(days=59), today - timedelta(days=10))
    marketer = role_user(MARKETER, username="mark")
    reps = [role_user(SALES_REP, username=name, team="Inbound") for name in ("rita", "ravi")]
    for index in range(70):
        created = at(today - timedelta(days=rng.randint(0, 90)), hour=rng.randint(0, 23))
        moments, moment = [], created
        for _ in range(rng.choice([0, 0, 1, 2, 2, 3, 4])):
            moment = moment + timedelta(days=rng.choice([0, 0, 3, 9, 20]), hours=rng.randint(0, 20))
            moments.append(moment)
        source, medium, referrer = rng.choice(TOUCHES)
        recycled = moments[0] + timedelta(days=2) if moments and rng.random() < 0.3 else None
        person, _ = person_with_journey(
            created=created,
            source=source,
            medium=medium,
            referrer=referrer,
            campaign=rng.choice(["", "q4-banking", "spring"]),
            owner=rng.choice([*reps, None]),
            team="Inbound",
            reached=moments,
            excluded=index % 11 == 0,
            pipeline=rng.choice([0, 0, 10_000, 50_000]),
            won=rng.choice([0, 0, 25_000]) if len(moments) == 4 else 0,
            recycled=recycled,
            returned=recycled + timedelta(days=5) if recycled and rng.random() < 0.5 else None,
            country=rng.choice(["DE", "GB", ""]),
        )
        for stage, when in zip(("mql", "sql", "opportunity", "customer"), moments, strict=False):
            StageTransition.objects.create(person=person, to_stage=stage, reason_type="rule", occurred_at=when)
    return {"period": period, "marketer": marketer, "rep": reps[0]}


def _query(period, extra=""):
    return f"period=custom&from={period.start}&to={period.end}{extra}"


REPORTS = [
    "/admin/reports/funnel/?{q}",
    "/admin/reports/funnel/?{q}&channel=Social",
    "/admin/reports/funnel/?{q}&country=DE&campaign=q4-banking",
    "/admin/reports/channels/?{q}",
    "/admin/reports/channels/?{q}&group=source",
    "/admin/reports/channels/?{q}&group=campaign&sort=person_to_customer",
    "/admin/reports/channels/?{q}&group=referrer",
    "/admin/reports/channels/?{q}&group=medium&source=linkedin",
]


@pytest.mark.parametrize("who", ["marketer", "rep"])
def test_every_count_opens_a_list_of_that_many_people(client, world, who):
    """Each report page's linked numbers against the list each opens (a list shared by several numbers
    is read once)."""
    client.force_login(world[who])
    listed: dict[str, int] = {}
    disagreements, numbers = [], 0
    for report in REPORTS:
        page = report.format(q=_query(world["period"]))
        response = client.get(page)
        assert response.status_code == 200, page
        counts = linked_counts(response.content.decode())
        assert counts, f"no linked counts on {page}"
        for url, shown in counts:
            if url not in listed:
                listed[url] = list_count(client, url)
            numbers += 1
            if listed[url] != shown:
                disagreements.append((page, url, shown, listed[url]))
    assert not disagreements, disagreements
    # The data reaches the reports (not an all-zero agreement), and most numbers were checked.
    assert numbers > 100 and sum(1 for count in listed.values() if count) > 30


def test_a_rep_sees_fewer_people_than_the_marketer_and_the_lists_agree(client, world):
    url = "/admin/reports/funnel/?" + _query(world["period"])
    client.force_login(world["marketer"])
    everybody = linked_counts(client.get(url).content.decode())
    client.force_login(world["rep"])
    own = linked_counts(client.get(url).content.decode())
    assert own[0][1] < everybody[0][1]  # new people in the cohort: the rep's own only
    assert own[0][0] == everybody[0][0]  # the same link: the list applies the viewer's own scope


def test_the_not_set_row_opens_the_people_with_no_source(client, world):
    client.force_login(world["marketer"])
    html = client.get("/admin/reports/channels/?group=source&" + _query(world["period"])).content.decode()
    not_set = [
        (url, shown) for url, shown in linked_counts(html) if parse_qs(urlsplit(url).query).get("j_source") == [NOT_SET]
    ]
    assert not_set and not_set[0][1] > 0
    assert list_count(client, not_set[0][0]) == not_set[0][1]


def test_the_drilldown_url_says_the_cohort_or_the_reaching_period():
    period = Period(*[timezone.localdate()] * 2)
    filters = ReportFilters({"channel": "Social", "owner": 7, "form": ("form", "12")})
    cohort = parse_qs(urlsplit(sales_list_url(filters, period, "sql")).query)
    assert cohort == {
        "j_channel": ["Social"],
        "j_owner": ["7"],
        "j_form": ["form:12"],
        "j_reached": ["sql"],
        "j_created_from": [str(period.start)],
        "j_created_to": [str(period.end)],
    }
    flows = parse_qs(urlsplit(sales_list_url(filters, period, "customer", cohort=False)).query)
    assert flows["j_reached_from"] == [str(period.start)] and "j_created_from" not in flows
    with pytest.raises(ValueError):
        sales_list_url(filters, period, "won")
    with pytest.raises(ValueError):
        sales_list_url(filters, period, None, cohort=False)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("j_reached=won", "j_reached"),
        ("j_reached_from=2026-01-01", "j_reached"),
        ("j_created_from=2026-02-30", "j_created_from"),
        ("j_created_from=2026-03-01&j_created_to=2026-02-01", "j_created_to"),
        ("j_country=Germany", "j_country"),
        ("j_owner=me", "j_owner"),
        ("j_form=page", "j_form"),
        ("j_source=" + "x" * 300, "j_source"),
        ("j_returned=maybe", "j_returned"),
    ],
)
def test_a_malformed_journey_filter_names_its_parameter_and_is_left_out(client, query, parameter):
    client.force_login(role_user(MARKETER))
    response = client.get(f"/admin/leads/person/?{query}")
    assert response.status_code == 200
    assert f"{parameter}:" in response.content.decode()


def test_the_journey_filter_shows_as_one_chip_and_can_be_saved(client, world):
    from sales.saved_filter_queries import param_names

    assert {"j_channel", "j_created_from", "j_reached", "j_reached_to", "j_returned"} <= param_names("people")
    client.force_login(world["marketer"])
    url = sales_list_url(ReportFilters({"channel": "Social"}), world["period"], "mql", cohort=False)
    html = client.get(url).content.decode()
    assert "Journey (from reports)" in html and "channel Social" in html and "reached MQL" in html
