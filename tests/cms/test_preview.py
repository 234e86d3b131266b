"""Draft preview for a headless front end: signed, expiring tokens (wagtail-headless-preview)."""

import time

import pytest
from django.core import signing

from tests.factories import WhitepaperPageFactory

pytestmark = pytest.mark.django_db


def make_preview(page, *, age_seconds=0, monkeypatch=None):
    if age_seconds:
        real_time = time.time
        monkeypatch.setattr(signing.time, "time", lambda: real_time() - age_seconds)
    preview = page.create_page_preview()
    if age_seconds:
        monkeypatch.undo()
    return preview


@pytest.fixture
def draft(whitepaper_index):
    page = WhitepaperPageFactory(parent=whitepaper_index, title="Published title")
    page.title = "Unpublished draft title"
    page.save_revision()
    return page


def test_valid_token_returns_the_draft(client, draft):
    preview = make_preview(draft)
    response = client.get(f"/api/v2/preview/?content_type=cms.whitepaperpage&token={preview.token}")
    assert response.status_code == 200
    assert response.json()["title"] == "Unpublished draft title"
    assert response.json()["summary"] == draft.summary
    # The public API still shows the published version.
    assert client.get(f"/api/v2/pages/{draft.pk}/").json()["title"] == "Published title"


def test_expired_token_is_refused(client, draft, settings, monkeypatch):
    settings.HEADLESS_PREVIEW_TOKEN_MAX_AGE = 3600
    preview = make_preview(draft, age_seconds=7200, monkeypatch=monkeypatch)
    response = client.get(f"/api/v2/preview/?content_type=cms.whitepaperpage&token={preview.token}")
    assert response.status_code == 403
    assert "expired" in response.json()["message"]


def test_tampered_token_is_refused(client, draft):
    preview = make_preview(draft)
    tampered = preview.token[:-2] + ("AA" if not preview.token.endswith("AA") else "BB")
    response = client.get(f"/api/v2/preview/?content_type=cms.whitepaperpage&token={tampered}")
    assert response.status_code == 403
    assert response.json()["message"] == "preview token is invalid"


def test_token_for_another_page_type_is_not_found(client, draft):
    preview = make_preview(draft)
    response = client.get(f"/api/v2/preview/?content_type=cms.casestudypage&token={preview.token}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query, status",
    [
        ("", 400),
        ("content_type=cms.whitepaperpage", 400),
        ("content_type=nonsense&token=x", 400),
        ("content_type=auth.user&token=x", 400),
        ("content_type=cms.whitepaperpage&token=%00%ff", 400),  # refused at the edge (core.edge)
        ("content_type=cms.whitepaperpage&token=forged", 403),
    ],
)
def test_malformed_requests(client, draft, query, status):
    assert client.get(f"/api/v2/preview/?{query}").status_code == status


def test_editor_preview_modes(admin_client_logged_in, draft, settings):
    settings.HEADLESS_PREVIEW_URL = ""
    assert [mode for mode, _ in draft.preview_modes] == [""]
    settings.HEADLESS_PREVIEW_URL = "https://front.example.com/api/preview"
    settings.WAGTAIL_HEADLESS_PREVIEW = {"CLIENT_URLS": {"default": settings.HEADLESS_PREVIEW_URL}}
    assert [mode for mode, _ in draft.preview_modes] == ["", "headless"]
    response = admin_client_logged_in.get(f"/admin/pages/{draft.pk}/view_draft/")
    assert response.status_code == 200
    assert b"Unpublished draft title" in response.content
