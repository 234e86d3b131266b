"""Channel quality: per channel (or UTM source, medium, campaign, referrer), the period's new people, what
they reached, what they are worth, and the visitors beside them, so a channel with few visitors who buy
stands out from one with many who don't. Hand-built journeys and visitor-days; the page over HTTP."""

from datetime import date, timedelta

import pytest
from django.http import QueryDict

from reports.channel_quality import Options, channel_rows, options_from_request
from reports.filters import ReportFilters, filters_from_request
from reports.models import DailyVisitor
from reports.periods import Period, ReportInputError
from sales.roles import MARKETER, SALES_REP
from tests.reports.funnel_data import at, person_with_journey, role_user

SEPTEMBER = Period(date(2026, 9, 1), date(2026, 9, 30))
URL = "/admin/reports/channels/"
QUERY = "period=custom&from=2026-09-01&to=2026-09-30"


def d(day, month=9):
    return at(date(2026, month, day))


def visits(count, *, source="", medium="", referrer="", channel, day=date(2026, 9, 10)):
    for index in range(count):
        DailyVisitor.objects.create(
            day=day + timedelta(days=index % 3),
            visitor_id=f"{channel}-{source}-{index}",
            first_at=at(day),
            channel=channel,
            source=source,
            medium=medium,
            referrer_domain=referrer,
            page_views=1,
        )


@pytest.fixture
def channels(db):
    """LinkedIn ads: 4 visitors, 2 people, both customers (won 30,000 and 20,000), MQL after 2 and 4 days.
    Organic search: 100 visitors, 5 people (one with no source: a search referrer), none past MQL.
    Email: 6 visitors, nobody created. A test person and a person created in August are counted nowhere."""
    rep = role_user(SALES_REP, username="rita")
    for won, mql_after in ((30_000, 2), (20_000, 4)):
        person_with_journey(
            created=d(5),
            source="linkedin",
            medium="paid_social",
            campaign="q4-banking",
            owner=rep,
            reached=[d(5 + mql_after), d(12), d(14), d(20)],
            pipeline=won,
            won=won,
        )
    for index in range(4):
        person_with_journey(created=d(3 + index), source="google", medium="organic", reached=[d(25)] if index else [])
    person_with_journey(created=d(8), referrer="www.google.de", country="DE")
    person_with_journey(created=d(8), source="linkedin", medium="paid_social", excluded=True, reached=[d(9)])
    person_with_journey(created=d(20, month=8), source="linkedin", medium="paid_social", reached=[d(2)])
    visits(4, source="linkedin", medium="paid_social", channel="Paid social")
    visits(97, source="google", medium="organic", channel="Organic search")
    visits(3, referrer="www.google.de", channel="Organic search")
    visits(6, source="newsletter", medium="email", channel="Email")
    visits(50, source="linkedin", medium="paid_social", channel="Paid social", day=d(10, month=10).date())
    return {"rep": rep, "marketer": role_user(MARKETER, username="mark")}


def _by_group(rows):
    return {row["group"]: row for row in rows}


def test_each_channel_has_its_people_stages_money_and_visitors(channels):
    rows = _by_group(channel_rows(channels["marketer"], SEPTEMBER, ReportFilters(), Options()))
    social, organic, email = rows["Paid social"], rows["Organic search"], rows["Email"]
    assert (social["visitors"], social["people"], social["mql"], social["customer"]) == (4, 2, 2, 2)
    assert (social["pipeline"], social["revenue"]) == (50_000, 50_000)
    assert social["visit_to_person"] == 0.5 and social["person_to_customer"] == 1.0
    assert social["days_to_mql"] == pytest.approx(3)  # 2 and 4 days
    assert social["days_to_customer"] == pytest.approx(15)
    assert (organic["visitors"], organic["people"], organic["mql"], organic["customer"]) == (100, 5, 3, 0)
    assert organic["visit_to_person"] == 0.05 and organic["person_to_customer"] == 0
    assert organic["mql_to_sql"] == 0 and organic["sql_to_opportunity"] is None
    # Nobody created, many visits: a row of its own, so a channel that brings nobody shows.
    assert (email["visitors"], email["people"], email["person_to_mql"]) == (6, 0, None)
    # The customer rate against all channels': 2 customers of 7 people overall.
    assert social["customer_index"] == "3.5x" and organic["customer_index"] == "0.0x"


def test_sorting_by_conversion_puts_the_small_channel_that_buys_first(channels):
    marketer = channels["marketer"]
    by_people = [row["group"] for row in channel_rows(marketer, SEPTEMBER, ReportFilters(), Options(sort="people"))]
    assert by_people[0] == "Organic search"
    by_rate = channel_rows(marketer, SEPTEMBER, ReportFilters(), Options(sort="person_to_customer"))
    assert by_rate[0]["group"] == "Paid social"
    by_visitors = channel_rows(marketer, SEPTEMBER, ReportFilters(), Options(sort="visitors"))
    assert [row["group"] for row in by_visitors] == ["Organic search", "Email", "Paid social"]


def test_rows_by_source_show_a_blank_source_as_not_set(channels):
    rows = _by_group(channel_rows(channels["marketer"], SEPTEMBER, ReportFilters(), Options(group="source")))
    assert rows["(not set)"]["people"] == 1 and rows["(not set)"]["visitors"] == 3
    assert rows["google"]["people"] == 4 and rows["linkedin"]["revenue"] == 50_000


def test_a_rep_sees_their_own_people_and_no_traffic(channels):
    rows = _by_group(channel_rows(channels["rep"], SEPTEMBER, ReportFilters(), Options()))
    assert set(rows) == {"Paid social"}
    assert rows["Paid social"]["visitors"] is None and rows["Paid social"]["visit_to_person"] is None


def test_traffic_is_left_out_when_a_filter_is_not_one_a_visit_has(channels):
    germany = filters_from_request(QueryDict("country=DE"))
    rows = channel_rows(channels["marketer"], SEPTEMBER, germany, Options())
    assert [(row["group"], row["people"], row["visitors"]) for row in rows] == [("Organic search", 1, None)]
    social = filters_from_request(QueryDict("medium=paid_social"))
    rows = _by_group(channel_rows(channels["marketer"], SEPTEMBER, social, Options()))
    assert set(rows) == {"Paid social"} and rows["Paid social"]["visitors"] == 4


@pytest.mark.parametrize(("query", "field"), [("group=country", "group"), ("sort=email", "sort")])
def test_wrong_options_name_their_field(query, field):
    with pytest.raises(ReportInputError) as caught:
        options_from_request(QueryDict(query))
    assert caught.value.field == field


# --- The page ---------------------------------------------------------------------------------------------
def test_the_page_shows_both_bar_charts_the_rates_side_by_side_and_links(client, channels):
    client.force_login(channels["marketer"])
    response = client.get(f"{URL}?{QUERY}&sort=person_to_customer")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="img"') >= 2 and "People by channel" in html and "Won revenue by channel" in html
    assert "Visit → person" in html and "Person → customer" in html
    assert "/admin/leads/person/?j_channel=Paid+social" in html


def test_a_rep_sees_no_visitors_column(client, channels):
    client.force_login(channels["rep"])
    html = client.get(f"{URL}?{QUERY}").content.decode()
    assert ">Visitors<" not in html and "Visit → person" not in html


def test_a_wrong_group_is_a_400_naming_it(client, channels):
    client.force_login(channels["marketer"])
    response = client.get(f"{URL}?{QUERY}&group=everything")
    assert response.status_code == 400 and b"group" in response.content


def test_the_csv_keeps_the_grouping(client, channels):
    client.force_login(channels["marketer"])
    response = client.get(f"{URL}?{QUERY}&group=source&format=csv&table=channels")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.startswith("UTM source,Visitors,People,") and "\r\n(not set),3,1," in text
