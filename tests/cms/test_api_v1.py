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


# --- Errors in the shape the schema documents (ErrorsOut), never ninja's default {"detail": ...} ----------
@pytest.mark.parametrize(
    "url, status, name",
    [
        ("/api/v1/forms/999999", 404, "__all__"),
        ("/api/v1/events/999999", 404, "__all__"),
        ("/api/v1/forms/abc", 422, "form_id"),
        ("/api/v1/forms/0", 422, "form_id"),
        ("/api/v1/forms/99999999999999999999999", 422, "form_id"),  # SQLite could not bind it: a 500
        ("/api/v1/events/9223372036854775808", 422, "event_id"),
        ("/api/v1/events?limit=1000", 422, "limit"),
        ("/api/v1/events?when=tomorrow", 422, "when"),
    ],
)
def test_not_found_and_invalid_parameters_answer_in_the_documented_shape(client, home_page, url, status, name):
    response = client.get(url)
    assert response.status_code == status
    assert list(response.json()) == ["errors"] and name in response.json()["errors"]


def test_an_invalid_body_names_its_field_and_a_body_that_is_not_json_is_400(client):
    url = "/api/v1/personalization/clicks"
    response = client.post(url, {"variant_key": 5}, content_type="application/json")
    assert (response.status_code, list(response.json()["errors"])) == (422, ["variant_key"])
    response = client.post(url, "{", content_type="application/json")
    assert (response.status_code, list(response.json())) == (400, ["errors"])


def test_the_schema_documents_what_reading_parameters_can_answer(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/events", "/api/v1/events/{event_id}", "/api/v1/forms/{form_id}"):
        responses = paths[path]["get"]["responses"]
        assert {"400", "422"} <= set(responses), path
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorsOut")
    assert paths["/api/v1/forms/{form_id}"]["get"]["parameters"][0]["schema"]["maximum"] == 2**63 - 1
