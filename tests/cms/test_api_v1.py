"""The product's own versioned JSON API (django-ninja) at /api/v1/."""

import pytest

pytestmark = pytest.mark.django_db


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_site_info(client, home_page):
    data = client.get("/api/v1/site").json()
    assert data["root_page_id"] == home_page.pk
    assert data["root_url"] == "http://testserver"
    assert data["content_api"] == "http://testserver/api/v2/"


def test_site_info_without_a_site_is_a_clear_404(client, db):
    from wagtail.models import Site

    Site.objects.all().delete()
    response = client.get("/api/v1/site")
    assert response.status_code == 404
    assert "No site" in response.json()["detail"]


def test_openapi_schema_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == "1.0.0"
    assert "/api/v1/health" in schema["paths"] and "/api/v1/site" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200
