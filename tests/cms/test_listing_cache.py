"""Filtered listings come from the page output cache, one entry per filter and page (cms.page_cache)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cms.models import Topic
from tests.factories import IndustryFactory, TopicFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(whitepaper_index, settings):
    """A published library (live revision: cacheable) with one tagged paper among others."""
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600
    ai, banking = TopicFactory(slug="ai", name="AI"), IndustryFactory(slug="banking", name="Banking")
    WhitepaperPageFactory(parent=whitepaper_index, title="AI in banking", topics=[ai], industries=[banking])
    for n in range(3):
        WhitepaperPageFactory(parent=whitepaper_index, title=f"Other paper {n}")
    whitepaper_index.save_revision().publish()
    Client().get("/whitepapers/")  # the first render creates the site settings (a new content epoch)
    return whitepaper_index


def twice(url, **headers):
    browser = Client()
    browser.get(url, headers=headers)
    return browser


def test_a_filtered_listing_comes_from_the_cache(library, django_assert_max_num_queries):
    browser = twice("/whitepapers/?topic=ai&industry=banking")
    with django_assert_max_num_queries(0):
        response = browser.get("/whitepapers/?topic=ai&industry=banking")
    html = response.content.decode()
    assert "AI in banking" in html and "Other paper" not in html
    assert "HX-Request" in response["Vary"]  # the same URL answers htmx with a fragment
    # Another filter is another entry, not the first one's output.
    other = twice("/whitepapers/?topic=&industry=").get("/whitepapers/?topic=&industry=").content.decode()
    assert "Other paper 0" in other


def test_the_order_of_parameters_does_not_matter(library, django_assert_max_num_queries):
    browser = twice("/whitepapers/?topic=ai&industry=banking")
    with django_assert_max_num_queries(0):
        assert "AI in banking" in browser.get("/whitepapers/?industry=banking&topic=ai").content.decode()


@pytest.mark.parametrize(
    "query", ["?topic=does-not-exist", "?page=abc", "?page=999", "?unknown=1", "?topic=ai&forget=1"]
)
def test_invalid_or_unknown_queries_are_answered_but_never_kept(library, query):
    browser = twice("/whitepapers/" + query)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/whitepapers/" + query)
    assert len(queries) > 0  # rendered again: nothing was kept for it
    assert response.status_code == 200 and "AI in banking" in response.content.decode()


def test_htmx_gets_its_fragment_not_the_cached_page(library):
    browser = twice("/whitepapers/?topic=ai")
    fragment = browser.get("/whitepapers/?topic=ai", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "AI in banking" in fragment


def test_a_published_paper_appears_at_once(library):
    browser = twice("/whitepapers/?topic=ai")
    paper = WhitepaperPageFactory(parent=library, title="Fresh AI paper", topics=[Topic.objects.get(slug="ai")])
    paper.save_revision().publish()
    assert "Fresh AI paper" in browser.get("/whitepapers/?topic=ai").content.decode()


def test_the_content_api_listing_is_kept_until_content_changes(library, django_assert_max_num_queries):
    url = "/api/v2/pages/?type=cms.WhitepaperPage&limit=20"
    browser = Client()
    first = browser.get(url).json()
    with django_assert_max_num_queries(0):
        again = browser.get(url)
    assert again.status_code == 200 and again.json() == first
    paper = WhitepaperPageFactory(parent=library, title="Fresh API paper")
    paper.save_revision().publish()
    titles = [item["title"] for item in browser.get(url).json()["items"]]
    assert "Fresh API paper" in titles and len(titles) == first["meta"]["total_count"] + 1


@pytest.mark.parametrize("query", ["&fields=body", "&search=banking", "&nonsense=1"])
def test_api_listings_that_may_differ_are_not_kept(library, query):
    url = "/api/v2/pages/?type=cms.WhitepaperPage" + query
    browser = Client()
    status = browser.get(url).status_code
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == status
    assert len(queries) > 0


def test_the_content_api_detail_is_kept_per_revision(library, django_assert_max_num_queries):
    paper = WhitepaperPageFactory(parent=library, title="Kept paper", summary="What it says")
    paper.save_revision().publish()
    url = f"/api/v2/pages/{paper.pk}/"
    browser = Client()
    first = browser.get(url).json()
    assert first["summary"] == "What it says"
    type(paper).objects.filter(pk=paper.pk).update(summary="Changed without publishing")
    with django_assert_max_num_queries(0):  # the route kept: no lookup of the site or the page, no serialising
        again = browser.get(url)
    assert again.json() == first
    paper.refresh_from_db()
    paper.summary = "Published again"
    paper.save_revision().publish()
    assert browser.get(url).json()["summary"] == "Published again"


def test_the_api_detail_with_every_variant_is_never_kept(library, settings):
    settings.PERSONALIZATION_API_TOKENS = ["front-end-token"]
    paper = WhitepaperPageFactory(parent=library, title="Token paper", summary="Before")
    paper.save_revision().publish()
    url = f"/api/v2/pages/{paper.pk}/?variants=all"
    headers = {"Authorization": "Bearer front-end-token"}
    assert Client().get(url, headers=headers).json()["summary"] == "Before"
    type(paper).objects.filter(pk=paper.pk).update(summary="After")
    assert Client().get(url, headers=headers).json()["summary"] == "After"


def test_an_api_detail_kept_is_gone_at_once_when_unpublished_or_made_private(library):
    from wagtail.models import PageViewRestriction

    open_paper, private_paper = (
        WhitepaperPageFactory(parent=library, title=title, summary="Kept") for title in ("Open", "Soon private")
    )
    browser = Client()
    for paper in (open_paper, private_paper):
        paper.save_revision().publish()
        for _ in range(2):  # kept, then answered from its route
            assert browser.get(f"/api/v2/pages/{paper.pk}/").status_code == 200
    open_paper.unpublish()
    assert browser.get(f"/api/v2/pages/{open_paper.pk}/").status_code == 404
    PageViewRestriction.objects.create(page=private_paper, restriction_type=PageViewRestriction.LOGIN)
    assert browser.get(f"/api/v2/pages/{private_paper.pk}/").status_code == 404
