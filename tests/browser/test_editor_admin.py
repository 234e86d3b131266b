"""An editor signs in to the Wagtail admin in a real browser, writes a whitepaper and publishes it."""

import pytest

from cms.models import WhitepaperPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_editor_publishes_a_whitepaper_from_the_admin(browser, live_server, whitepaper_index, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "correct-horse-battery")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(f"{live_server.url}/admin/pages/add/cms/whitepaperpage/{whitepaper_index.pk}/")
    page.locator("#id_title").fill("Pipeline hygiene in practice")
    page.locator("#id_summary").fill("How revenue teams keep their CRM clean.")
    page.locator("footer .w-dropdown__toggle").first.click()
    page.locator("button[name=action-publish]").click()
    page.wait_for_url(f"{live_server.url}/admin/pages/{whitepaper_index.pk}/")
    page.close()

    published = WhitepaperPage.objects.get(title="Pipeline hygiene in practice")
    assert published.live and published.slug == "pipeline-hygiene-in-practice"
