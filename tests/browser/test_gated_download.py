"""A visitor from Germany lands on a gated whitepaper from a campaign, fills in the form, gets the
PDF, and on the next visit skips the form. In a real browser, with htmx and without JavaScript."""

import pytest
from wagtail.models import Collection, CollectionViewRestriction, Site

from forms.models import ConsentPolicy, ConsentRecord
from leads.models import Lead, Person
from tests.factories import DocumentFactory, LeadFormPageFactory, TopicFactory, WhitepaperPageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def whitepaper_url(home_page, whitepaper_index, live_server, settings):
    settings.FORMS_MIN_FILL_SECONDS = 1
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()
    ConsentPolicy.objects.update_or_create(
        country="DE",
        defaults={"show_checkbox": True, "opt_in_required": True, "text": "Yes, email me research and invitations."},
    )
    private = Collection.get_first_root_node().add_child(name="Gated")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    gate = LeadFormPageFactory(parent=home_page, slug="gate", submit_label="Get the PDF")
    whitepaper = WhitepaperPageFactory(
        parent=whitepaper_index,
        title="RevOps benchmark 2026",
        slug="revops-benchmark",
        gate_form=gate,
        document=DocumentFactory(collection=private),
        topics=[TopicFactory(slug="revops")],
    )
    return live_server.url + whitepaper.url


def fill_in(page, email):
    page.get_by_label("Work email").fill(email)
    page.get_by_label("First name").fill("Jana")
    page.get_by_label("Last name").fill("Novák")
    page.get_by_label("Company").fill("Meridian Bank")
    page.get_by_label("Country").select_option("DE")
    page.wait_for_timeout(1100)  # people take longer than FORMS_MIN_FILL_SECONDS


def test_download_journey_with_htmx_then_skip_the_gate(browser, whitepaper_url):
    context = browser.new_context(extra_http_headers={"CF-IPCountry": "DE"}, accept_downloads=True)
    page = context.new_page()
    page.goto(whitepaper_url + "?utm_source=linkedin&utm_campaign=q3-revops")
    consent = page.get_by_label("Yes, email me research and invitations.")
    assert consent.is_visible() and not consent.is_checked()  # shown, never pre-ticked
    page.evaluate("window.__notReloaded = true")

    page.get_by_role("button", name="Get the PDF").click()  # empty: inline errors, focus on the summary
    page.get_by_role("alert").wait_for()
    assert "Work email" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Work email").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    page.screenshot(path="/tmp/gated-download-errors.png", full_page=True)

    fill_in(page, "jana.novak@meridian-bank.de")
    page.get_by_role("button", name="Get the PDF").click()
    download_link = page.get_by_role("link", name="Download the PDF")
    download_link.wait_for()
    assert page.evaluate("window.__notReloaded") is True  # swapped in place
    page.screenshot(path="/tmp/gated-download-done.png", full_page=True)
    with page.expect_download() as download_info:
        download_link.click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_campaign) == ("linkedin", "q3-revops")
    person = Person.objects.get()
    assert person.scored_at is not None and person.country == "DE"
    record = ConsentRecord.objects.get()
    assert (record.checkbox_shown, record.granted) == (True, False)

    # Next visit: recognised by the first-party cookie, no form, straight to the PDF.
    page.goto(whitepaper_url)
    assert page.get_by_text("Welcome back, Jana").is_visible()
    assert page.get_by_label("Work email").count() == 0
    with page.expect_download() as again:
        page.get_by_role("link", name="Download the PDF").click()
    assert again.value.suggested_filename.endswith(".pdf")
    assert Lead.objects.count() == 1
    context.close()


def test_the_same_form_works_without_javascript(browser, whitepaper_url):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(whitepaper_url)
    fill_in(page, "petr.dvorak@meridian-bank.de")
    page.get_by_label("Work email").fill("not-an-email")
    page.get_by_role("button", name="Get the PDF").click()
    assert page.get_by_text("Enter a valid email address").first.is_visible()
    page.get_by_label("Work email").fill("petr.dvorak@meridian-bank.de")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Get the PDF").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    assert download_info.value.suggested_filename.endswith(".pdf")
    assert Person.objects.get().email == "petr.dvorak@meridian-bank.de"
    context.close()
