"""A visitor arrives from a banking campaign and sees that campaign's hero; they download a whitepaper
as someone at a bank; back on the home page, banking case studies are recommended first. In a real
browser: one browser context is one visitor, and keeps its cookies between pages."""

import datetime
import json
import uuid

import pytest
from django.core.cache import cache
from wagtail.models import Site

from leads.models import Person
from personalization import segments
from personalization.models import Visitor
from tests.factories import (
    CaseStudyPageFactory,
    IndustryFactory,
    LeadFormPageFactory,
    SegmentFactory,
    WhitepaperPageFactory,
)
from tests.factories.formpages import GATE_FIELDS
from tests.personalization.conftest import personalised_hero

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DEFAULT_HEADLINE = "One list for marketing and sales"
CAMPAIGN_HEADLINE = "Banks grow pipeline with SignalPage"
BANKING_STORIES = ["Meridian Bank answers leads in minutes", "Nordbank doubles its webinar pipeline"]
OTHER_STORIES = ["Helvetia Insurance cuts its CAC", "Urban Retail scores every shopper", "Alpina Insurance goes direct"]
# The gate asks the usual questions plus the industry, saved as the company's industry.
INDUSTRY_FIELD = ("Industry", "dropdown", "industry", True, False, "Banking\nInsurance\nRetail")
TIMEOUT_MS = 5000


@pytest.fixture(autouse=True)
def _fresh_personalisation():
    """Segment membership and compiled segments are cached; the live server shares this process's cache."""
    cache.clear()
    segments.segments_changed()
    yield
    cache.clear()
    segments.segments_changed()


@pytest.fixture
def site(home_page, case_study_index, whitepaper_index, live_server, settings):
    settings.FORMS_MIN_FILL_SECONDS = 0
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()

    campaign = SegmentFactory(name="Banking campaign", priority=30, rules=[("utm_campaign", "is", "banking-q4")])
    home_page.hero = json.dumps(personalised_hero(DEFAULT_HEADLINE, [(campaign, CAMPAIGN_HEADLINE)]))
    home_page.body = json.dumps(
        [
            {
                "type": "recommended",
                "id": str(uuid.uuid4()),
                "value": {"heading": "Recommended for you", "source": "case_studies", "limit": 3},
            }
        ]
    )
    home_page.save_revision().publish()

    banking = IndustryFactory(slug="banking", name="Banking")
    insurance = IndustryFactory(slug="insurance", name="Insurance")
    retail = IndustryFactory(slug="retail", name="Retail")
    # The banking stories are the oldest: for a visitor we know nothing about, the others come first.
    for days_ago, (title, industry) in enumerate(
        [
            (OTHER_STORIES[0], insurance),
            (OTHER_STORIES[1], retail),
            (OTHER_STORIES[2], insurance),
            (BANKING_STORIES[0], banking),
            (BANKING_STORIES[1], banking),
        ]
    ):
        CaseStudyPageFactory(
            parent=case_study_index,
            title=title,
            industry=industry,
            publish_date=datetime.date(2026, 3, 1) - datetime.timedelta(days=30 * days_ago),
        )

    gate = LeadFormPageFactory(
        parent=home_page, slug="gate", submit_label="Get the PDF", fields=[*GATE_FIELDS[:5], INDUSTRY_FIELD]
    )
    # No industry on the whitepaper: only the form fill can tell us this visitor works at a bank.
    whitepaper = WhitepaperPageFactory(
        parent=whitepaper_index, title="Lead response benchmark", slug="lead-response-benchmark", gate_form=gate
    )
    return {"home": live_server.url + "/", "whitepaper": live_server.url + whitepaper.url}


@pytest.fixture
def new_visitor(browser):
    """A fresh browser context (one visitor, own cookies) with tight timeouts; closed when the test ends."""
    contexts = []

    def open_page():
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context, context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def hero_headline(page):
    return page.locator(".hero__headline").inner_text()


def recommended_titles(page):
    block = page.locator("section.block--recommended")
    block.get_by_role("heading", name="Recommended for you").wait_for()
    return block.locator("h3 a").all_inner_texts()


def test_campaign_hero_then_industry_recommendations_after_a_form_fill(new_visitor, site):
    visitor, page = new_visitor()

    # 1. Arrive from the campaign: the campaign's hero; recommendations are still the newest stories.
    page.goto(site["home"] + "?utm_source=linkedin&utm_campaign=banking-q4")
    assert page.get_by_role("heading", level=1, name=CAMPAIGN_HEADLINE).is_visible()
    assert page.get_by_text(DEFAULT_HEADLINE).count() == 0
    assert recommended_titles(page) == OTHER_STORIES
    assert any(cookie["name"] == "sp_vid" for cookie in visitor.cookies())

    # Someone else, without the campaign, sees the default hero.
    _, other_page = new_visitor()
    other_page.goto(site["home"])
    assert other_page.get_by_role("heading", level=1, name=DEFAULT_HEADLINE).is_visible()
    assert other_page.get_by_text(CAMPAIGN_HEADLINE).count() == 0
    assert recommended_titles(other_page) == OTHER_STORIES

    # 2. Download the whitepaper as someone at a bank.
    page.goto(site["whitepaper"])
    page.get_by_label("Work email").fill("jana.novak@meridian-bank.de")
    page.get_by_label("First name").fill("Jana")
    page.get_by_label("Last name").fill("Novák")
    page.get_by_label("Company").fill("Meridian Bank")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Industry").select_option("Banking")
    page.get_by_role("button", name="Get the PDF").click()
    page.get_by_role("link", name="Download the PDF").wait_for()

    person = Person.objects.select_related("company").get()
    assert person.company.industry.lower() == "banking"
    visitor_id = next(cookie["value"] for cookie in visitor.cookies() if cookie["name"] == "sp_vid")
    assert Visitor.objects.get(visitor_id=visitor_id).person_id == person.pk  # the lead linked this browser

    # 3. Back on the home page, no campaign in the URL: the banking stories first, and the campaign's
    # hero still (the visitor's latest campaign is remembered).
    page.goto(site["home"])
    assert page.get_by_role("heading", level=1, name=CAMPAIGN_HEADLINE).is_visible()
    titles = recommended_titles(page)
    assert titles[:2] == BANKING_STORIES, titles
    assert titles[2:] == OTHER_STORIES[:1]
    page.screenshot(path="/tmp/personalised-home.png", full_page=True)

    # The stranger's home page has not changed.
    other_page.goto(site["home"])
    assert hero_headline(other_page) == DEFAULT_HEADLINE
    assert recommended_titles(other_page) == OTHER_STORIES
