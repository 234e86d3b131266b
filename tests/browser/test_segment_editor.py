"""A marketer builds a segment in the Wagtail admin and watches its audience change as they type."""

import pytest
from django.core.cache import cache

from personalization import segments
from personalization.models import Segment
from tests.factories import CompanyFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
TIMEOUT_MS = 5000


def test_the_audience_count_follows_the_rules_as_they_are_typed(browser, live_server, django_user_model):
    cache.clear()
    segments.segments_changed()
    bank, shop = CompanyFactory(name="Meridian Bank", industry="banking"), CompanyFactory(industry="retail")
    for number, grade in enumerate(["A1", "A2", "B1", "C3"]):
        PersonFactory(email=f"banker{number}@meridian.example", company=bank, grade=grade)
    PersonFactory(email="shopper@shop.example", company=shop, grade="A1")
    django_user_model.objects.create_superuser("marketer", "marketer@example.com", "correct-horse-battery")

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + "/admin/snippets/personalization/segment/add/")
    panel = page.locator("[data-pz-audience-panel]")
    assert "Add a rule" in panel.inner_text()
    page.locator("#id_name").fill("Banking A-grades")
    page.select_option("#id_rules-0-fact", "industry")
    page.select_option("#id_rules-0-operator", "is")
    page.locator("#id_rules-0-value").fill("banking")
    page.locator("[data-pz-audience-count]", has_text="4").wait_for()
    page.get_by_role("button", name="Add rule").click()
    page.select_option("#id_rules-1-fact", "grade")
    page.select_option("#id_rules-1-operator", "is")
    page.locator("#id_rules-1-value").fill("A1,A2")
    page.locator("[data-pz-audience-count]", has_text="2").wait_for()
    assert "banker0@meridian.example" in panel.inner_text() and "shopper@" not in panel.inner_text()
    page.locator("footer button", has_text="Save").first.click()
    page.wait_for_url(live_server.url + "/admin/snippets/personalization/segment/")
    page.close()
    assert [rule.value for rule in Segment.objects.get(name="Banking A-grades").rules.all()] == ["banking", "A1,A2"]


def test_a_behaviour_rule_counts_times_and_days_as_they_are_typed(browser, live_server, django_user_model):
    """'Visited /pricing/ at least 2 times in the last 7 days': the count follows the times and the days."""
    from datetime import timedelta

    from django.utils import timezone

    from leads.models import Interaction

    cache.clear()
    segments.segments_changed()
    now = timezone.now()
    for number, days_back in enumerate([(1, 2), (1, 10), (1,)]):
        person = PersonFactory(email=f"reader{number}@example.com")
        for days in days_back:
            Interaction.objects.create(
                type="page_view",
                person=person,
                occurred_at=now - timedelta(days=days),
                object_id="pricing",
                properties={"path": "/pricing/"},
            )
    django_user_model.objects.create_superuser("marketer", "marketer@example.com", "correct-horse-battery")

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + "/admin/snippets/personalization/segment/add/")
    page.locator("#id_name").fill("Pricing twice this week")
    page.select_option("#id_rules-0-fact", "visited_url")
    page.select_option("#id_rules-0-operator", "any")
    page.locator("#id_rules-0-value").fill("/pricing/")
    page.locator("[data-pz-audience-count]", has_text="3").wait_for()
    page.locator("#id_rules-0-times").fill("2")
    page.locator("[data-pz-audience-count]", has_text="2").wait_for()
    page.locator("#id_rules-0-days").fill("7")
    page.locator("[data-pz-audience-count]", has_text="1").wait_for()
    page.locator("#id_rules-0-days").fill("0")
    page.locator("[data-pz-audience-panel]", has_text="Rule 1, days").wait_for()
    page.screenshot(path="/tmp/segment-editor-behaviour.png", full_page=True)
    page.locator("#id_rules-0-days").fill("7")
    page.locator("footer button", has_text="Save").first.click()
    page.wait_for_url(live_server.url + "/admin/snippets/personalization/segment/")
    page.close()
    rule = Segment.objects.get(name="Pricing twice this week").rules.get()
    assert (rule.fact, rule.value, rule.times, rule.days) == ("visited_url", "/pricing/", 2, 7)
