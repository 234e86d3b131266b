"""The dashboard in a real browser, on a desktop (1280 wide) and a phone (390 wide), light and dark:
a marketer lands on its numbers at /admin/, opens the full dashboard, and nothing overflows the phone's
width or trips the admin's Content-Security-Policy; a sales rep's dashboard has no traffic tiles.

Screenshots go to /tmp/report-shots/ (look at them: the charts are drawn on the server, so a broken
layout shows only there)."""

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import Deal, Interaction, SalesRep
from reports.models import DailyVisitor, PersonJourney
from sales.roles import MARKETER, SALES_REP, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.leads import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/report-shots")
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHANNELS = ["Paid search", "Social", "Organic search", "Email", "Referral", "Direct"]
CONTENT = [("whitepaper", "1", "State of RevOps 2026"), ("case_study", "2", "How Meridian Bank cut churn"),
           ("form", "3", "Contact sales"), ("whitepaper", "4", "AI in banking: a field guide")]  # fmt: skip


@pytest.fixture
def world(django_user_model, home_page):
    """Ninety days before today and the ninety before those: people through the funnel, visitors, deals,
    downloads, and two upcoming events with registrations."""
    roles_ensure()
    users = {}
    for username, role in (("mia", MARKETER), ("rita", SALES_REP)):
        user = django_user_model.objects.create_user(username, f"{username}@signalpage.test", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    SalesRep.objects.create(user=users["rita"], team="Inbound")
    rng = random.Random(18)
    now = timezone.now()
    for index in range(160):
        created = now - timedelta(days=rng.uniform(0, 180), hours=rng.uniform(0, 12))
        stages, moment = {}, created
        for stage, chance in (("mql_at", 0.5), ("sql_at", 0.5), ("opportunity_at", 0.6), ("customer_at", 0.4)):
            if rng.random() > chance:
                break
            moment += timedelta(days=rng.uniform(1, 15))
            if moment >= now:
                break
            stages[stage] = moment
        person = PersonFactory(owner=users["rita"] if index % 3 == 0 else None)
        PersonJourney.objects.create(
            person=person, created_at=created, channel=rng.choice(CHANNELS), owner=person.owner, **stages
        )
        if "opportunity_at" in stages:
            won = "customer_at" in stages
            Deal.objects.create(
                crm_id=f"opp-{index}",
                person=person,
                status=Deal.Status.WON if won else Deal.Status.OPEN,
                amount=Decimal(rng.randrange(5, 80) * 1000),
                currency="EUR",
                amount_report=Decimal(rng.randrange(5, 80) * 1000),
                opened_at=stages["opportunity_at"],
                close_date=stages["customer_at"].date() if won else None,
                crm_changed_at=stages["opportunity_at"],
            )
        for _ in range(rng.randrange(0, 3)):
            kind, object_id, label = rng.choice(CONTENT)
            Interaction.objects.create(
                person=person,
                type="form_submit" if kind == "form" else "content_download",
                occurred_at=created + timedelta(minutes=5),
                object_type=kind,
                object_id=object_id,
                object_label=label,
            )
    today = timezone.localdate()
    DailyVisitor.objects.bulk_create(
        DailyVisitor(
            day=today - timedelta(days=offset),
            visitor_id=f"v{offset}-{n}",
            person_id=None if n % 4 else 1,
            first_at=now - timedelta(days=offset),
            channel=rng.choice(CHANNELS),
        )
        for offset in range(180)
        for n in range(rng.randrange(20, 60) + (40 if offset < 90 else 0) - offset // 10)
    )
    summit = EventFactory(title="Banking Summit Berlin", capacity=120, starts_at=now + timedelta(days=12))
    EventFactory(title="Pipeline webinar: from MQL to won", capacity=None, starts_at=now + timedelta(days=25))
    for status in ["approved"] * 40 + ["pending"] * 6 + ["waitlisted"] * 3:
        RegistrationFactory(event=summit, status=status)
    return users


def log_in(browser, base_url, username, viewport, *, dark=False):
    context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light")
    page = context.new_page()
    page.set_default_timeout(10000)
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/admin/")
    return page, problems


def shoot(page, name, viewport):
    """The whole page: Wagtail's admin scrolls inside its layout, so the window is made as tall as it."""
    tall = page.evaluate(
        "Math.max(...[document.body, ...document.querySelectorAll('main, .content-wrapper, #main')]"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], tall)})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(viewport)


def fits_the_width(page, width):
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width + 1, f"the page is {overflow}px wide on a {width}px screen"


def test_a_marketer_lands_on_the_dashboard_and_reads_it_on_a_desktop_and_a_phone(live_server, browser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport, dark in (("desktop", DESKTOP, False), ("phone", PHONE, False), ("desktop-dark", DESKTOP, True)):
        page, problems = log_in(browser, live_server.url, "mia", viewport, dark=dark)
        # Landing: Wagtail's home, the dashboard's last 30 days first.
        panel = page.locator("#reports-dashboard-section")
        assert panel.is_visible()
        assert panel.locator(".rp-tile").count() == 9
        shoot(page, f"home-{name}", viewport)
        fits_the_width(page, viewport["width"])

        page.goto(f"{live_server.url}/admin/reports/?period=90d")
        assert page.get_by_role("heading", name="Dashboard").first.is_visible()
        tiles = page.locator(".rp-tile")
        assert tiles.count() == 9
        assert "Visitors" in tiles.first.inner_text()
        charts = page.locator("figure.rp-chart svg[role=img]:visible")  # the drawing that fits
        assert charts.count() >= 13  # nine sparklines, the trend line, three bar charts
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box and box["width"] > 50 and box["height"] > 20, index
        assert page.locator("#rp-table-channels").is_visible()
        assert page.get_by_role("link", name="Banking Summit Berlin").count() == 1  # its registrations
        shoot(page, f"dashboard-{name}", viewport)
        fits_the_width(page, viewport["width"])
        assert not problems, problems
        page.context.close()


def test_a_rep_reads_their_own_numbers_without_traffic(live_server, browser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, problems = log_in(browser, live_server.url, "rita", PHONE)
    assert page.locator("#reports-dashboard-section").count() == 0  # a rep keeps Wagtail's home
    page.goto(f"{live_server.url}/admin/reports/?period=12m")
    shoot(page, "rep-dashboard-phone", PHONE)
    tiles = page.locator(".rp-tile")
    assert tiles.count() == 7 and "Visitors" not in page.locator(".rp-tiles").inner_text()
    new_people = int(tiles.nth(0).locator(".rp-tile-value").inner_text().replace(",", ""))
    own = PersonJourney.objects.filter(owner=world["rita"], created_at__date__gte=date.today() - timedelta(days=364))
    assert 0 < new_people <= own.count()
    tiles.nth(0).locator("a").click()  # the number opens the sales list of those people
    page.wait_for_url("**/admin/leads/person/**")
    assert f"{new_people} " in page.locator("main").inner_text()
    shoot(page, "rep-drilldown-phone", PHONE)
    assert not problems, problems
    page.context.close()
