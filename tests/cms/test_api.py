"""The headless content API (Wagtail API v2 at /api/v2/)."""

import pytest
from wagtail.models import Collection, CollectionViewRestriction

from tests.cms.streamfield_data import BLOCK_TYPES, every_block_body
from tests.factories import (
    AuthorFactory,
    CallToActionFactory,
    CaseStudyPageFactory,
    DocumentFactory,
    ImageFactory,
    IndustryFactory,
    StandardPageFactory,
    TopicFactory,
    WhitepaperPageFactory,
)

pytestmark = pytest.mark.django_db


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.json()


def test_listing_by_type_with_topic_and_industry_filters(client, whitepaper_index):
    ai, banking = TopicFactory(slug="ai"), IndustryFactory(slug="banking")
    wanted = WhitepaperPageFactory(parent=whitepaper_index, title="AI for banks", topics=[ai], industries=[banking])
    WhitepaperPageFactory(parent=whitepaper_index, title="AI elsewhere", topics=[ai])
    WhitepaperPageFactory(parent=whitepaper_index, title="Something else")

    data = get_json(client, "/api/v2/pages/?type=cms.WhitepaperPage")
    assert data["meta"]["total_count"] == 3
    data = get_json(client, "/api/v2/pages/?type=cms.WhitepaperPage&topic=ai&industry=banking&fields=summary,gated")
    assert [item["id"] for item in data["items"]] == [wanted.pk]
    assert data["items"][0]["summary"] == wanted.summary
    assert data["items"][0]["meta"]["html_url"] == "http://testserver/whitepapers/" + wanted.slug + "/"


def test_case_studies_filter_by_industry_slug(client, case_study_index):
    banking, retail = IndustryFactory(slug="banking"), IndustryFactory(slug="retail")
    wanted = CaseStudyPageFactory(parent=case_study_index, title="Meridian Bank", industry=banking)
    CaseStudyPageFactory(parent=case_study_index, title="Shopfront", industry=retail)
    data = get_json(client, "/api/v2/pages/?type=cms.CaseStudyPage&industry=banking")
    assert [item["id"] for item in data["items"]] == [wanted.pk]


@pytest.mark.parametrize(
    "query, message",
    [
        ("type=cms.WhitepaperPage&topic=no-such-topic", "topic 'no-such-topic' does not exist"),
        ("type=cms.WhitepaperPage&industry=%00%ff", "industry: is not UTF-8 text"),  # refused at the edge
        ("topic=ai", "topic filter needs a single page type"),
        ("type=cms.WhitepaperPage&publish_date=yesterday", "invalid value for publish_date"),
        ("type=cms.WhitepaperPage&page_count=many", "page_count"),
        ("type=cms.NoSuchPage", "type doesn't exist"),
        ("type=cms.WhitepaperPage&limit=-1", "limit"),
        ("type=cms.WhitepaperPage&fields=summary,,(", "fields error"),
        # Numbers no column holds: SQLite could not even bind them (a 500).
        ("type=cms.WhitepaperPage&topics=99999999999999999999999", "topics must be a whole number"),
        ("type=cms.WhitepaperPage&cover_image=9223372036854775808", "cover_image must be a whole number"),
        ("search=ai&search_operator=xor", "search_operator: the accepted values are 'and' and 'or'"),
    ],
)
def test_bad_filters_are_400_with_a_message(client, whitepaper_index, query, message):
    TopicFactory(slug="ai")
    data = get_json(client, f"/api/v2/pages/?{query}", status=400)
    assert message in data["message"]


def test_whitepaper_detail(client, whitepaper_index):
    author, topic, industry = AuthorFactory(name="Priya Raman"), TopicFactory(), IndustryFactory()
    paper = WhitepaperPageFactory(
        parent=whitepaper_index, gated=False, authors=[author], topics=[topic], industries=[industry]
    )
    data = get_json(client, f"/api/v2/pages/{paper.pk}/")
    assert data["meta"]["type"] == "cms.WhitepaperPage"
    assert data["summary"] == paper.summary
    assert data["page_count"] == 12
    assert data["authors"] == [{"id": author.pk, "name": "Priya Raman", "job_title": author.job_title}]
    assert data["topics"] == [{"id": topic.pk, "name": topic.name, "slug": topic.slug}]
    assert data["industries"][0]["slug"] == industry.slug
    assert data["document"]["download_url"].endswith(paper.document.url)
    renditions = data["cover_image"]["renditions"]
    assert set(renditions) == {"thumbnail", "card", "hero", "full"}
    assert renditions["card"]["width"] > 0 and renditions["card"]["url"].startswith("http")
    assert data["cover_image"]["alt"] == paper.cover_image.description


def test_gated_whitepaper_never_exposes_its_pdf_url(client, whitepaper_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index, gated=True)
    data = get_json(client, f"/api/v2/pages/{paper.pk}/")
    assert data["gated"] is True
    assert data["document"]["download_url"] is None
    assert data["document"]["title"] == paper.document.title
    assert paper.document.file.name not in str(data)


def test_case_study_detail(client, case_study_index, whitepaper_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index)
    story = CaseStudyPageFactory(
        parent=case_study_index,
        key_metrics=[("metric", {"value": "3x", "label": "faster response"})],
    )
    story.related_whitepapers.create(whitepaper=paper)
    story.save_revision().publish()
    data = get_json(client, f"/api/v2/pages/{story.pk}/")
    assert data["customer_name"] == story.customer_name
    assert data["industry"]["name"] == story.industry.name
    assert data["key_metrics"][0]["type"] == "metric"
    assert data["key_metrics"][0]["value"] == {"value": "3x", "label": "faster response"}
    assert data["challenge"] == "<p>Leads waited days.</p>"
    assert data["related_whitepapers"][0]["id"] == paper.pk
    assert data["customer_logo"]["renditions"]["thumbnail"]["url"]


def test_every_block_serialises_with_type_and_plain_values(client, home_page, whitepaper_index):
    topic = TopicFactory()
    WhitepaperPageFactory(parent=whitepaper_index, title="Tagged paper", topics=[topic])
    image, platform = ImageFactory(), StandardPageFactory(parent=home_page, slug="platform")
    page = StandardPageFactory(
        parent=home_page,
        body=every_block_body(image=image, cta=CallToActionFactory(), link_page=platform, topic=topic),
    )
    data = get_json(client, f"/api/v2/pages/{page.pk}/")
    body = data["body"]
    assert [block["type"] for block in body if block["type"] != "card_grid"] == [
        t for t in BLOCK_TYPES if t != "card_grid"
    ]
    by_type = {}
    for block in body:
        by_type.setdefault(block["type"], []).append(block["value"])
    assert by_type["hero"][0]["image"]["renditions"]["hero"]["url"]
    assert by_type["hero"][0]["call_to_action"] == {
        "label": "Book a demo",
        "url": "https://example.com/demo",
        "page_id": None,
    }
    # Rich text is HTML with the internal link resolved to a real URL.
    assert by_type["rich_text"][0] == '<p>See <a href="/platform/">our platform</a>.</p>'
    assert by_type["call_to_action"][0]["call_to_action"]["button_label"] == "Book a demo"
    manual, automatic = by_type["card_grid"]
    assert manual["cards"][0]["link"] == {"label": "Read more", "url": "/platform/", "page_id": platform.pk}
    assert [item["title"] for item in automatic["items"]] == ["Tagged paper"]
    assert automatic["topic"]["slug"] == topic.slug
    assert by_type["video"][0]["embed_url"] == "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
    assert by_type["faq"][0]["items"][0]["answer"] == "<p>Yes, 14 days.</p>"
    assert by_type["two_columns"][0]["left"][0]["type"] == "rich_text"


@pytest.mark.parametrize(
    "name, type_name, fields",
    [
        ("home", "cms.HomePage", ["hero", "body", "social_image"]),
        ("whitepapers", "cms.WhitepaperIndexPage", ["intro"]),
        ("customers", "cms.CaseStudyIndexPage", ["intro"]),
        ("about", "cms.StandardPage", ["intro", "hero", "body"]),
    ],
)
def test_detail_for_every_other_page_type(
    client, home_page, whitepaper_index, case_study_index, name, type_name, fields
):
    pages = {
        "home": home_page,
        "whitepapers": whitepaper_index,
        "customers": case_study_index,
        "about": StandardPageFactory(parent=home_page),
    }
    data = get_json(client, f"/api/v2/pages/{pages[name].pk}/")
    assert data["meta"]["type"] == type_name
    assert data["meta"]["html_url"] == pages[name].full_url
    for field in fields:
        assert field in data
    listing = get_json(client, f"/api/v2/pages/?type={type_name}")
    assert [item["id"] for item in listing["items"]] == [pages[name].pk]


@pytest.mark.parametrize("search", ["%20", "+++", "%22", "%22unterminated", "ai%22%22", "%22%22", "tag:ai"])
def test_searches_of_blanks_or_stray_quotes_are_answered(client, whitepaper_index, search):
    """Parsed like the site's search box: SQLite's FTS5 got these raw (a syntax error or an empty
    expression, both 500s)."""
    WhitepaperPageFactory(parent=whitepaper_index, title="AI for banks")
    for endpoint in ("pages", "images", "documents"):
        assert client.get(f"/api/v2/{endpoint}/?search={search}").status_code == 200


def test_tags_are_still_filtered_by_name(client, whitepaper_index):
    """Only integer columns and relations by id are held to the database's range: tags are names."""
    tagged = ImageFactory()
    tagged.tags.add("banking")
    ImageFactory()
    assert [item["id"] for item in get_json(client, "/api/v2/images/?tags=banking")["items"]] == [tagged.pk]


def test_a_quoted_search_is_a_phrase(client, whitepaper_index):
    WhitepaperPageFactory(parent=whitepaper_index, title="Pipeline forecasting for banks")
    WhitepaperPageFactory(parent=whitepaper_index, title="Banks and forecasting pipelines")
    titles = [item["title"] for item in get_json(client, '/api/v2/pages/?search="forecasting for banks"')["items"]]
    assert titles == ["Pipeline forecasting for banks"]


def test_find_by_html_path(client, whitepaper_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index, slug="state-of-revops")
    response = client.get("/api/v2/pages/find/?html_path=/whitepapers/state-of-revops/")
    assert response.status_code == 302
    assert f"/api/v2/pages/{paper.pk}/" in response["Location"]
    assert client.get("/api/v2/pages/find/?html_path=/no/such/page/").status_code == 404


def test_drafts_and_private_pages_are_not_served(client, whitepaper_index):
    from wagtail.models import PageViewRestriction

    draft = WhitepaperPageFactory(parent=whitepaper_index, live=False, title="Draft paper")
    private = WhitepaperPageFactory(parent=whitepaper_index, title="Private paper")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="pw")
    public = WhitepaperPageFactory(parent=whitepaper_index, title="Public paper")
    for page in (draft, private):
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404, page.title
    titles = {item["title"] for item in get_json(client, "/api/v2/pages/?type=cms.WhitepaperPage")["items"]}
    assert titles == {public.title}, "the listing leaves drafts and private pages out too"


def test_images_and_documents(client, whitepaper_index):
    image = ImageFactory()
    data = get_json(client, f"/api/v2/images/{image.pk}/")
    assert data["renditions"]["thumbnail"]["url"]
    assert "renditions" not in get_json(client, "/api/v2/images/")["items"][0]

    public = DocumentFactory(title="Public brochure")
    private_collection = Collection.get_first_root_node().add_child(name="Gated whitepapers")
    CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    gated = DocumentFactory(title="Gated PDF", collection=private_collection)
    titles = {item["title"] for item in get_json(client, "/api/v2/documents/")["items"]}
    assert "Public brochure" in titles and "Gated PDF" not in titles
    assert client.get(f"/api/v2/documents/{gated.pk}/").status_code == 404
    assert client.get(f"/api/v2/documents/{public.pk}/").status_code == 200


def test_the_gated_document_url_itself_is_refused_to_visitors(client, whitepaper_index):
    private_collection = Collection.get_first_root_node().add_child(name="Private")
    CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    gated = DocumentFactory(collection=private_collection)
    response = client.get(gated.url)
    assert response.status_code == 302  # to the login page, never the file
    assert "/login" in response["Location"]


def test_listing_query_count_does_not_grow_with_pages(client, whitepaper_index, django_assert_max_num_queries):
    for _ in range(3):
        WhitepaperPageFactory(parent=whitepaper_index)
    url = "/api/v2/pages/?type=cms.WhitepaperPage&fields=summary,publish_date,gated&limit=50"
    client.get(url)  # the first request caches the site's root paths
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for _ in range(20):
        WhitepaperPageFactory(parent=whitepaper_index)
    with django_assert_max_num_queries(12) as large:
        assert len(client.get(url).json()["items"]) == 23
    assert len(large.captured_queries) == len(small.captured_queries)


def test_cors_only_for_configured_origins(client, settings, home_page):
    settings.CORS_ALLOWED_ORIGINS = ["https://front.example.com"]
    allowed = client.get("/api/v2/pages/", HTTP_ORIGIN="https://front.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://front.example.com"
    other = client.get("/api/v2/pages/", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other
    not_api = client.get("/", HTTP_ORIGIN="https://front.example.com")
    assert "Access-Control-Allow-Origin" not in not_api
