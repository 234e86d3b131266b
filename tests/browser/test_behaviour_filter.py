"""A marketer narrows the people list to who read the pricing page twice this week, in the filter drawer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Interaction
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
TIMEOUT_MS = 8000


def test_the_behaviour_filter_in_the_drawer(browser, live_server, django_user_model):
    now = timezone.now()
    for name, days_back in (("Twice", (1, 2)), ("Once", (1,)), ("Longago", (20, 21))):
        person = PersonFactory(first_name=name, last_name="Reader", email=f"{name.lower()}@example.com")
        for days in days_back:
            Interaction.objects.create(
                type="page_view",
                person=person,
                occurred_at=now - timedelta(days=days),
                object_id="pricing",
                properties={"path": "/pricing/"},
            )
    django_user_model.objects.create_superuser("marketer", "marketer@example.com", "correct-horse-battery")

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + "/admin/leads/person/")
    assert "Longago Reader" in page.locator("main table").inner_text()
    page.get_by_role("button", name="Show filters").click()
    drilldown = page.locator("#filters-drilldown")
    drilldown.wait_for(state="visible")
    drilldown.locator("[aria-controls]", has_text="Did (behaviour)").click()
    page.select_option("select[name=behaviour]", "visited_url")
    page.fill("input[name=behaviour_value]", "/pricing/")
    page.fill("input[name=behaviour_times]", "2")
    page.fill("input[name=behaviour_days]", "7")
    page.locator("input[name=behaviour_days]").dispatch_event("change")
    page.locator("main table", has_text="Twice Reader").wait_for()
    page.locator("main table", has_text="Longago Reader").wait_for(state="detached")
    page.screenshot(path="/tmp/people-behaviour-filter.png", full_page=True)
    table = page.locator("main table").inner_text()
    assert "Twice Reader" in table and "Once Reader" not in table and "Longago Reader" not in table
    page.keyboard.press("Escape")
    chips = page.locator(".w-active-filters").inner_text()
    assert "Visited URL (path): /pricing/, 2+ times in the last 7 days" in chips
    page.close()
