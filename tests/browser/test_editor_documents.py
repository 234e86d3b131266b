"""An editor (the Editor role) uploads a PDF into the root collection, attaches it to a gated whitepaper and
publishes: the PDF is moved to the private collection with a message, and its address refuses an anonymous
browser. A PDF also offered without a form elsewhere is refused, saying why. Screenshots go to
/tmp/editor-documents-shots."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from wagtail.documents import get_document_model
from wagtail.models import Collection

from cms.gated_documents import GATED_COLLECTION
from cms.models import WhitepaperPage
from sales.roles import EDITOR, roles_ensure
from tests.factories import DocumentFactory, LeadFormPageFactory, WhitepaperPageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/editor-documents-shots")
TIMEOUT_MS = 10000
PASSWORD = "correct-horse-battery"
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def drafts(home_page, whitepaper_index, django_user_model, settings):
    """Two gated whitepapers in draft (their gate form chosen), an ungated one live with its own PDF, and Eli."""
    SHOTS.mkdir(exist_ok=True)
    # No autosave in the background: it would still be writing when the test's database is flushed.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    eli = django_user_model.objects.create_user("eli.editor", "eli@example.com", PASSWORD)
    eli.groups.add(roles_ensure()[EDITOR])  # a flushed database (live server) has no role groups
    gate = LeadFormPageFactory(parent=home_page, slug="get-the-whitepaper")
    papers = {}
    for slug, title in (("benchmark", "The RevOps Benchmark 2026"), ("playbook", "The speed-to-lead playbook")):
        papers[slug] = WhitepaperPageFactory(
            parent=whitepaper_index, slug=slug, title=title, gated=True, gate_form=gate, document=None, live=False
        )
    open_pdf = DocumentFactory(title="Speed to lead PDF", collection=Collection.get_first_root_node())
    WhitepaperPageFactory(
        parent=whitepaper_index,
        slug="speed-to-lead",
        title="Speed to lead (open edition)",
        gated=False,
        document=open_pdf,
    )
    return papers


def sign_in(page, base):
    page.goto(base + "/admin/login/")
    page.get_by_label("Username").fill("eli.editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/admin/")


def attach_and_publish(page, base, paper, document_title):
    page.goto(f"{base}/admin/pages/{paper.pk}/edit/")
    page.get_by_role("button", name="Choose a document").click()
    page.locator(".modal").get_by_role("link", name=document_title).click()
    expect(page.locator(".modal")).to_be_hidden()
    page.locator("footer .w-dropdown__toggle").first.click()
    page.locator("button[name=action-publish]").click()


def test_an_editors_pdf_goes_private_when_its_whitepaper_is_published(browser, live_server, drafts):
    base = live_server.url
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, base)

    # Upload into the root collection, as the form offers by default.
    page.goto(base + "/admin/documents/add/")
    page.get_by_label("Title").fill("RevOps benchmark PDF")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "revops-benchmark.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(base + "/admin/documents/")
    document = get_document_model().objects.get(title="RevOps benchmark PDF")
    assert document.collection == Collection.get_first_root_node()
    anonymous = browser.new_context(**DESKTOP)
    anonymous.set_default_timeout(TIMEOUT_MS)
    visitor = anonymous.new_page()
    assert visitor.request.get(base + document.url, max_redirects=0).status == 200  # public, for now

    # Attach it to the gated whitepaper and publish: moved, and the editor is told.
    attach_and_publish(page, base, drafts["benchmark"], "RevOps benchmark PDF")
    message = page.get_by_text("“RevOps benchmark PDF” was in a public collection")
    expect(message).to_be_in_viewport(ratio=1)  # the admin slides its messages in
    assert f"moved to the private collection “{GATED_COLLECTION}”" in message.inner_text()
    assert page.get_by_text("Page 'The RevOps Benchmark 2026' has been published.").is_visible()
    page.screenshot(path=str(SHOTS / "published-with-message.png"))
    document.refresh_from_db()
    assert document.collection.name == GATED_COLLECTION and document.collection.get_view_restrictions().exists()
    assert WhitepaperPage.objects.get(pk=drafts["benchmark"].pk).live

    # The PDF's address now refuses an anonymous browser: it is sent to a login.
    visitor.goto(base + document.url)
    assert "login" in visitor.url and "/documents/" not in visitor.url.split("?")[0]
    assert visitor.get_by_role("heading", name="Sign in to open this file").is_visible()
    assert visitor.get_by_role("link", name="See the whitepapers").is_visible()  # where visitors get it
    visitor.screenshot(path=str(SHOTS / "document-refused-anonymous.png"))
    # While the editor still opens it (signed in), and finds it in its new collection.
    assert page.request.get(base + document.url, max_redirects=0).status == 200
    page.goto(base + "/admin/documents/")
    assert GATED_COLLECTION in page.locator("table.listing").inner_text()
    page.screenshot(path=str(SHOTS / "documents-listing.png"))

    # A PDF also offered without a form (the open edition's) can't be gated: publishing is refused, saying why.
    attach_and_publish(page, base, drafts["playbook"], "Speed to lead PDF")
    error = page.get_by_text("This PDF is also offered without a form on the page “Speed to lead (open edition)”")
    error.wait_for()
    error.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "publish-refused.png"))
    assert not WhitepaperPage.objects.get(pk=drafts["playbook"].pk).live
    assert get_document_model().objects.get(title="Speed to lead PDF").collection == Collection.get_first_root_node()
    anonymous.close()
    context.close()
