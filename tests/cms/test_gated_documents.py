"""A gated whitepaper's PDF never has a public URL, whatever collection the editor uploaded it into."""

import importlib

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import Resolver404, clear_url_caches, resolve
from django.views.static import serve
from wagtail.models import Collection, CollectionViewRestriction
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.gated_documents import GATED_COLLECTION
from cms.models import WhitepaperPage
from tests.factories import DocumentFactory, LeadFormPageFactory, StandardPageFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db


def root_collection():
    return Collection.get_first_root_node()


def publish_whitepaper(client, index, document, *, gated=True, publish=True, gate_form=None, slug="benchmark"):
    """The admin's "add whitepaper" form, as the browser posts it; publishing, or saving a draft."""
    data = nested_form_data(
        {
            "title": "The RevOps Benchmark 2026",
            "slug": slug,
            "summary": "Benchmarks from 412 companies.",
            "document": document.pk,
            "page_count": 24,
            "publish_date": "2026-11-01",
            "body": streamfield([]),
            **({"gated": "on"} if gated else {}),
            **({"gate_form": gate_form.pk} if gate_form else {}),
            **({"action-publish": "publish"} if publish else {}),
        }
    )
    return client.post(f"/admin/pages/add/cms/whitepaperpage/{index.pk}/", data)


def is_public(document) -> bool:
    response = Client().get(document.url)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_publishing_a_gated_whitepaper_moves_its_pdf_to_the_private_collection(
    admin_client_logged_in, home_page, whitepaper_index
):
    document = DocumentFactory(title="Benchmark PDF", collection=root_collection())  # where uploads land
    assert is_public(document)

    response = publish_whitepaper(
        admin_client_logged_in, whitepaper_index, document, gate_form=LeadFormPageFactory(parent=home_page)
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response

    document.refresh_from_db()
    assert document.collection.name == GATED_COLLECTION and document.collection.get_parent() == root_collection()
    assert document.collection.get_view_restrictions().get().restriction_type == CollectionViewRestriction.LOGIN
    told = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(
        "“Benchmark PDF” was in a public collection" in text and f"collection “{GATED_COLLECTION}”" in text
        for text in told
    ), told
    # An anonymous browser is sent to the login; visitors get the PDF through the form's signed link.
    response = Client().get(document.url)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert WhitepaperPage.objects.get(slug="benchmark").live


def test_a_pdf_in_a_private_collection_of_the_editors_stays_there(admin_client_logged_in, whitepaper_index):
    board = root_collection().add_child(name="Board papers")
    CollectionViewRestriction.objects.create(collection=board, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(collection=board)
    assert publish_whitepaper(admin_client_logged_in, whitepaper_index, document).status_code == 302
    document.refresh_from_db()
    assert document.collection == board and not Collection.objects.filter(name=GATED_COLLECTION).exists()


def test_publishing_outside_the_admin_moves_it_too_and_the_collection_is_kept_private(whitepaper_index):
    """Scheduled publishing, a workflow's approval, scripts: the page_published signal. A "Gated whitepapers"
    collection someone opened up is made private again: it exists to keep these PDFs private."""
    opened_up = root_collection().add_child(name=GATED_COLLECTION)
    document = DocumentFactory(collection=root_collection())
    paper = WhitepaperPageFactory(parent=whitepaper_index, document=document, gated=True)
    assert is_public(document)

    paper.save_revision().publish()

    document.refresh_from_db()
    assert document.collection == opened_up and opened_up.get_view_restrictions().exists()
    assert not is_public(document)


def test_an_ungated_whitepaper_keeps_its_public_pdf(whitepaper_index):
    document = DocumentFactory(collection=root_collection())
    WhitepaperPageFactory(parent=whitepaper_index, document=document, gated=False).save_revision().publish()
    document.refresh_from_db()
    assert document.collection == root_collection() and is_public(document)


def test_publishing_is_refused_when_the_pdf_is_also_offered_without_a_form(admin_client_logged_in, whitepaper_index):
    document = DocumentFactory(collection=root_collection())
    WhitepaperPageFactory(parent=whitepaper_index, title="The open edition", document=document, gated=False)

    response = publish_whitepaper(admin_client_logged_in, whitepaper_index, document)

    assert response.status_code == 200
    error = " ".join(response.context["form"].errors["document"])
    assert "also offered without a form on the page “The open edition”" in error
    assert "Upload a separate copy" in error
    document.refresh_from_db()
    assert document.collection == root_collection() and not WhitepaperPage.objects.filter(slug="benchmark").exists()
    # Saving a draft makes nothing public: it is never refused.
    assert publish_whitepaper(admin_client_logged_in, whitepaper_index, document, publish=False).status_code == 302
    assert not WhitepaperPage.objects.get(slug="benchmark").live


def test_a_document_link_in_a_live_page_is_a_public_use_too(admin_client_logged_in, home_page, whitepaper_index):
    document = DocumentFactory(collection=root_collection())
    StandardPageFactory(
        parent=home_page,
        title="Pricing",
        body=[("rich_text", f'<p>Read <a linktype="document" id="{document.pk}">the benchmark</a>.</p>')],
    )

    response = publish_whitepaper(admin_client_logged_in, whitepaper_index, document)

    assert response.status_code == 200
    assert "on the page “Pricing”" in " ".join(response.context["form"].errors["document"])


def test_another_gated_whitepaper_with_the_same_pdf_is_no_public_use(admin_client_logged_in, whitepaper_index):
    document = DocumentFactory(collection=root_collection())
    WhitepaperPageFactory(parent=whitepaper_index, title="Last year's edition", document=document, gated=True)
    assert publish_whitepaper(admin_client_logged_in, whitepaper_index, document).status_code == 302
    document.refresh_from_db()
    assert document.collection.name == GATED_COLLECTION


def test_an_ungated_whitepaper_with_a_private_pdf_is_refused(admin_client_logged_in, whitepaper_index):
    private = root_collection().add_child(name=GATED_COLLECTION)
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(collection=private)

    response = publish_whitepaper(admin_client_logged_in, whitepaper_index, document, gated=False)

    assert response.status_code == 200
    assert "visitors would be asked to log in" in " ".join(response.context["form"].errors["document"])


def test_a_gated_pdf_cannot_be_moved_back_to_a_public_collection(admin_client_logged_in, whitepaper_index):
    private = root_collection().add_child(name=GATED_COLLECTION)
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    document = DocumentFactory(title="Benchmark PDF", collection=private)
    WhitepaperPageFactory(parent=whitepaper_index, title="RevOps benchmark", document=document, gated=True)
    edit = f"/admin/documents/edit/{document.pk}/"

    response = admin_client_logged_in.post(edit, {"title": "Benchmark PDF", "collection": root_collection().pk})

    assert response.status_code == 200
    error = " ".join(response.context["form"].errors["collection"])
    assert "the PDF of the gated whitepaper “RevOps benchmark”" in error
    document.refresh_from_db()
    assert document.collection == private
    # Anything else about it can still be edited.
    response = admin_client_logged_in.post(edit, {"title": "Benchmark 2026 PDF", "collection": private.pk})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Benchmark 2026 PDF"


def test_the_development_server_serves_media_but_not_documents(settings):
    """`make run` serves the media folder itself: never its documents/, which would bypass the collections'
    privacy (Wagtail's /documents/<id>/<file> view checks it)."""
    import cms.urls

    def served_from_media(path, urls):
        try:
            return resolve(path, urls).func is serve
        except Resolver404:
            return False

    settings.DEBUG = True
    try:
        development_urls = importlib.reload(cms.urls)
        assert served_from_media("/media/images/cover.fill-800x450.webp", development_urls)
        assert served_from_media("/media/original_images/cover.jpg", development_urls)
        assert not served_from_media("/media/documents/benchmark.pdf", development_urls)
    finally:
        settings.DEBUG = False
        importlib.reload(cms.urls)
        clear_url_caches()
