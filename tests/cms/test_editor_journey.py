"""An editor logs in, uploads a PDF, creates a gated whitepaper and a case study, publishes them,
and finds them on the site, in search, in the sitemap and in the API: all through the admin's HTTP
surface, as the browser would post it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.models import CaseStudyPage, WhitepaperPage
from tests.factories import IndustryFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_editor_publishes_a_whitepaper_and_a_case_study(client, django_user_model, whitepaper_index, case_study_index):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "correct-horse-battery")
    topic, industry = TopicFactory(name="Revenue operations"), IndustryFactory(name="Banking")

    response = client.post("/admin/login/", {"username": "editor", "password": "correct-horse-battery"})
    assert response.status_code == 302

    pdf = SimpleUploadedFile("revops.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")
    response = client.post("/admin/documents/add/", {"title": "RevOps benchmark PDF", "file": pdf, "collection": 1})
    assert response.status_code == 302, response.content[:2000]
    document = get_document_model().objects.get(title="RevOps benchmark PDF")

    response = client.post(
        f"/admin/pages/add/cms/whitepaperpage/{whitepaper_index.pk}/",
        nested_form_data(
            {
                "title": "The RevOps Benchmark 2026",
                "slug": "revops-benchmark-2026",
                "summary": "Benchmarks on pipeline and speed to lead from 412 companies.",
                "document": document.pk,
                "page_count": 24,
                "gated": "on",
                "publish_date": "2026-11-01",
                "body": streamfield([]),
                "action-publish": "publish",
            }
        )
        | {"topics": [topic.pk], "industries": [industry.pk]},  # multi-valued fields stay lists
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    paper = WhitepaperPage.objects.get(slug="revops-benchmark-2026")
    assert paper.live and paper.gated and paper.document == document

    response = client.post(
        f"/admin/pages/add/cms/casestudypage/{case_study_index.pk}/",
        nested_form_data(
            {
                "title": "Meridian Bank answers leads in 40 minutes",
                "slug": "meridian-bank",
                "customer_name": "Meridian Bank",
                "summary": "From two days to forty minutes.",
                "industry": industry.pk,
                "company_size_band": "5000+",
                "region": "emea",
                "publish_date": "2026-11-02",
                "challenge": rich_text("<p>Leads waited two days.</p>"),
                "solution": rich_text("<p>One scored, routed list.</p>"),
                "results": rich_text("<p>Forty-minute responses.</p>"),
                "key_metrics": streamfield([("metric", {"value": "40 min", "label": "first response"})]),
                "quote": "We finally have one list.",
                "related_whitepapers": inline_formset([{"whitepaper": paper.pk}]),
                "body": streamfield([]),
                "action-publish": "publish",
            }
        )
        | {"topics": [topic.pk]},
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    story = CaseStudyPage.objects.get(slug="meridian-bank")
    assert story.live and list(story.topics.all()) == [topic]

    client.logout()
    # On the site
    paper_html = client.get("/whitepapers/revops-benchmark-2026/").content.decode()
    assert "The RevOps Benchmark 2026" in paper_html and document.url not in paper_html
    story_html = client.get("/customers/meridian-bank/").content.decode()
    assert "40 min" in story_html and "The RevOps Benchmark 2026" in story_html
    assert "The RevOps Benchmark 2026" in client.get("/whitepapers/").content.decode()
    # In search
    assert "The RevOps Benchmark 2026" in client.get("/search/?q=benchmark").content.decode()
    assert "Meridian Bank answers leads" in client.get("/search/?q=Meridian").content.decode()
    # In the sitemap
    sitemap = client.get("/sitemap.xml").content.decode()
    assert paper.full_url in sitemap and story.full_url in sitemap
    # In the API
    api = client.get("/api/v2/pages/?type=cms.CaseStudyPage&fields=customer_name,related_whitepapers").json()
    assert api["items"][0]["customer_name"] == "Meridian Bank"
    assert api["items"][0]["related_whitepapers"][0]["title"] == "The RevOps Benchmark 2026"
    detail = client.get(f"/api/v2/pages/{paper.pk}/").json()
    assert detail["document"]["download_url"] is None and detail["topics"][0]["name"] == "Revenue operations"
