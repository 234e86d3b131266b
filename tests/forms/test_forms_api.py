"""The headless forms API: a form's definition for a visitor, and submitting it as JSON."""

import json

import pytest
from django.test import Client

from forms.models import ConsentRecord, RejectedSubmission
from leads.models import Lead, Person
from tests.forms.conftest import EU_TEXT, US_TEXT

ANSWERS = {
    "work_email": "a.kowalski@atlashealth.co.uk",
    "first_name": "Anna",
    "last_name": "Kowalski",
    "company": "Atlas Health",
    "country": "GB",
}


def definition(client, form, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    response = client.get(f"/api/v1/forms/{form.pk}?{query}")
    assert response.status_code == 200, response.content
    # One visitor's questions, token and link: never kept by a shared cache or reused by the browser.
    assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}
    return response.json()


def post(client, form, body, **extra):
    return client.post(
        f"/api/v1/forms/{form.pk}/submissions",
        json.dumps(body) if isinstance(body, dict) else body,
        content_type="application/json",
        **extra,
    )


def body_for(spec, *, answers=None, **extra):
    return {
        "token": spec["token"],
        "consent_policy": (spec["consent"] or {}).get("policy", ""),
        "visitor_id": spec["visitor_id"],
        "answers": ANSWERS if answers is None else answers,
        **extra,
    }


def test_definition_describes_fields_consent_and_spam_fields(client, gate_form, consent_policies):
    spec = definition(client, gate_form, country="DE")
    names = [field["name"] for field in spec["fields"]]
    assert names == ["work_email", "first_name", "last_name", "company", "country"]  # progressive held back
    email = spec["fields"][0]
    assert (email["type"], email["required"], email["maps_to"], email["max_length"]) == ("email", True, "email", 254)
    country = spec["fields"][4]
    assert {"value": "DE", "label": "Germany"} in country["choices"]
    assert spec["consent"] == {
        "field": "marketing_consent",
        "show_checkbox": True,
        "opt_in_required": True,
        "text": EU_TEXT,
        "version": 1,
        "policy": "DE:1",
    }
    assert spec["honeypot"] == "contact_website" and spec["token"] and spec["visitor_id"].startswith("v_")
    assert spec["skipped"] == [] and spec["gate"] is None

    us = definition(client, gate_form, country="US")["consent"]
    assert (us["show_checkbox"], us["text"]) == (False, US_TEXT)


def test_submit_captures_records_consent_and_returns_the_download_link(
    client, gate_form, whitepaper, consent_policies, settings
):
    spec = definition(client, gate_form, country="GB", page_id=whitepaper.pk)
    assert spec["gate"] == {"open": False, "download_url": None}
    response = post(
        client,
        gate_form,
        body_for(
            spec,
            answers={**ANSWERS, "marketing_consent": True},
            page_id=whitepaper.pk,
            context={
                "utm_source": "newsletter",
                "utm_campaign": "nov",
                "referrer": "https://news.example/",
                "landing_page": "https://www.example.com/whitepapers/revops-benchmark/",
            },
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    lead = Lead.objects.get()
    assert data["lead_id"] == lead.lid and data["visitor_id"] == spec["visitor_id"]
    assert data["download_url"].startswith("http://testserver/downloads/")
    assert (lead.utm_source, lead.utm_campaign, lead.referrer) == ("newsletter", "nov", "https://news.example/")
    assert lead.origin_id == str(whitepaper.pk) and lead.visitor_id == spec["visitor_id"]
    assert ConsentRecord.objects.get().granted is True and ConsentRecord.objects.get().channel == "api"
    assert Client().get(data["download_url"]).status_code == 200

    # The same visitor, next time: known answers skipped, the gate open with a personal link.
    again = definition(client, gate_form, visitor_id=spec["visitor_id"], page_id=whitepaper.pk)
    assert again["greeting"] == "Anna" and "work_email" in again["skipped"] and again["consent"] is None
    assert [field["name"] for field in again["fields"]] == ["job_title", "phone"]
    assert again["gate"]["open"] is True and again["gate"]["download_url"].startswith("http://testserver/downloads/")


def test_validation_errors_are_field_to_messages(client, gate_form, consent_policies):
    spec = definition(client, gate_form)
    response = post(client, gate_form, body_for(spec, answers={"work_email": "not-an-email", "country": "Narnia"}))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["work_email"] == ["Enter a valid email address, e.g. jane@company.com."]
    assert errors["first_name"] == ["This field is required."]
    assert "country" in errors and not Lead.objects.exists()


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ("not json", "__all__", "Invalid JSON"),
        ("[]", "token", "Field required"),
        (json.dumps({"answers": {}}), "token", "Field required"),
        (json.dumps({"token": "t", "answers": "x"}), "answers", "Input should be an object"),
        (json.dumps({"token": 5, "answers": {}, "page_id": "abc"}), "page_id", "Input should be a valid integer"),
    ],
)
def test_malformed_bodies_get_422_naming_the_problem(client, gate_form, raw, field, message):
    response = post(client, gate_form, raw)
    assert response.status_code == 422
    errors = response.json()["errors"]
    # The field itself is named with what is wrong (an "__all__" would name nothing for a field's problem).
    assert any(message in said for said in errors.get(field, [])), errors
    assert field == "__all__" or "__all__" not in errors, errors


def test_spam_rules_apply_to_the_api(client, gate_form, consent_policies, settings):
    spec = definition(client, gate_form)
    assert post(client, gate_form, body_for(spec, token="forged")).status_code == 400
    honeypot = post(client, gate_form, body_for(spec, answers={**ANSWERS, "contact_website": "x"}))
    assert honeypot.status_code == 201 and honeypot.json()["lead_id"] is None
    settings.FORMS_RATE_LIMIT_EMAIL = (2, 3600)  # the forged attempt above counted too
    assert post(client, gate_form, body_for(spec)).status_code == 201
    limited = post(client, gate_form, body_for(spec, visitor_id=""))
    assert limited.status_code == 429 and limited.json()["errors"]["__all__"]
    settings.FORMS_MAX_BODY_BYTES = 500
    assert post(client, gate_form, body_for(spec, answers={**ANSWERS, "x": "y" * 1000})).status_code == 413
    assert sorted(RejectedSubmission.objects.values_list("reason", flat=True)) == [
        "bad_token",
        "honeypot",
        "rate_limit_email",
        "too_large",
    ]
    assert Lead.objects.count() == 1


def test_hostile_answers_never_500(client, gate_form, consent_policies):
    spec = definition(client, gate_form)
    for answers in (
        {"work_email": {"$ne": 1}},
        {"work_email": None, "country": [["DE"]]},
        {**ANSWERS, "first_name": "\x00" * 10},
        {str(n): n for n in range(200)},
    ):
        assert post(client, gate_form, body_for(spec, answers=answers)).status_code in (201, 422)


def test_unknown_or_unpublished_forms_are_404(client, gate_form):
    assert client.get("/api/v1/forms/999999").status_code == 404
    gate_form.unpublish()
    assert client.get(f"/api/v1/forms/{gate_form.pk}").status_code == 404


def test_openapi_documents_both_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/forms/{form_id}" in schema["paths"]
    submit = schema["paths"]["/api/v1/forms/{form_id}/submissions"]["post"]
    assert "answers" in submit["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"201", "422", "429"} <= set(submit["responses"])


@pytest.mark.django_db
def test_person_is_scored(client, gate_form, consent_policies):
    spec = definition(client, gate_form)
    post(client, gate_form, body_for(spec))
    assert Person.objects.get().scored_at is not None
