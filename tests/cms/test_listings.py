"""Whitepaper and case-study listings: filters, pagination, htmx partials, hostile query strings."""

import pytest

from cms.models.pages import LISTING_PAGE_SIZE
from tests.factories import CaseStudyPageFactory, IndustryFactory, TopicFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(whitepaper_index):
    ai, banking = TopicFactory(slug="ai", name="AI"), IndustryFactory(slug="banking", name="Banking")
    tagged = WhitepaperPageFactory(parent=whitepaper_index, title="AI in banking", topics=[ai], industries=[banking])
    others = [WhitepaperPageFactory(parent=whitepaper_index, title=f"Other paper {n}") for n in range(3)]
    return tagged, others


def test_filters_narrow_the_list(client, papers):
    html = client.get("/whitepapers/?topic=ai&industry=banking").content.decode()
    assert "AI in banking" in html
    assert "Other paper" not in html


def test_unknown_filter_values_are_reported_not_500(client, papers):
    response = client.get("/whitepapers/?topic=does-not-exist&industry=%C3%BC%E2%88%91%22&page=abc")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "AI in banking" in html and "Other paper 0" in html  # invalid filters are ignored


def test_bytes_no_filter_takes_are_a_400_naming_the_filter(client, papers):
    """NUL and bytes that are not UTF-8 are refused at the edge (core.edge), before the listing reads them."""
    response = client.get("/whitepapers/?topic=ai&industry=%00%ff")
    assert response.status_code == 400
    assert "industry: is not UTF-8 text" in response.content.decode()


def test_htmx_request_gets_only_the_results_fragment(client, papers):
    response = client.get("/whitepapers/?topic=ai", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="results"' in html and "<html" not in html
    assert "AI in banking" in html and "Other paper" not in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/whitepapers/?topic=ai")
    assert "<html" in full.content.decode()
    assert "HX-Request" in full["Vary"]


def test_pagination(client, whitepaper_index):
    for n in range(LISTING_PAGE_SIZE + 2):
        WhitepaperPageFactory(parent=whitepaper_index, title=f"Paper number {n:02d}")
    first = client.get("/whitepapers/").content.decode()
    second = client.get("/whitepapers/?page=2").content.decode()
    assert first.count("Paper number") == LISTING_PAGE_SIZE
    assert second.count("Paper number") == 2
    assert client.get("/whitepapers/?page=999").content.decode().count("Paper number") == 2  # last page
    assert 'href="?page=2"' in first


def test_pagination_links_keep_filters(client, whitepaper_index):
    ai = TopicFactory(slug="ai")
    for _ in range(LISTING_PAGE_SIZE + 1):
        WhitepaperPageFactory(parent=whitepaper_index, topics=[ai])
    html = client.get("/whitepapers/?topic=ai").content.decode()
    assert 'href="?topic=ai&amp;page=2"' in html


def test_case_study_listing_filters_by_industry(client, case_study_index):
    banking = IndustryFactory(slug="banking", name="Banking")
    CaseStudyPageFactory(parent=case_study_index, title="Bank story", industry=banking)
    CaseStudyPageFactory(parent=case_study_index, title="Factory story")
    html = client.get("/customers/?industry=banking").content.decode()
    assert "Bank story" in html and "Factory story" not in html


def test_drafts_are_not_listed(client, whitepaper_index):
    WhitepaperPageFactory(parent=whitepaper_index, title="Draft paper", live=False)
    assert "Draft paper" not in client.get("/whitepapers/").content.decode()


@pytest.mark.parametrize("url", ["/whitepapers/", "/customers/"])
def test_listing_query_count_does_not_grow(
    client, whitepaper_index, case_study_index, url, django_assert_max_num_queries
):
    for _ in range(2):
        WhitepaperPageFactory(parent=whitepaper_index, topics=[TopicFactory()])
        CaseStudyPageFactory(parent=case_study_index)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(8):
        WhitepaperPageFactory(parent=whitepaper_index, topics=[TopicFactory()])
        CaseStudyPageFactory(parent=case_study_index)
    client.get(url)  # new cover images get their card renditions made once, on first view
    with django_assert_max_num_queries(30) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
