"""Attribution over the lead store: the issue's story split by hand for every model, and the screen
(who sees it, over whom, wrong input, CSV, no personal data).

The story: a visitor comes from LinkedIn (utm_source=linkedin, utm_campaign=q4-banking) on day 0, comes
back on day 2 to read a case study (a direct visit), downloads the whitepaper on day 5 (the form fill that
created them), attends the Banking Summit on day 12 (MQL that day, SQL on day 15), the CRM opens an
opportunity of 50,000 EUR on day 20 and reports it won on day 30. Touches T0..T3 in that order.
"""

import csv
import io
import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from leads.admin_privacy import EXPORT_ACTION
from leads.models import Deal
from reports.access import journeys_for
from reports.attribution.conversions import MQL, NEW_PERSON, OPPORTUNITY, SQL, WON, close_moment
from reports.attribution.selectors import attribution
from reports.models import DailyVisitor, PersonJourney
from reports.periods import Period
from sales.roles import EDITOR, MARKETER, SALES_REP, roles_ensure
from tests.factories.leads import InteractionFactory, LeadFactory, PersonFactory, UserFactory

D0 = date(2026, 9, 1)
PERIOD = Period(D0, D0 + timedelta(days=44))
QUERY = {"period": "custom", "from": PERIOD.start.isoformat(), "to": PERIOD.end.isoformat()}


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(D0 + timedelta(days=day), time(hour)))


def user_with(role):
    user = UserFactory()
    user.groups.add(roles_ensure()[role])
    return user


def build_story(owner=None):
    person = PersonFactory(owner=owner, email="jane.doe@bank.example", phone="+4930123456")
    DailyVisitor.objects.create(
        day=D0, visitor_id="v-jane", person_id=person.pk, first_at=at(0), channel="Social", source="linkedin",
        campaign="q4-banking", page_views=3,
    )  # fmt: skip
    DailyVisitor.objects.create(
        day=D0 + timedelta(days=2), visitor_id="v-jane", person_id=person.pk, first_at=at(2), channel="Direct",
        page_views=2,
    )  # fmt: skip
    lead = LeadFactory(
        person=person, origin_type="content", origin_id="42", origin_label="State of RevOps", utm_source="linkedin",
        utm_campaign="q4-banking", referrer="https://www.linkedin.com/feed/", received_at=at(5),
    )  # fmt: skip
    InteractionFactory(
        person=person, type="content_download", occurred_at=at(5), object_type="content", object_id="42",
        object_label="State of RevOps", lead=lead,
    )  # fmt: skip
    InteractionFactory(
        person=person, type="event_attended", occurred_at=at(12), object_type="event", object_id="7",
        object_label="Banking Summit",
    )  # fmt: skip
    # Not touches: a page view inside a visit, an email open, a registration.
    InteractionFactory(person=person, type="page_view", occurred_at=at(2, 11), object_id="case-study")
    InteractionFactory(person=person, type="email_open", occurred_at=at(8), object_type="email", object_id="3")
    InteractionFactory(person=person, type="event_registered", occurred_at=at(9), object_type="event", object_id="7")
    PersonJourney.objects.create(
        person=person, created_at=at(5), channel="Social", source="linkedin", campaign="q4-banking",
        owner=owner, stage="customer", mql_at=at(12, 12), sql_at=at(15), opportunity_at=at(20),
        customer_at=at(30), pipeline_amount=Decimal("50000"), won_amount=Decimal("50000"),
    )  # fmt: skip
    Deal.objects.create(
        crm_id="opp-1", person=person, status=Deal.Status.WON, amount=Decimal("50000"), currency="EUR",
        amount_report=Decimal("50000"), close_date=D0 + timedelta(days=30), opened_at=at(20),
        crm_changed_at=at(30),
    )  # fmt: skip
    return person


def credit_of(result, dimension, label, kind):
    rows = {row.label: row for row in result.rows[dimension].values()}
    return rows[label].credit.get(kind, Decimal(0)) if label in rows else Decimal(0)


def amount_of(result, dimension, label, kind):
    rows = {row.label: row for row in result.rows[dimension].values()}
    return rows[label].amount.get(kind, Decimal(0)) if label in rows else Decimal(0)


# Each model's shares of T0 (LinkedIn visit), T1 (case study visit), T2 (whitepaper, lead creation),
# T3 (event, the last touch before the opportunity), for the won deal, by hand.
WON_SPLITS = {
    "first_touch": ("1", "0", "0", "0"),
    "last_touch": ("0", "0", "0", "1"),
    "linear": ("0.25", "0.25", "0.25", "0.25"),
    "u_shaped": ("0.4", "0.1", "0.4", "0.1"),  # 40 first, 40 lead creation, 20 shared by the two others
    "w_shaped": ("0.3", "0.1", "0.3", "0.3"),  # 30 first, 30 lead creation, 30 opportunity creation, 10 T1
}


@pytest.mark.django_db
@pytest.mark.parametrize("model", sorted(WON_SPLITS))
def test_the_story_split_by_hand(model):
    build_story()
    result = attribution(PersonJourney.objects.all(), PERIOD, model=model)
    t0, t1, t2, t3 = (Decimal(share) for share in WON_SPLITS[model])

    assert dict(result.conversions) == {NEW_PERSON: 1, MQL: 1, SQL: 1, OPPORTUNITY: 1, WON: 1}
    assert result.amounts[WON] == Decimal("50000")
    # Channels: T0 and T2 came from LinkedIn (Social), T1 was direct, T3 an event.
    assert credit_of(result, "channel", "Social", WON) == t0 + t2
    assert credit_of(result, "channel", "Direct", WON) == t1
    assert credit_of(result, "channel", "Events", WON) == t3
    assert amount_of(result, "channel", "Social", WON) == (t0 + t2) * 50000
    assert amount_of(result, "channel", "Events", WON) == t3 * 50000
    # Campaigns: q4-banking on T0 and T2; the event and the direct visit have none.
    assert credit_of(result, "campaign", "q4-banking", WON) == t0 + t2
    assert credit_of(result, "campaign", "(no campaign)", WON) == t1 + t3
    # Content: the whitepaper (T2); events: the summit (T3).
    assert credit_of(result, "content", "State of RevOps", WON) == t2
    assert amount_of(result, "content", "State of RevOps", WON) == t2 * 50000
    assert credit_of(result, "event", "Banking Summit", WON) == t3
    assert amount_of(result, "event", "Banking Summit", WON) == t3 * 50000
    # The opportunity carries the pipeline the same way.
    assert amount_of(result, "channel", "Social", OPPORTUNITY) == (t0 + t2) * 50000
    # Every table shares exactly the conversions and the amount.
    for dimension in result.rows:
        for kind in (NEW_PERSON, MQL, SQL, OPPORTUNITY, WON):
            assert sum(row.credit.get(kind, 0) for row in result.rows[dimension].values()) == 1
        assert sum(row.amount.get(WON, 0) for row in result.rows[dimension].values()) == Decimal("50000")


@pytest.mark.django_db
def test_earlier_conversions_see_only_the_touches_before_them():
    build_story()
    u_shaped = attribution(PersonJourney.objects.all(), PERIOD, model="u_shaped")
    # New person (day 5): T0, T1, T2; T2 created the lead: 40 + 40 to LinkedIn, 20 to the direct visit.
    assert credit_of(u_shaped, "channel", "Social", NEW_PERSON) == Decimal("0.8")
    assert credit_of(u_shaped, "channel", "Direct", NEW_PERSON) == Decimal("0.2")
    assert credit_of(u_shaped, "event", "Banking Summit", NEW_PERSON) == 0
    # MQL (day 12, after the summit): T0..T3.
    assert credit_of(u_shaped, "event", "Banking Summit", MQL) == Decimal("0.1")
    # W-shaped before the opportunity has no opportunity touch: 30/30 and 10 shared, scaled -> 3/7, 1/7, 3/7.
    w_shaped = attribution(PersonJourney.objects.all(), PERIOD, model="w_shaped")
    assert credit_of(w_shaped, "channel", "Social", NEW_PERSON) == Decimal("0.857143")
    assert credit_of(w_shaped, "channel", "Direct", NEW_PERSON) == Decimal("0.142857")
    # SQL (day 15): T0..T3 with no opportunity yet: 30 T0, 30 T2, 5 each to T1 and T3 -> /70: 3/7, 1/14, 3/7,
    # 1/14 = 428571.43, 71428.57, 428571.43, 71428.57 millionths: the two millionths left go to the .57s.
    assert credit_of(w_shaped, "event", "Banking Summit", SQL) == Decimal("0.071429")
    assert credit_of(w_shaped, "channel", "Social", SQL) == Decimal("0.857142")


@pytest.mark.django_db
def test_time_decay_by_its_formula():
    build_story()
    result = attribution(PersonJourney.objects.all(), PERIOD, model="time_decay", half_life_days=7)
    won_at = close_moment(D0 + timedelta(days=30))
    ages = [(won_at - at(day)).total_seconds() / 86400 for day in (0, 2, 5, 12)]
    weights = [2 ** (-age / 7) for age in ages]
    expected = [weight / sum(weights) for weight in weights]
    assert math.isclose(float(credit_of(result, "event", "Banking Summit", WON)), expected[3], abs_tol=1e-6)
    assert math.isclose(float(credit_of(result, "channel", "Social", WON)), expected[0] + expected[2], abs_tol=2e-6)
    assert credit_of(result, "channel", "Events", WON) > credit_of(result, "channel", "Direct", WON)
    # A longer half-life moves credit back towards the old touches.
    slow = attribution(PersonJourney.objects.all(), PERIOD, model="time_decay", half_life_days=90)
    assert credit_of(slow, "channel", "Direct", WON) > credit_of(result, "channel", "Direct", WON)


@pytest.mark.django_db
def test_a_conversion_without_touches_is_kept_and_email_clicks_count():
    quiet = PersonFactory()
    PersonJourney.objects.create(person=quiet, created_at=at(3))
    clicker = PersonFactory()
    PersonJourney.objects.create(person=clicker, created_at=at(1), mql_at=at(6))
    InteractionFactory(
        person=clicker, type="email_click", occurred_at=at(4), object_type="email", object_id="3",
        object_label="November newsletter",
    )  # fmt: skip
    # A form fill without a lead keeps its UTM on the interaction (a google/cpc click: Paid search).
    InteractionFactory(
        person=clicker, type="form_submit", occurred_at=at(1), object_type="form", object_id="5",
        object_label="Contact us", properties={"utm_source": "google", "utm_medium": "cpc"},
    )  # fmt: skip
    result = attribution(PersonJourney.objects.all(), PERIOD, model="last_touch")
    assert result.conversions[NEW_PERSON] == 2
    assert credit_of(result, "channel", "(no touch recorded)", NEW_PERSON) == 1
    assert credit_of(result, "campaign", "(no touch recorded)", NEW_PERSON) == 1
    assert credit_of(result, "channel", "Paid search", NEW_PERSON) == 1
    assert credit_of(result, "content", "Contact us", NEW_PERSON) == 1
    assert credit_of(result, "channel", "Email", MQL) == 1
    assert credit_of(result, "campaign", "Email: November newsletter", MQL) == 1


@pytest.mark.django_db
def test_touches_at_the_same_moment_split_the_same_way_every_time():
    person = PersonFactory()
    PersonJourney.objects.create(person=person, created_at=at(3))
    for index in range(5):
        InteractionFactory(
            person=person, type="form_submit", occurred_at=at(3), object_type="form", object_id=str(index),
            object_label=f"Form {index}",
        )  # fmt: skip
    splits = [
        sorted((row.label, row.credit[NEW_PERSON]) for row in attribution(
            PersonJourney.objects.all(), PERIOD, model="u_shaped").rows["content"].values())
        for _ in range(3)
    ]  # fmt: skip
    assert splits[0] == splits[1] == splits[2]
    assert sum(share for _, share in splits[0]) == 1
    # The first row of the five is the first touch, the last the lead creation: 40% each.
    assert dict(splits[0])["Form 0"] == Decimal("0.4") and dict(splits[0])["Form 4"] == Decimal("0.4")


# -- the screen ---------------------------------------------------------------------------------------


def csv_table(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_screen_shows_every_model_with_charts_tables_and_csv(client):
    build_story()
    marketer = user_with(MARKETER)
    client.force_login(marketer)
    url = reverse("reports:attribution")
    page = client.get(url, {**QUERY, "conversion": "won"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("rp-chart-bar") == 4  # a bar chart per channel, campaign, content item, event
    assert "Banking Summit" in html and "q4-banking" in html and "State of RevOps" in html
    assert "jane.doe@bank.example" not in html and "+4930123456" not in html
    # The CSV links keep the model.
    assert "model=u_shaped" in html and "table=channels" in html

    for model, (t0, t1, t2, t3) in WON_SPLITS.items():
        response = client.get(url, {**QUERY, "model": model, "format": "csv", "table": "channels"})
        assert response.status_code == 200
        rows = {row["Channel"]: row for row in csv_table(response)}
        # A channel no touch of which earned anything has no row.
        assert Decimal(rows["Events"]["Won deals"] if "Events" in rows else 0) == Decimal(t3), model
        assert Decimal(rows["Direct"]["Won deals"] if "Direct" in rows else 0) == Decimal(t1), model
        social = (Decimal(t0) + Decimal(t2)) * 50000
        if social:
            assert Decimal(rows["Social"]["Revenue (EUR)"]) == social, model
        assert sum(Decimal(row["Won deals"]) for row in rows.values()) == 1
    events = csv_table(client.get(url, {**QUERY, "model": "w_shaped", "format": "csv", "table": "events"}))
    assert {row["Event"]: row["Revenue (EUR)"] for row in events}["Banking Summit"] == "15000.00"
    assert ModelLogEntry.objects.filter(user=marketer, action=EXPORT_ACTION).count() == len(WON_SPLITS) + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"model": "full_path"}, "model"),
        ({"model": "time_decay", "half_life": "0"}, "half_life"),
        ({"half_life": "7.5"}, "half_life"),
        ({"half_life": "99999999999999999999"}, "half_life"),
        ({"model": "time_decay", "half_life": "9"}, "half_life"),
        ({"model": "time_decay", "half_life": "-7"}, "half_life"),
        ({"conversion": "revenue"}, "conversion"),
        ({"channel": "Carrier pigeon"}, "channel"),
        ({"period": "custom", "from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"format": "csv", "table": "nope"}, "table"),
    ],
)
def test_wrong_input_is_a_400_naming_the_field(client, query, field):
    client.force_login(user_with(MARKETER))
    response = client.get(reverse("reports:attribution"), query)
    assert response.status_code == 400
    assert field in response.content.decode()


@pytest.mark.django_db
def test_who_sees_attribution_and_over_whom(client):
    roles_ensure()
    rep, other_rep = user_with(SALES_REP), user_with(SALES_REP)
    build_story(owner=other_rep)
    mine = PersonFactory(owner=rep)
    PersonJourney.objects.create(person=mine, created_at=at(3), owner=rep)
    url = reverse("reports:attribution")

    # Wagtail answers a refused admin view with a redirect to the admin home (or the login) and a message.
    client.force_login(user_with(EDITOR))
    refused = client.get(url, QUERY)
    assert refused.status_code in (302, 403) and "Banking Summit" not in refused.content.decode()
    assert client.get(url, {**QUERY, "format": "csv"}).status_code in (302, 403)
    client.logout()
    assert client.get(url, QUERY).status_code in (302, 403)

    client.force_login(rep)
    summary = csv_table(client.get(url, {**QUERY, "format": "csv", "table": "conversions"}))
    assert {row["Conversion"]: row["Conversions"] for row in summary} == {
        "New people": "1", "MQLs": "0", "SQLs": "0", "Opportunities": "0", "Won deals": "0",
    }  # fmt: skip
    assert "Banking Summit" not in client.get(url, QUERY).content.decode()
    result = attribution(journeys_for(other_rep), PERIOD, model="linear")
    assert result.conversions[WON] == 1


@pytest.mark.django_db
def test_filters_narrow_the_people_credited(client):
    build_story()
    other = PersonFactory()
    PersonJourney.objects.create(person=other, created_at=at(3), channel="Direct")
    client.force_login(user_with(MARKETER))
    summary = csv_table(
        client.get(
            reverse("reports:attribution"), {**QUERY, "channel": "Social", "format": "csv", "table": "conversions"}
        )
    )
    assert {row["Conversion"]: row["Conversions"] for row in summary}["New people"] == "1"
    unfiltered = csv_table(
        client.get(reverse("reports:attribution"), {**QUERY, "format": "csv", "table": "conversions"})
    )
    assert {row["Conversion"]: row["Conversions"] for row in unfiltered}["New people"] == "2"


@pytest.mark.django_db
def test_time_decay_offers_the_kept_half_lives_and_the_page_says_why_it_credits_from_the_touches(client):
    client.force_login(user_with(MARKETER))
    build_story()
    url = reverse("reports:attribution")
    page = client.get(url, {**QUERY, "model": "time_decay", "half_life": "60"}).content.decode()
    offered = page[page.index('<select id="rp-half-life"') : page.index("</select>", page.index('id="rp-half-life"'))]
    assert re.findall(r'<option value="(\d+)"', offered) == ["3", "7", "14", "30", "60", "90"]
    assert '<option value="60" selected>' in offered
    assert "Time decay, half-life 60 days" in page
    # Before the daily credit was ever computed, the report credits from the touches, and says why.
    assert "the daily credit has not been computed yet" in page
