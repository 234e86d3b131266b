"""The content API for headless front ends, and the recommended-content block."""

import json
import re
from datetime import date

import pytest
from django.utils import timezone

from leads.models import Interaction
from personalization.services import tracked_link_token
from tests.factories import (
    CaseStudyPageFactory,
    CompanyFactory,
    IndustryFactory,
    PersonFactory,
    TopicFactory,
    WhitepaperPageFactory,
)
from tests.personalization.conftest import Browser

pytestmark = pytest.mark.django_db


def test_edge_renderers_with_a_token_get_every_variant(hero_page, client, settings, campaign_segment, mobile_segment):
    settings.PERSONALIZATION_API_TOKENS = ["edge-secret-1"]
    response = client.get(f"/api/v2/pages/{hero_page.pk}/?variants=all", HTTP_AUTHORIZATION="Bearer edge-secret-1")
    block = response.json()["hero"][0]["value"]
    assert block["personalised"] is True
    assert block["default"][0]["value"]["headline"] == "Default hero"
    assert [(v["segment"]["id"], v["content"][0]["value"]["headline"]) for v in block["variants"]] == [
        (campaign_segment.pk, "Campaign hero"),
        (mobile_segment.pk, "Mobile hero"),
    ]
    assert block["variants"][0]["segment"] == {"id": campaign_segment.pk, "name": "Banking campaign", "priority": 30}


@pytest.mark.parametrize("authorization", ["", "Bearer wrong", "Basic edge-secret-1", "Bearer ", "edge-secret-1"])
def test_all_variants_need_a_valid_token(hero_page, client, settings, authorization):
    settings.PERSONALIZATION_API_TOKENS = ["edge-secret-1"]
    response = client.get(f"/api/v2/pages/{hero_page.pk}/?variants=all", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 403
    if not authorization.startswith("Basic"):  # DRF itself refuses a malformed Basic header first
        assert "variants=all needs an API token" in response.json()["detail"]


def test_an_unknown_variants_value_is_a_clear_400(hero_page, client):
    response = client.get(f"/api/v2/pages/{hero_page.pk}/?variants=some")
    assert response.status_code == 400 and "variants" in response.json()["message"]


def test_the_api_listing_resolves_blocks_for_the_visitor_too(hero_page):
    browser = Browser()
    browser.get("/?utm_campaign=banking-q4")
    listing = browser.get("/api/v2/pages/?type=cms.HomePage&fields=hero").json()
    block = listing["items"][0]["hero"][0]["value"]
    assert block["content"][0]["value"]["headline"] == "Campaign hero"
    # A listing does not say which page a block is on: it is shown, not counted (no "page 0" statistics).
    from personalization.models import VariantStat

    assert block["variant_key"] is None and not VariantStat.objects.filter(page_id=0).exists()


def test_the_openapi_schema_lists_the_personalization_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/personalization/visitor" in paths and "/api/v1/personalization/clicks" in paths


@pytest.mark.parametrize("known_visitor", [False, True])
def test_the_visitor_endpoint_is_never_kept_by_a_shared_cache_or_the_browser(client, campaign_segment, known_visitor):
    """One visitor's id and segments: a CDN keeping it would hand them to the next visitor."""
    headers = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"}
    if known_visitor:
        first = client.get("/api/v1/personalization/visitor?utm_campaign=banking-q4", **headers)
        headers["HTTP_X_VISITOR_ID"] = first.json()["visitor_id"]
    response = client.get("/api/v1/personalization/visitor", **headers)
    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives and "public" not in directives and "max-age" not in str(directives)


# --- Recommended content ---------------------------------------------------------------------------------
@pytest.fixture
def library(home_page, whitepaper_index, case_study_index):
    banking, retail, health = (
        IndustryFactory(name="Banking", slug="banking"),
        IndustryFactory(name="Retail", slug="retail"),
        IndustryFactory(name="Healthcare", slug="healthcare"),
    )
    ai, data = TopicFactory(name="AI", slug="ai"), TopicFactory(name="Data", slug="data")
    stories = {
        "bank-old": CaseStudyPageFactory(
            parent=case_study_index, title="Bank story", industry=banking, publish_date=date(2025, 1, 1)
        ),
        "retail-new": CaseStudyPageFactory(
            parent=case_study_index, title="Retail story", industry=retail, publish_date=date(2026, 6, 1)
        ),
        "health-newer": CaseStudyPageFactory(
            parent=case_study_index, title="Health story", industry=health, publish_date=date(2026, 9, 1)
        ),
    }
    papers = {
        "ai-paper": WhitepaperPageFactory(
            parent=whitepaper_index, title="AI paper", topics=[ai], publish_date=date(2025, 3, 1), gated=False
        ),
        "data-paper": WhitepaperPageFactory(
            parent=whitepaper_index, title="Data paper", topics=[data], publish_date=date(2026, 10, 1), gated=False
        ),
    }
    home_page.body = json.dumps(
        [{"type": "recommended", "value": {"heading": "For you", "source": "both", "limit": 3}}]
    )
    home_page.save_revision().publish()
    return {**stories, **papers}


def recommended(browser, path="/"):
    html = browser.get(path).content.decode()
    section = html.split("block--recommended")[1].split("</section>")[0]
    return re.findall(r'class="card__link" href="[^"]*">([^<]+)</a>', section)


def test_a_visitor_we_know_nothing_about_gets_the_newest(library):
    assert recommended(Browser()) == ["Data paper", "Health story", "Retail story"]


def test_a_known_banker_gets_banking_first_and_never_what_they_downloaded(library):
    person = PersonFactory(company=CompanyFactory(industry="Banking"))
    Interaction.objects.create(
        type="content_download",
        person=person,
        object_type="content",
        object_id=str(library["data-paper"].pk),
        occurred_at=timezone.now(),
    )
    browser = Browser()
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    assert recommended(browser) == ["Bank story", "Health story", "Retail story"]


def test_reading_about_a_topic_and_an_industry_shifts_recommendations(library):
    browser = Browser()
    browser.get(library["ai-paper"].url)
    browser.get(library["ai-paper"].url)
    assert recommended(browser)[0] == "AI paper"
    browser.get(library["retail-new"].url)
    assert recommended(browser)[:2] == ["Retail story", "AI paper"]
    # Another visitor still gets the newest: the cached page is keyed by what recommendations depend on.
    assert recommended(Browser()) == ["Data paper", "Health story", "Retail story"]


def test_recommendations_keep_shared_caches_out_on_the_site_and_in_the_api(library, home_page):
    browser = Browser()
    for response in (browser.get("/"), browser.get("/"), browser.get(f"/api/v2/pages/{home_page.pk}/")):
        assert "private" in response["Cache-Control"], response["Cache-Control"]
        assert "Cookie" in response["Vary"] and "X-Visitor-Id" in response["Vary"]


def test_recommendations_in_the_api_match_the_page(library):
    browser = Browser()
    browser.get(library["retail-new"].url)
    items = browser.get(f"/api/v2/pages/{library['ai-paper'].get_parent().get_parent().pk}/").json()["body"]
    titles = [item["title"] for item in items[0]["value"]["items"]]
    assert titles == recommended(browser)


def test_a_new_whitepaper_shows_up_in_recommendations_at_once(library, whitepaper_index):
    browser = Browser()
    assert recommended(browser)[0] == "Data paper"
    WhitepaperPageFactory(
        parent=whitepaper_index, title="Brand new paper", publish_date=date(2026, 11, 30), gated=False
    ).save_revision().publish()
    assert recommended(browser)[0] == "Brand new paper"
