"""The dashboard (issue 18 item 2): its numbers on built rollup rows, who sees what, the home panel,
bad input, the CSV. Rollup rows (PersonJourney, DailyVisitor) are built directly: the rollups' own
tests check they equal the raw rows."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.menu import reports_menu
from wagtail.models import ModelLogEntry

from events.models import Event, Registration
from leads.admin_privacy import EXPORT_ACTION
from leads.models import Deal
from reports.dashboard import dashboard_figures, top_content, top_content_from_interactions
from reports.models import DailyVisitor, PersonJourney
from reports.periods import Period
from reports.rollups.content import content_days_rebuild
from reports.rollups.visitors import previous_days_refresh
from sales.roles import EDITOR, MARKETER, SALES_MANAGER, SALES_REP, roles_ensure
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.leads import InteractionFactory, PersonFactory, SalesRepFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))  # the period before: 2 Oct - 31 Oct
QUERY = {"from": "2026-11-01", "to": "2026-11-30"}
URL = "/admin/reports/"


def at(day: int, month: int = 11, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"  # days are the marketer's days, not UTC's
    timezone.activate(BERLIN)
    yield
    timezone.deactivate()


@pytest.fixture
def users(db):
    roles = roles_ensure()

    def user(role, **kwargs):
        made = UserFactory(**kwargs)
        made.groups.add(roles[role])
        return made

    rep = user(SALES_REP, username="rep")
    SalesRepFactory(user=rep, team="Inbound")
    manager = user(SALES_MANAGER, username="manager")
    SalesRepFactory(user=manager, team="Inbound")
    return {"marketer": user(MARKETER, username="marketer"), "editor": user(EDITOR, username="editor"),
            "rep": rep, "manager": manager, "other_rep": user(SALES_REP, username="other")}  # fmt: skip


def journey(owner=None, *, created, channel="Social", excluded=False, **stages):
    person = PersonFactory(owner=owner, is_test=excluded, phone="+49 30 1234567")
    return PersonJourney.objects.create(
        person=person, created_at=created, channel=channel, owner=owner, is_excluded=excluded, **stages
    )


def deal(person, status, amount, opened, close_date=None, crm_id=None):
    return Deal.objects.create(
        crm_id=crm_id or f"opp-{Deal.objects.count() + 1}",
        person=person,
        status=status,
        amount=amount,
        currency="EUR",
        amount_report=amount,
        opened_at=opened,
        close_date=close_date,
        crm_changed_at=opened,
    )


@pytest.fixture
def book(users):
    """November's and October's people, visitors and deals; the rep owns some, another rep others."""
    rep, other = users["rep"], users["other_rep"]
    mine = [
        journey(rep, created=at(3), mql_at=at(5), sql_at=at(6), opportunity_at=at(7)),
        # 00:30 on 1 November in Berlin is still 31 October in UTC: it is November's.
        journey(rep, created=datetime(2026, 10, 31, 23, 30, tzinfo=ZoneInfo("UTC")), channel="Email"),
        journey(rep, created=at(20, 10), mql_at=at(2), customer_at=at(28)),  # October's person, November's MQL
    ]
    theirs = [
        journey(other, created=at(4), mql_at=at(4), channel="Paid search"),
        journey(other, created=at(10, 10), channel="Paid search"),
        journey(None, created=at(12), channel=""),
    ]
    journey(rep, created=at(5), mql_at=at(5), sql_at=at(5), excluded=True)  # a test person: nowhere
    journey(rep, created=at(1, 12), mql_at=at(1, 12))  # after the period

    deal(mine[0].person, Deal.Status.OPEN, Decimal("1000.00"), at(7))
    deal(mine[2].person, Deal.Status.WON, Decimal("500.50"), at(10, 10), close_date=date(2026, 11, 28))
    deal(mine[0].person, Deal.Status.LOST, Decimal("999.00"), at(8))
    deal(theirs[0].person, Deal.Status.OPEN, Decimal("300.00"), at(15, 10))  # October's pipeline
    deal(theirs[0].person, Deal.Status.WON, Decimal("2000.00"), at(9), close_date=date(2026, 11, 30))
    deal(None, Deal.Status.WON, Decimal("50.00"), at(9), close_date=date(2026, 11, 2))  # a company's deal
    excluded = PersonJourney.objects.get(is_excluded=True).person
    deal(excluded, Deal.Status.WON, Decimal("7777.00"), at(9), close_date=date(2026, 11, 9))

    for day, visitor, person_id in [
        (date(2026, 11, 3), "v1", None),
        (date(2026, 11, 5), "v1", mine[0].person_id),  # one visitor on two days, known on one
        (date(2026, 11, 5), "v2", None),
        (date(2026, 10, 30), "v3", None),
        (date(2026, 12, 1), "v4", None),
    ]:
        DailyVisitor.objects.create(day=day, visitor_id=visitor, person_id=person_id, first_at=at(day.day, day.month))
    previous_days_refresh(None)  # as the rollup keeps them

    paper = {"object_type": "whitepaper", "object_id": "7", "object_label": "State of RevOps"}
    form = {"object_type": "form", "object_id": "3", "object_label": "Contact us"}
    for person in (mine[0].person, mine[1].person, theirs[0].person):
        InteractionFactory(person=person, type="content_download", occurred_at=at(9), **paper)
    InteractionFactory(person=mine[0].person, type="form_submit", occurred_at=at(9), **form)
    InteractionFactory(person=theirs[1].person, type="form_submit", occurred_at=at(9), **form)
    InteractionFactory(person=theirs[1].person, type="form_submit", occurred_at=at(9, 10), **form)  # October
    InteractionFactory(person=excluded, type="form_submit", occurred_at=at(9), **form)
    content_days_rebuild()  # as the rollup keeps them (PostgreSQL)
    return {"mine": mine, "theirs": theirs}


def tiles(figures):
    return {tile["key"]: tile for tile in figures["tiles"]}


def test_the_marketer_sees_every_number_of_the_period_against_the_one_before(users, book):
    figures = dashboard_figures(users["marketer"], NOVEMBER)
    got = tiles(figures)
    assert list(got) == [
        "visitors", "known_visitors", "new_people", "mqls", "sqls", "opportunities", "customers",
        "pipeline", "won_revenue",
    ]  # fmt: skip
    assert (got["visitors"]["value"], got["visitors"]["previous"]) == (2, 1)
    assert (got["known_visitors"]["value"], got["known_visitors"]["previous"]) == (1, 0)
    assert (got["new_people"]["value"], got["new_people"]["previous"]) == (4, 2)
    assert got["new_people"]["change"] == pytest.approx(1.0)
    assert (got["mqls"]["value"], got["sqls"]["value"], got["opportunities"]["value"]) == (3, 1, 1)
    assert got["customers"]["value"] == 1 and got["customers"]["change"] is None  # nothing before: no change
    # Opened in November and not lost (won since counts too), the company's deal included.
    assert got["pipeline"]["value"] == Decimal("3050.00")
    assert got["pipeline"]["previous"] == Decimal("800.50")  # opened in October, one of them won since
    assert got["won_revenue"]["value"] == Decimal("2550.50")  # closed won in November, the company's deal too
    # The trend over the period's days adds up to the number; the person of 00:30 on 1 November is there.
    trend = dict(got["new_people"]["trend"])
    assert len(trend) == 30 and sum(trend.values()) == 4 and trend[date(2026, 11, 1)] == 1
    assert sum(v for _, v in got["won_revenue"]["trend"]) == Decimal("2550.50")
    assert figures["trend"]["previous"][0][0] == date(2026, 10, 2)


def test_top_channels_content_and_events(users, book):
    figures = dashboard_figures(users["marketer"], NOVEMBER)
    assert figures["channels"] == [  # most new people first, then most MQLs
        {"channel": "Social", "people": 1, "mqls": 2},
        {"channel": "Paid search", "people": 1, "mqls": 1},
        {"channel": "", "people": 1, "mqls": 0},
        {"channel": "Email", "people": 1, "mqls": 0},
    ]
    assert [(row["label"], row["downloads"], row["form_fills"], row["people"]) for row in figures["content"]] == [
        ("State of RevOps", 3, 0, 3),
        ("Contact us", 0, 2, 2),  # October's fill and the test person's are not counted
    ]
    # The content counts (PostgreSQL) say what the interactions say, for everybody and for a rep.
    for user in (users["marketer"], users["rep"]):
        assert top_content(user, NOVEMBER) == top_content_from_interactions(user, NOVEMBER)


def test_upcoming_events_with_their_registrations(users, db):
    soon = EventFactory(title="RevOps night", capacity=4)
    later = EventFactory(title="Webinar", capacity=None, starts_at=timezone.now() + timedelta(days=30))
    EventFactory(title="Past", starts_at=timezone.now() - timedelta(days=3))
    EventFactory(title="Cancelled", status=Event.Status.CANCELLED)
    for status in ["approved", "approved", "attended", "pending", "waitlisted", "cancelled"]:
        RegistrationFactory(event=soon, status=status)
    figures = dashboard_figures(users["marketer"], NOVEMBER)
    assert [(e["title"], e["registered"], e["pending"], e["waitlisted"], e["capacity"]) for e in figures["events"]] == [
        ("RevOps night", 3, 1, 1, 4),
        ("Webinar", 0, 0, 0, None),
    ]
    assert figures["events"][0]["fill_rate"] == pytest.approx(0.75) and figures["events"][1]["fill_rate"] is None
    assert Registration.objects.filter(event=later).count() == 0


def test_a_rep_counts_only_their_own_people_and_sees_no_traffic(users, book):
    figures = dashboard_figures(users["rep"], NOVEMBER)
    got = tiles(figures)
    assert "visitors" not in got and "known_visitors" not in got and not figures["shows_traffic"]
    assert (got["new_people"]["value"], got["mqls"]["value"], got["customers"]["value"]) == (2, 2, 1)
    assert got["pipeline"]["value"] == Decimal("1000.00") and got["won_revenue"]["value"] == Decimal("500.50")
    assert got["pipeline"]["previous"] == Decimal("500.50")
    assert [(row["label"], row["downloads"], row["form_fills"]) for row in figures["content"]] == [
        ("State of RevOps", 2, 0),
        ("Contact us", 0, 1),
    ]
    # The manager sees the team: the rep's people and their own (none here), not the other rep's.
    assert tiles(dashboard_figures(users["manager"], NOVEMBER))["new_people"]["value"] == 2


def test_the_page_shows_the_numbers_charts_and_drilldowns_and_no_personal_data(client, users, book):
    client.force_login(users["marketer"])
    response = client.get(URL, QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="img"') >= 9 + 4  # a sparkline per tile, the trend, three bar charts
    assert "Known visitors" in page and "Top channels" in page and "State of RevOps" in page
    people = reverse("leads_person:index")
    assert f'href="{people}?j_created_from=2026-11-01&amp;j_created_to=2026-11-30"' in page
    assert f'href="{people}?j_reached=mql&amp;j_reached_from=2026-11-01&amp;j_reached_to=2026-11-30"' in page
    assert "j_channel=Paid+search" in page
    for row in PersonJourney.objects.select_related("person"):
        assert row.person.email not in page and row.person.phone not in page
    assert "1234567" not in page


LINKED = re.compile(r'<a href="(/admin/leads/person/\?[^"]+)"[^>]*>([\d,]+)</a>')


def list_count(client, url: str) -> int:
    """The count the sales people list shows for `url`."""
    page = client.get(url).content.decode()
    assert "errorlist" not in page, url
    match = re.search(r"([\d,]+) (?:person matches|people match)", page)
    return int(match.group(1).replace(",", "")) if match else 0


@pytest.mark.parametrize("who", ["marketer", "rep"])
def test_every_people_number_opens_a_sales_list_of_that_many_people(client, users, book, who):
    client.force_login(users[who])
    linked = [
        (unescape(url), int(n.replace(",", ""))) for url, n in LINKED.findall(client.get(URL, QUERY).content.decode())
    ]
    assert len(linked) >= 2 * 5 + 2 * 2  # tiles and the numbers table (5 each), the channels table (2 a row)
    assert sum(n for _, n in linked) > 10  # not an all-zero agreement
    lists = {url: list_count(client, url) for url, _ in linked}
    assert [(url, n) for url, n in linked if lists[url] != n] == []


def test_editors_may_not_open_the_dashboard_and_reps_see_no_traffic(client, users, book):
    client.force_login(users["editor"])
    for query in (QUERY, {**QUERY, "format": "csv", "table": "numbers"}):
        refused = client.get(URL, query)  # Wagtail's refusal: back home with "Sorry, you do not have permission"
        assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert not ModelLogEntry.objects.filter(action=EXPORT_ACTION).exists()
    client.force_login(users["rep"])
    page = client.get(URL, QUERY).content.decode()
    assert "Known visitors" not in page and "only the people you may see" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [({"period": "forever"}, "period"), ({"from": "2026-13-01", "to": "2026-12-01"}, "from"),
     ({"from": "2026-11-01", "to": "2026-10-01"}, "to"), ({**QUERY, "format": "csv", "table": "nope"}, "table")],
)  # fmt: skip
def test_a_wrong_period_or_table_answers_400_naming_the_field(client, users, query, field):
    client.force_login(users["marketer"])
    response = client.get(URL, query)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_the_numbers_download_as_csv_and_the_download_is_audit_logged(client, users, book):
    client.force_login(users["marketer"])
    response = client.get(URL, {**QUERY, "format": "csv", "table": "numbers"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Number", "This period", "Period before", "Change"]
    assert ["New people", "4", "2", "1.0000"] in rows
    entry = ModelLogEntry.objects.filter(action=EXPORT_ACTION, user=users["marketer"]).get()
    assert entry.data["rows"] == 7 and "Dashboard" in entry.data["list"]
    trends = client.get(URL, {**QUERY, "format": "csv", "table": "trends"}).content.decode("utf-8-sig")
    assert trends.count("\n") == 31  # the header and a row per day


def test_managers_and_marketers_land_on_the_dashboard_editors_and_reps_keep_wagtails_home(client, users, book, rf):
    for name, lands in [("marketer", True), ("manager", True), ("editor", False), ("rep", False)]:
        client.force_login(users[name])
        response = client.get("/admin/")
        assert response.status_code == 200
        page = response.content.decode()
        assert ("Marketing dashboard" in page) is lands, name
        assert page.count('class="rp-tile"') == (9 if name == "marketer" else 7 if lands else 0), name
        request = rf.get("/admin/")
        request.user = users[name]
        menu = [item.label for item in sorted(reports_menu.menu_items_for_request(request), key=lambda i: i.order)]
        assert (menu[:1] == ["Dashboard"]) is (name != "editor"), (name, menu)  # first in the Reports menu
    client.force_login(users["marketer"])
    assert "reports/reports.css" in client.get("/admin/").content.decode()


def test_visitors_per_week_count_each_visitor_once_a_week(users, db):
    quarter = Period(date(2026, 9, 2), date(2026, 11, 30))  # weeks: Wednesday 2 Sep, then Mondays
    assert quarter.bucket == "week"
    for day, visitor, person_id in [
        (date(2026, 9, 3), "a", None),  # the first, clipped week
        (date(2026, 9, 4), "a", 5),  # the same visitor again that week, known now
        (date(2026, 9, 5), "b", None),
        (date(2026, 9, 8), "a", None),  # the next week
        (date(2026, 11, 30), "c", None),
        (date(2026, 9, 1), "z", None),  # the day before the period
        (date(2026, 8, 31), "a", 7),  # the period before too, in the week the quarter starts in
    ]:
        DailyVisitor.objects.create(day=day, visitor_id=visitor, person_id=person_id, first_at=at(day.day, day.month))
    previous_days_refresh(None)  # as the rollup keeps them
    got = tiles(dashboard_figures(users["marketer"], quarter))
    visitors, known = dict(got["visitors"]["trend"]), dict(got["known_visitors"]["trend"])
    assert visitors[date(2026, 9, 2)] == 2 and known[date(2026, 9, 2)] == 1
    assert visitors[date(2026, 9, 7)] == 1 and known[date(2026, 9, 7)] == 0
    assert visitors[date(2026, 11, 30)] == 1 and sum(visitors.values()) == 4
    assert (got["visitors"]["value"], got["known_visitors"]["value"]) == (3, 1)  # a, b, c over the quarter
    assert (got["visitors"]["previous"], got["known_visitors"]["previous"]) == (2, 1)  # z and a; a
    # The period before, cut by its own weeks: the week of Monday 31 August holds z and a, its part of it.
    before, known_before = dict(got["visitors"]["previous_trend"]), dict(got["known_visitors"]["previous_trend"])
    assert (before[date(2026, 8, 31)], known_before[date(2026, 8, 31)]) == (2, 1)
    assert sum(before.values()) == 2 and date(2026, 9, 2) not in before
