"""The editing screens open for every page type, snippet and setting, and only for editors."""

import pytest

from tests.factories import (
    AuthorFactory,
    CallToActionFactory,
    CaseStudyPageFactory,
    IndustryFactory,
    ProductFactory,
    StandardPageFactory,
    TopicFactory,
    WhitepaperPageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(home_page, whitepaper_index, case_study_index):
    return {
        "home": home_page,
        "whitepapers": whitepaper_index,
        "customers": case_study_index,
        "about": StandardPageFactory(parent=home_page),
        "paper": WhitepaperPageFactory(parent=whitepaper_index),
        "story": CaseStudyPageFactory(parent=case_study_index),
    }


@pytest.mark.parametrize(
    "model, parent",
    [
        ("standardpage", "home"),
        ("whitepaperpage", "whitepapers"),
        ("casestudypage", "customers"),
        ("standardpage", "about"),
    ],
)
def test_add_forms_open(admin_client_logged_in, tree, model, parent):
    response = admin_client_logged_in.get(f"/admin/pages/add/cms/{model}/{tree[parent].pk}/")
    assert response.status_code == 200


def test_adding_a_page_where_it_does_not_belong_is_refused(admin_client_logged_in, tree):
    # Wagtail turns the PermissionDenied into a redirect to the dashboard with an error message.
    response = admin_client_logged_in.get(f"/admin/pages/add/cms/whitepaperpage/{tree['home'].pk}/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


@pytest.mark.parametrize("name", ["home", "whitepapers", "customers", "about", "paper", "story"])
def test_edit_forms_open(admin_client_logged_in, tree, name):
    assert admin_client_logged_in.get(f"/admin/pages/{tree[name].pk}/edit/").status_code == 200


@pytest.mark.parametrize(
    "factory, url",
    [
        (IndustryFactory, "cms/industry"),
        (TopicFactory, "cms/topic"),
        (ProductFactory, "cms/product"),
        (AuthorFactory, "cms/author"),
        (CallToActionFactory, "cms/calltoaction"),
    ],
)
def test_snippet_screens_open(admin_client_logged_in, factory, url):
    snippet = factory()
    assert admin_client_logged_in.get(f"/admin/snippets/{url}/").status_code == 200
    assert admin_client_logged_in.get(f"/admin/snippets/{url}/add/").status_code == 200
    assert admin_client_logged_in.get(f"/admin/snippets/{url}/edit/{snippet.pk}/").status_code == 200


def test_call_to_action_needs_a_destination(admin_client_logged_in):
    response = admin_client_logged_in.post(
        "/admin/snippets/cms/calltoaction/add/", {"title": "Talk to us", "button_label": "Go"}
    )
    assert response.status_code == 200
    assert "Choose a page or enter a URL for the button." in response.content.decode()


def test_site_settings_screen_opens(admin_client_logged_in, home_page):
    site_id = home_page.get_site().pk
    assert admin_client_logged_in.get(f"/admin/settings/cms/sitesettings/{site_id}/").status_code == 200


def test_visitors_are_sent_to_login(client, tree):
    response = client.get(f"/admin/pages/{tree['paper'].pk}/edit/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
