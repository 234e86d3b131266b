"""Issue 18's "done when", in a real browser against a live server:

A visitor arrives from `utm_source=linkedin&utm_campaign=q4-banking`, reads a case study and downloads a
whitepaper (30 days ago); they attend an event (20 days ago); the CRM reports an opportunity of 50,000 EUR
(10 days ago), then won (2 days ago), through the signed feedback webhook. A marketer then finds the
person on the dashboard, in the funnel, in channel quality and under every attribution model, with the
credit split by hand here. Screenshots of each report, on a desktop and on a phone, go to
/tmp/reports-journey/.

The touches, in order: T0 the LinkedIn visit (the day's pages: home and case study), T1 the whitepaper's
form fill (it created the person: lead creation), T2 the event attended (the last touch before the
opportunity: opportunity creation). Each happens on a clock every part of the product reads (freezegun,
ticking), so time decay can be worked out from the days between touches and the win."""

import csv
import datetime
import io
import json
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import Site

from core.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from events.models import Registration
from events.services.checkin import registration_check_in
from events.services.registrations import registration_on_behalf
from leads import behaviour
from leads.models import Deal, Interaction, Person
from reports.rollups import rollups_refresh
from sales.roles import MARKETER, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories import CaseStudyPageFactory, LeadFormPageFactory, WhitepaperPageFactory
from tests.factories.events import EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/reports-journey")
PASSWORD = "correct-horse-battery-staple"
EMAIL = "jana.novak@meridian-bank.de"
SECRET = "crm-feedback-secret-for-the-journey-test-0123456789"
TIMEOUT_MS = 15000
AMOUNT = Decimal("50000")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(home_page, whitepaper_index, case_study_index, live_server, settings):
    settings.FORMS_MIN_FILL_SECONDS = 0
    settings.CRM_FEEDBACK_SECRET = SECRET
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()
    gate = LeadFormPageFactory(parent=home_page, slug="gate", submit_label="Get the PDF")
    whitepaper = WhitepaperPageFactory(
        parent=whitepaper_index, title="Banking RevOps benchmark", slug="banking-benchmark", gate_form=gate
    )
    case_study = CaseStudyPageFactory(parent=case_study_index, title="Meridian Bank", slug="meridian-bank")
    return {
        "home": live_server.url + "/",
        "case_study": live_server.url + case_study.url,
        "whitepaper": live_server.url + whitepaper.url,
        "whitepaper_page": whitepaper,
    }


def crm_feedback(live_server, payload: dict) -> dict:
    """What the CRM's workflow sends: one signed change of the opportunity."""
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/crm/feedback",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(SECRET, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def csv_table(page, url: str) -> list[dict]:
    """A report table's CSV, downloaded in the marketer's session (what the CSV button gives)."""
    response = page.request.get(url)
    assert response.status == 200, url
    return list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))


def by_first_column(rows: list[dict]) -> dict[str, dict]:
    return {next(iter(row.values())): row for row in rows}


def close(rows: dict, label: str, column: str, expected: Decimal, tolerance: str = "0.000002") -> bool:
    """A CSV number against the share worked out by hand (credit is cut into millionths); a row the
    table leaves out holds nothing."""
    value = Decimal(rows[label][column]) if label in rows else Decimal(0)
    return abs(value - expected) <= Decimal(tolerance)


def test_a_linkedin_visitor_who_becomes_a_customer_shows_in_every_report(browser, site, live_server, django_user_model):
    SHOTS.mkdir(exist_ok=True)
    now = timezone.now()
    visitor = browser.new_context(extra_http_headers={"CF-IPCountry": "DE"}, viewport={"width": 1280, "height": 900})
    page = visitor.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    # 30 days ago: from LinkedIn, the home page, a case study, the whitepaper and its gate.
    with freeze_time(now - datetime.timedelta(days=30), tick=True, real_asyncio=True):
        page.goto(site["home"] + "?utm_source=linkedin&utm_campaign=q4-banking")
        page.goto(site["case_study"])
        page.goto(site["whitepaper"])
        page.get_by_label("Work email").fill(EMAIL)
        page.get_by_label("First name").fill("Jana")
        page.get_by_label("Last name").fill("Novák")
        page.get_by_label("Company").fill("Meridian Bank")
        page.get_by_label("Country").select_option("DE")
        page.get_by_role("button", name="Get the PDF").click()
        page.get_by_role("link", name="Download the PDF").wait_for()
        behaviour.page_views_flush()
    visitor.close()
    person = Person.objects.get(email=EMAIL)
    lead = person.leads.get()
    assert (lead.utm_source, lead.utm_campaign) == ("linkedin", "q4-banking")

    # 20 days ago: registered by sales for the Banking Summit, checked in at the door.
    event = EventFactory(title="Banking Summit", starts_at=now - datetime.timedelta(days=20, hours=1))
    with freeze_time(now - datetime.timedelta(days=20), tick=True):
        outcome = registration_on_behalf(
            event,
            fields={"email": EMAIL, "first_name": "Jana", "last_name": "Novák"},
            user=None,
            source=Registration.Source.WALK_IN,
        )
        registration_check_in(outcome.registration, let_in_anyway=True)
    attended = Interaction.objects.get(person=person, type="event_attended")

    # The CRM: an opportunity of 50,000 EUR 10 days ago, won 2 days ago.
    opened_at, won_at = now - datetime.timedelta(days=10), now - datetime.timedelta(days=2)
    common = {"opportunity_id": "006-Q4-BANKING", "person": {"email": EMAIL}}
    crm_feedback(
        live_server,
        {
            **common,
            "event_id": "evt-1",
            "stage": "opportunity",
            "amount": "50000",
            "currency": "EUR",
            "opened_at": opened_at.isoformat(),
            "changed_at": opened_at.isoformat(),
        },
    )
    won = crm_feedback(
        live_server,
        {
            **common,
            "event_id": "evt-2",
            "stage": "customer",
            "changed_at": won_at.isoformat(),
            "close_date": str(won_at.date()),
        },
    )
    assert won["status"] == "won"
    person.refresh_from_db()
    assert person.stage == "customer"
    assert Deal.objects.get(crm_id="006-Q4-BANKING").amount_report == AMOUNT
    rollups_refresh()  # what the workers' sweep does every few seconds

    # A marketer signs in.
    marketer = django_user_model.objects.create_user("mia", "mia@signalpage.test", PASSWORD, first_name="Mia")
    roles_ensure()
    marketer.groups.add(Group.objects.get(name=MARKETER))
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        staff = context.new_page()
        staff.set_default_timeout(TIMEOUT_MS)
        staff.goto(f"{live_server.url}/admin/login/?next=/admin/reports/%3Fperiod%3D90d")
        staff.get_by_label("Username").fill("mia")
        staff.get_by_label("Password").fill(PASSWORD)
        staff.get_by_role("button", name="Sign in").click()
        staff.wait_for_url("**/admin/reports/?period=90d")
        for name, path in (
            ("dashboard", "/admin/reports/?period=90d"),
            ("funnel", "/admin/reports/funnel/?period=90d"),
            ("channels", "/admin/reports/channels/?period=90d"),
            ("attribution", "/admin/reports/attribution/?period=90d&model=u_shaped&conversion=won"),
        ):
            staff.goto(live_server.url + path)
            assert "Jana" not in staff.content() and EMAIL not in staff.content()  # aggregates only
            staff.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = context.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff.goto(f"{live_server.url}/admin/login/")
    staff.get_by_label("Username").fill("mia")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url("**/admin/**")
    base = f"{live_server.url}/admin/reports"

    # The dashboard: one visitor, known; one new person who went all the way; 50,000 in and won.
    numbers = by_first_column(csv_table(staff, f"{base}/?period=90d&format=csv&table=numbers"))
    for label in ("Visitors", "Known visitors", "New people", "MQLs", "SQLs", "Opportunities", "Customers"):
        assert numbers[label]["This period"] == "1", label
    revenue = by_first_column(csv_table(staff, f"{base}/?period=90d&format=csv&table=revenue"))
    assert {label: Decimal(row["This period (EUR)"]) for label, row in revenue.items()} == {
        "Pipeline": AMOUNT,
        "Won revenue": AMOUNT,
    }

    # The funnel: the cohort of the period went all the way.
    cohort = by_first_column(csv_table(staff, f"{base}/funnel/?period=90d&format=csv&table=cohort"))
    assert [cohort[step]["People"] for step in cohort] == ["1"] * 5

    # Channel quality: LinkedIn without a medium is Social; the person, the customer and the revenue are there.
    channels = by_first_column(csv_table(staff, f"{base}/channels/?period=90d&format=csv&table=channels"))
    social = channels["Social"]
    assert (social["People"], social["Customers"], Decimal(social["Won revenue"])) == ("1", "1", AMOUNT)
    campaigns = by_first_column(
        csv_table(staff, f"{base}/channels/?period=90d&group=campaign&format=csv&table=channels")
    )
    assert Decimal(campaigns["q4-banking"]["Won revenue"]) == AMOUNT

    # Attribution of the won deal, by hand. T0 and T1 came from LinkedIn (Social, q4-banking), T2 is the event.
    lead_at = lead.received_at
    visit_at = Interaction.objects.filter(person=person, type="page_view").order_by("occurred_at").first().occurred_at
    decay = {
        key: Decimal(2) ** (Decimal(-(won_at - moment).total_seconds()) / Decimal(86400 * 7))
        for key, moment in (("t0", visit_at), ("t1", lead_at), ("t2", attended.occurred_at))
    }
    total = sum(decay.values())
    by_hand = {
        # model: (T0, T1, T2) shares of the won deal
        "first_touch": (Decimal(1), Decimal(0), Decimal(0)),
        "last_touch": (Decimal(0), Decimal(0), Decimal(1)),
        "linear": (Decimal(1) / 3, Decimal(1) / 3, Decimal(1) / 3),
        "u_shaped": (Decimal("0.4"), Decimal("0.4"), Decimal("0.2")),  # 40 first, 40 lead creation, 20 the rest
        "w_shaped": (Decimal(1) / 3, Decimal(1) / 3, Decimal(1) / 3),  # 30/30/30, no others: scaled to 100%
        "time_decay": (decay["t0"] / total, decay["t1"] / total, decay["t2"] / total),
    }
    for model, (t0, t1, t2) in by_hand.items():
        url = f"{base}/attribution/?period=90d&model={model}&conversion=won&format=csv"
        summary = by_first_column(csv_table(staff, url + "&table=conversions"))
        assert summary["Won deals"]["Conversions"] == "1" and Decimal(summary["Won deals"]["Amount"]) == AMOUNT
        channels = by_first_column(csv_table(staff, url + "&table=channels"))
        assert close(channels, "Social", "Won deals", t0 + t1), (model, channels)
        assert close(channels, "Events", "Won deals", t2), (model, channels)
        # The amount is shared the same way, to the cent, and adds up to exactly 50,000.
        amounts = [Decimal(row["Revenue (EUR)"]) for row in channels.values()]
        assert sum(amounts) == AMOUNT, model
        assert close(channels, "Social", "Revenue (EUR)", (t0 + t1) * AMOUNT, "0.02"), model
        campaigns = by_first_column(csv_table(staff, url + "&table=campaigns"))
        assert close(campaigns, "q4-banking", "Won deals", t0 + t1), model
        content = by_first_column(csv_table(staff, url + "&table=content"))
        assert close(content, "Banking RevOps benchmark", "Won deals", t1), (model, content)
        events = by_first_column(csv_table(staff, url + "&table=events"))
        assert close(events, "Banking Summit", "Won deals", t2), (model, events)
    context.close()
