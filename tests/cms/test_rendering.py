"""Every page type and every block renders; SEO tags, JSON-LD, robots, sitemap, error pages."""

import json
import re

import pytest
from django.test import Client, override_settings

from tests.cms.streamfield_data import every_block_body
from tests.factories import (
    CallToActionFactory,
    CaseStudyPageFactory,
    ImageFactory,
    StandardPageFactory,
    TopicFactory,
    WhitepaperPageFactory,
)

pytestmark = pytest.mark.django_db


def json_ld(html):
    return [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


@pytest.fixture
def site_pages(home_page, whitepaper_index, case_study_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index, title="The State of RevOps")
    story = CaseStudyPageFactory(parent=case_study_index, title="Meridian cut response time")
    story.related_whitepapers.create(whitepaper=paper)
    story.save_revision().publish()
    about = StandardPageFactory(parent=home_page, title="About us", slug="about")
    return {
        "home": home_page,
        "whitepapers": whitepaper_index,
        "customers": case_study_index,
        "paper": paper,
        "story": story,
        "about": about,
    }


@pytest.mark.parametrize("name", ["home", "whitepapers", "customers", "paper", "story", "about"])
def test_every_page_type_renders(client, site_pages, name):
    page = site_pages[name]
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert page.title in html
    assert '<main id="main"' in html
    assert f'<link rel="canonical" href="{page.full_url}"' in html
    assert 'property="og:title"' in html and 'name="twitter:card"' in html


def test_whitepaper_page_json_ld_and_gate(client, site_pages):
    paper = site_pages["paper"]
    html = client.get(paper.url).content.decode()
    article = next(d for d in json_ld(html) if d["@type"] == "Article")
    assert article["headline"] == paper.title
    assert article["datePublished"] == paper.publish_date.isoformat()
    assert paper.document.url not in html  # gated: never a direct link


def test_ungated_whitepaper_links_its_pdf(client, whitepaper_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index, gated=False)
    assert paper.document.url in client.get(paper.url).content.decode()


def test_case_study_json_ld(client, site_pages):
    html = client.get(site_pages["story"].url).content.decode()
    article = next(d for d in json_ld(html) if d["@type"] == "Article")
    assert article["about"]["name"] == site_pages["story"].customer_name
    assert site_pages["paper"].title in html  # related whitepaper


def test_home_has_organization_json_ld(client, site_pages):
    data = json_ld(client.get("/").content.decode())
    assert any(d["@type"] == "Organization" for d in data)


def test_every_block_renders(client, home_page, whitepaper_index):
    topic = TopicFactory()
    WhitepaperPageFactory(parent=whitepaper_index, title="Tagged paper", topics=[topic])
    image, platform = ImageFactory(), StandardPageFactory(parent=home_page, slug="platform", title="Platform")
    cta = CallToActionFactory(title="See it on your data")
    page = StandardPageFactory(
        parent=home_page, body=every_block_body(image=image, cta=cta, link_page=platform, topic=topic)
    )
    html = client.get(page.url).content.decode()
    for expected in [
        "Turn signals into pipeline",  # hero
        'href="/platform/"',  # rich text internal link resolved
        "See it on your data",  # call to action snippet
        "Card one",  # manual card grid
        "Tagged paper",  # automatic card grid
        "We finally have one list.",  # quote
        "42%",  # metrics
        "Meridian",  # logo cloud
        "A chart of pipeline growth",  # image alt override
        "Product tour",  # video facade
        "Is there a trial?",  # FAQ
        "Left column",
        "Right column quote",  # two columns
    ]:
        assert expected in html, expected
    # The video loads nothing from the video host until the visitor presses play.
    assert (
        '<iframe src="https://www.youtube-nocookie.com'
        not in html.replace("<template", "\n<template").split("<template")[0]
    )
    faq = next(d for d in json_ld(html) if d["@type"] == "FAQPage")
    assert faq["mainEntity"][0]["name"] == "Is there a trial?"


def test_json_ld_cannot_be_broken_out_of(client, home_page):
    page = StandardPageFactory(
        parent=home_page,
        body=[
            (
                "faq",
                {"heading": "FAQ", "items": [{"question": "</script><script>alert(1)</script>", "answer": "<p>x</p>"}]},
            )
        ],
    )
    html = client.get(page.url).content.decode()
    assert "</script><script>alert(1)" not in html


def test_images_have_alt_text(client, site_pages):
    html = client.get(site_pages["story"].url).content.decode()
    tags = re.findall(r"<img\b[^>]*>", html)
    assert tags, "the story page has images to check"
    for tag in tags:
        assert "alt=" in tag, tag


def test_404_page(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    # The page's own words and its own search form ("search" alone is in every page's header).
    assert "We couldn't find that page" in html and 'id="notfound-q"' in html


@override_settings(DEBUG=False)
def test_500_page_is_rendered_on_errors(home_page, monkeypatch):
    from cms.models import HomePage

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(HomePage, "get_context", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/")
    assert response.status_code == 500
    assert "went wrong" in response.content.decode().lower()


def test_robots_txt(client, home_page):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


def test_sitemap_lists_live_pages_only(client, site_pages, whitepaper_index):
    draft = WhitepaperPageFactory(parent=whitepaper_index, slug="secret-draft", live=False)
    body = client.get("/sitemap.xml").content.decode()
    for name in ["home", "whitepapers", "customers", "paper", "story", "about"]:
        assert f"<loc>{site_pages[name].full_url}</loc>" in body
    assert draft.slug not in body


def test_home_query_count_is_bounded(client, site_pages, whitepaper_index, django_assert_max_num_queries):
    home = site_pages["home"]
    home.body = [
        (
            "card_grid",
            {"heading": "Latest", "source": "whitepapers", "topic": None, "industry": None, "limit": 6, "cards": []},
        )
    ]
    home.save_revision().publish()
    client.get("/")
    with django_assert_max_num_queries(25) as few:
        client.get("/")
    for _ in range(8):
        WhitepaperPageFactory(parent=whitepaper_index)
    client.get("/")  # new cover images get their card renditions made once, on first view
    with django_assert_max_num_queries(25) as many:
        client.get("/")
    assert len(many.captured_queries) == len(few.captured_queries)
