"""A visitor on a phone: a gated whitepaper whose form is a tap from the top, a thank-you that says each thing
once (with htmx and without JavaScript), and the events listing with compact filters, pictures and the words
visitors use. Screenshots go to /tmp/visitor-phone-shots."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import Site

from cms.demo import content
from events.models import Event
from tests.events.conftest import generated_page
from tests.factories import DocumentFactory, EventFactory, LeadFormPageFactory, WebinarFactory, WhitepaperPageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/visitor-phone-shots")
TIMEOUT_MS = 8000
WIDTH, HEIGHT = 375, 812
PHONE = {
    "viewport": {"width": WIDTH, "height": HEIGHT},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
}


@pytest.fixture
def site(home_page, whitepaper_index, live_server, settings):
    settings.FORMS_MIN_FILL_SECONDS = 0  # a test fills the form faster than people do
    SHOTS.mkdir(exist_ok=True)
    Site.objects.update(hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]))
    # The demo's own gate: its thank-you text, the confirmation email on.
    gate = LeadFormPageFactory(
        parent=home_page,
        slug="get-the-whitepaper",
        submit_label="Get the PDF",
        thank_you_text=content.WHITEPAPER_GATE["thank_you"],
    )
    paper = WhitepaperPageFactory(
        parent=whitepaper_index,
        title="The State of B2B Revenue Operations 2026",
        slug="state-of-revops",
        summary="Benchmarks from 412 B2B companies on pipeline, conversion and speed to lead.",
        gate_form=gate,
        document=DocumentFactory(),
    )
    paper.save_revision().publish()  # its PDF goes private
    now = timezone.now().replace(microsecond=0)
    events = [
        WebinarFactory(title="Pipeline forecasting with AI", starts_at=now + timedelta(days=3)),
        EventFactory(
            title="RevOps Meetup Berlin",
            starts_at=now + timedelta(days=8),
            capacity=40,
            venue_name="Factory Görlitzer Park",
        ),
        EventFactory(
            title="Revenue Summit 2027",
            type=Event.Type.CONFERENCE,
            starts_at=now + timedelta(days=30),
            city="Amsterdam",
            venue_name="Beurs van Berlage",
            capacity=300,
        ),
    ]
    listing = [generated_page(event) for event in events][0].get_parent()
    return {"url": live_server.url, "paper": paper, "gate": gate, "events": live_server.url + listing.url}


def phone(browser, **options):
    context = browser.new_context(**PHONE, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def fill_in(page):
    page.get_by_label("Work email").fill("jana.novak@meridian-bank.de")
    page.get_by_label("First name").fill("Jana")
    page.get_by_label("Last name").fill("Novák")
    page.get_by_label("Company").fill("Meridian Bank")
    page.get_by_label("Country").select_option("DE")


def fits_the_phone(page):
    """Nothing sticks out sideways (a phone would scroll the whole page left and right)."""
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def says_each_thing_once(panel):
    text = panel.inner_text()
    assert "Enjoy the read." in text
    assert text.count("emailed") == 1 and "We've also emailed you the link." in text, text
    assert panel.get_by_role("link", name="Download the PDF").count() == 1


def test_the_form_is_a_tap_from_the_top_and_the_thank_you_says_each_thing_once(browser, site):
    context = phone(browser, extra_http_headers={"CF-IPCountry": "DE"})
    page = context.new_page()
    page.goto(site["url"] + site["paper"].url)
    jump = page.get_by_role("link", name="Get the PDF")
    expect(jump).to_be_in_viewport()  # on the first screen, under the summary
    assert jump.bounding_box()["y"] + jump.bounding_box()["height"] <= HEIGHT
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "whitepaper-first-screen.png"))

    page.evaluate("window.__notReloaded = true")
    jump.tap()
    expect(page.get_by_label("Work email")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Get the full whitepaper")).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / "whitepaper-form.png"))

    fill_in(page)
    page.get_by_role("button", name="Get the PDF").tap()
    panel = page.locator(".lead-form__done")
    panel.wait_for()
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the panel in place
    expect(panel).to_be_in_viewport()
    says_each_thing_once(panel)
    page.screenshot(path=str(SHOTS / "whitepaper-thank-you.png"))
    context.close()


def test_without_javascript_the_thank_you_comes_back_in_view(browser, site):
    context = phone(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(site["url"] + site["paper"].url)
    page.get_by_role("link", name="Get the PDF").tap()
    fill_in(page)
    page.get_by_role("button", name="Get the PDF").tap()
    panel = page.locator(".lead-form__done")
    panel.wait_for()
    assert page.url.endswith(f"#lead-form-{site['gate'].pk}")
    expect(panel).to_be_in_viewport()  # not a screen below the top of the reloaded page
    says_each_thing_once(panel)
    page.screenshot(path=str(SHOTS / "whitepaper-thank-you-no-js.png"))
    context.close()


def test_the_events_listing_on_a_phone(browser, site):
    context = phone(browser)
    page = context.new_page()
    page.goto(site["events"])
    assert fits_the_phone(page)

    # Compact filters: two by two, then the button; the first card starts within the first screen.
    boxes = {name: page.get_by_label(name, exact=True).bounding_box() for name in ("When", "Type", "Topic", "City")}
    assert boxes["When"]["y"] == boxes["Type"]["y"] and boxes["Topic"]["y"] == boxes["City"]["y"]
    assert boxes["Topic"]["y"] > boxes["When"]["y"]
    cards = page.locator(".card--event")
    expect(cards).to_have_count(3)
    assert cards.first.bounding_box()["y"] < HEIGHT

    # Every card has its picture (a default per type: these events have no hero image), in the visitor's words.
    for card in cards.all():
        image = card.locator(".card__media img")
        card.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    text = page.locator("#results").inner_text()
    assert "Webinar" in text and "Meetup or workshop" in text and "Conference" in text
    assert "In person (meetup, workshop)" not in page.content() and "(sessions and tracks)" not in page.content()
    webinar = cards.filter(has_text="Pipeline forecasting with AI")
    assert "Online" in webinar.inner_text()
    assert "40 seats left" in cards.filter(has_text="RevOps Meetup Berlin").inner_text()
    assert "Beurs van Berlage, Amsterdam" in cards.filter(has_text="Revenue Summit 2027").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "events-listing.png"))
    page.screenshot(path=str(SHOTS / "events-listing-full.png"), full_page=True)

    # Filtering swaps the results in place (htmx), with an address of its own.
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Type", exact=True).select_option(label="Meetup or workshop")
    page.wait_for_url("**/events/?*type=in_person*")
    expect(cards).to_have_count(1)
    assert "RevOps Meetup Berlin" in cards.first.inner_text()
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#results-status")).to_have_text("1 event matches your filters")
    expect(page.locator("#results")).to_have_css("opacity", "1")  # settled: no longer faded while loading
    page.screenshot(path=str(SHOTS / "events-filtered.png"))
    context.close()


def test_the_events_listing_filters_without_javascript(browser, site):
    context = phone(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(site["events"])
    page.get_by_label("Type", exact=True).select_option(label="Webinar")
    page.get_by_role("button", name="Apply filters").tap()
    page.wait_for_url("**/events/?*type=webinar*")
    expect(page.locator(".card--event")).to_have_count(1)
    assert "Pipeline forecasting with AI" in page.locator(".card--event").inner_text()
    context.close()
