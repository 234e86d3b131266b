"""Site search over live, public pages."""

import pytest

from tests.factories import CaseStudyPageFactory, StandardPageFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(home_page, whitepaper_index, case_study_index):
    WhitepaperPageFactory(
        parent=whitepaper_index, title="Explainable lead scoring", summary="Scores your sales team trusts."
    )
    CaseStudyPageFactory(parent=case_study_index, title="Meridian Bank story", customer_name="Meridian Bank")
    StandardPageFactory(parent=home_page, title="Pricing", intro="Plans for every team.")
    WhitepaperPageFactory(parent=whitepaper_index, title="Secret scoring draft", live=False)


def test_finds_pages_by_their_words(client, content):
    html = client.get("/search/?q=scoring").content.decode()
    assert "Explainable lead scoring" in html
    assert "Secret scoring draft" not in html
    assert "Meridian Bank story" in client.get("/search/?q=Meridian").content.decode()


def test_quoted_phrases(client, content):
    assert "Explainable lead scoring" in client.get('/search/?q="lead scoring"').content.decode()


def test_no_results_and_no_query(client, content):
    assert client.get("/search/?q=xylophone").status_code == 200
    assert client.get("/search/").status_code == 200
    assert client.get("/search/?q=").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "a" * 5000,
        "<script>alert(1)</script>",
        "%00",
        "' OR 1=1 --",
        "scoring&page=-1",
        "(((",
        "ü∑ß∂ƒ",
        '"unterminated',
        '"',
        "AND OR NOT",
        "*",
    ],
)
def test_hostile_queries_do_not_break_search(client, content, query):
    response = client.get("/search/", {"q": query, "page": "x"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("query", ["a" * 10_001, "\x00", "nul\x00inside", "\x1b[2J"])
def test_queries_no_search_takes_are_a_400_naming_q(client, content, query):
    """Control characters and absurd lengths are refused at the edge (core.edge), before the search runs."""
    response = client.get("/search/", {"q": query})
    assert response.status_code == 400
    assert "q: " in response.content.decode()
