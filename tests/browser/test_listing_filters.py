"""A visitor filters the whitepaper library: in place with htmx, and by plain form without JS."""

import pytest
from wagtail.models import Site

from tests.factories import IndustryFactory, TopicFactory, WhitepaperPageFactory

# A live server needs committed data; serialized_rollback puts back the rows Wagtail's migrations
# create (root page, root collection) after each flush, for the tests that run later.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def library(home_page, whitepaper_index, live_server):
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()
    ai, banking = TopicFactory(slug="ai", name="AI & automation"), IndustryFactory(slug="banking", name="Banking")
    WhitepaperPageFactory(parent=whitepaper_index, title="AI scoring for banks", topics=[ai], industries=[banking])
    WhitepaperPageFactory(parent=whitepaper_index, title="Manufacturing playbook")
    return live_server.url + whitepaper_index.url


def test_filtering_in_place_with_htmx(browser, library):
    page = browser.new_page()
    page.goto(library)
    page.evaluate("window.__notReloaded = true")
    assert page.get_by_text("Manufacturing playbook").is_visible()

    page.get_by_label("Topic").select_option("ai")
    page.wait_for_url("**/whitepapers/?topic=ai**")
    page.get_by_text("Manufacturing playbook").wait_for(state="detached")
    assert page.get_by_text("AI scoring for banks").is_visible()
    assert page.evaluate("window.__notReloaded") is True  # swapped in place, no reload
    # The persistent status region (role=status) announces the new count to screen readers.
    assert page.locator("#results-status").inner_text().startswith("1 whitepaper matches your filters")
    page.screenshot(path="/tmp/whitepapers-filtered.png", full_page=True)
    page.close()


def test_filtering_without_javascript(browser, library):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(library)
    page.get_by_label("Topic").select_option("ai")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/whitepapers/?topic=ai**")
    assert page.get_by_text("AI scoring for banks").is_visible()
    assert page.get_by_text("Manufacturing playbook").count() == 0
    context.close()


def test_keyboard_user_can_skip_to_content(browser, library):
    page = browser.new_page()
    page.goto(library)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.close()
