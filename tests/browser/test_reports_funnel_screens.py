"""The funnel and channel-quality reports in a real browser, on a desktop (1280 wide) and a phone (390
wide): the charts draw, nothing overflows the phone's width or trips the admin's Content-Security-Policy,
and a number clicked opens the sales list showing that many people.

Screenshots go to /tmp/report-shots/ (funnel-*.png, channels-*.png)."""

import random
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import SalesRep
from sales.roles import MARKETER, SALES_REP, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.browser.test_reports_screens import DESKTOP, PASSWORD, PHONE, SHOTS, fits_the_width, log_in, shoot
from tests.reports.funnel_data import person_with_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TOUCHES = [
    ("linkedin", "paid_social", ""),
    ("google", "cpc", ""),
    ("google", "organic", ""),
    ("newsletter", "email", ""),
    ("", "", "news.ycombinator.com"),
    ("", "", ""),
]


@pytest.fixture
def world(django_user_model):
    roles_ensure()
    users = {}
    for username, role in (("mia", MARKETER), ("rita", SALES_REP)):
        user = django_user_model.objects.create_user(username, f"{username}@signalpage.test", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    SalesRep.objects.create(user=users["rita"], team="Inbound")
    rng = random.Random(3)
    now = timezone.now()
    for index in range(90):
        created = now - timedelta(days=rng.uniform(1, 85))
        moments, moment = [], created
        for _ in range(rng.choice([0, 1, 1, 2, 3, 4])):
            moment += timedelta(days=rng.uniform(0, 12))
            if moment >= now:
                break
            moments.append(moment)
        source, medium, referrer = rng.choice(TOUCHES)
        person_with_journey(
            created=created,
            source=source,
            medium=medium,
            referrer=referrer,
            campaign=rng.choice(["q4-banking", "spring", ""]),
            owner=users["rita"] if index % 3 == 0 else None,
            reached=moments,
            pipeline=50_000 if len(moments) >= 3 else 0,
            won=50_000 if len(moments) == 4 else 0,
            recycled=moments[0] + timedelta(days=1) if moments and index % 7 == 0 else None,
        )
    return users


def test_a_marketer_reads_the_funnel_and_channel_quality_and_drills_into_a_number(live_server, browser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page, problems = log_in(browser, live_server.url, "mia", viewport)
        page.goto(f"{live_server.url}/admin/reports/funnel/?period=90d")
        assert page.get_by_role("heading", name="Funnel and velocity").first.is_visible()
        assert page.locator("figure.rp-chart svg[role=img]").count() >= 1
        assert page.locator("#rp-table-velocity").is_visible()
        shoot(page, f"funnel-{name}", viewport)
        fits_the_width(page, viewport["width"])

        page.goto(f"{live_server.url}/admin/reports/channels/?period=90d&sort=person_to_customer")
        assert page.locator("figure.rp-chart svg[role=img]").count() >= 2
        shoot(page, f"channels-{name}", viewport)
        fits_the_width(page, viewport["width"])

        # The first channel's people: the list it opens says the same number.
        link = page.locator(".rp-table td.rp-count a").first
        shown = int(link.inner_text().replace(",", ""))
        link.click()
        page.wait_for_url(re.compile(r".*/admin/leads/person/\?.*j_channel=.*"))
        heading = page.get_by_role("alert").first.inner_text()
        assert re.match(rf"{shown:,} (person matches|people match)", heading), heading
        assert "Journey (from reports)" in page.content()
        if name == "phone":
            shoot(page, "channels-drilldown-phone", viewport)
        assert not problems, problems
        page.context.close()
