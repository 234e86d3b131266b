"""Signed webhook intake: /api/v1/intake/<provider> for LinkedIn, Facebook and Zapier-style lead forms."""

import json
import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, override_settings

from forms.intake.mapping import fields_map
from forms.intake.signing import intake_signature
from forms.models import RejectedSubmission, WebhookReceipt
from leads.models import Lead, Person

SECRETS = {"linkedin": "li-secret-123", "facebook": "fb=secret=with=equals", "zapier": "zap-secret"}
URL = "/api/v1/intake/"

GENERIC = {
    "lead_id": "zap-0001",
    "form_id": "f-77",
    "form_name": "Demo request",
    "created_time": "2026-03-01T09:30:00Z",
    "fields": {
        "email": "jane.doe@meridian-bank.de",
        "firstName": "Jane",
        "Last Name": "Doe",
        "company_name": "Meridian Bank",
        "job_title": "Head of Risk",
        "phone_number": "+49 30 1234567",
        "country": "de",
    },
    "utm": {"source": "linkedin", "utm_campaign": "q1-risk"},
}
SOCIAL = {
    "id": "1234567890",
    "form_id": "998877",
    "created_time": "2026-03-02T10:00:00+0000",
    "field_data": [
        {"name": "work_email", "values": ["max@northwind-logistics.com"]},
        {"name": "full_name", "values": ["Max  van der Berg"]},
        {"name": "company_name", "values": ["Northwind Logistics"]},
        {"name": "job_title", "values": ["CFO"]},
        {"name": "company_size", "values": ["201-500"]},
        {"name": "interests", "values": ["ai", "risk"]},
    ],
}


@pytest.fixture(autouse=True)
def intake_secrets():
    with override_settings(
        LEAD_INTAKE_SECRETS=SECRETS, LEAD_INTAKE_MAX_BODY_BYTES=64 * 1024, LEAD_INTAKE_REPLAY_WINDOW=300
    ):
        yield


def send(client, provider, body, *, secret=None, timestamp=None, content_type="application/json", headers=None):
    """POST like a provider: `body` is a dict (sent as JSON) or the exact bytes; signed unless told otherwise."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    signed = {
        "X-Signalpage-Timestamp": timestamp,
        "X-Signalpage-Signature": intake_signature(secret or SECRETS.get(provider, "x"), timestamp, raw),
    }
    return client.post(
        URL + provider, data=raw, content_type=content_type, headers=signed if headers is None else headers
    )


pytestmark = pytest.mark.django_db


# --- signing --------------------------------------------------------------------------------


def test_a_signed_generic_lead_becomes_a_lead(client):
    response = send(client, "zapier", GENERIC)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["duplicate"] is False and data["lead_id"].startswith("LID-")
    lead = Lead.objects.get()
    assert data["lead_id"] == lead.lid
    assert lead.source == "webhook" and lead.origin_type == "form" and lead.origin_id == "f-77"
    assert lead.origin_label == "zapier: Demo request"
    assert lead.payload == GENERIC  # kept exactly as received
    assert lead.received_at.isoformat().startswith("2026-03-01T09:30:00")
    assert lead.utm_source == "linkedin" and lead.utm_campaign == "q1-risk"
    assert lead.status == "processed"
    person = Person.objects.get()
    assert (person.email, person.first_name, person.last_name, person.country) == (
        "jane.doe@meridian-bank.de",
        "Jane",
        "Doe",
        "DE",
    )
    assert person.company.name == "Meridian Bank"
    receipt = WebhookReceipt.objects.get()
    assert (receipt.provider, receipt.provider_lead_id, receipt.lead_id) == ("zapier", "zap-0001", lead.pk)
    assert len(receipt.body_sha256) == 64


def test_a_facebook_linkedin_style_lead_is_mapped(client):
    response = send(client, "facebook", SOCIAL)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.payload == SOCIAL and lead.origin_id == "998877" and lead.origin_label == "facebook: 998877"
    mapped = json.loads(lead.mapped_fields)
    assert mapped["email"] == "max@northwind-logistics.com"
    assert (mapped["first_name"], mapped["last_name"]) == ("Max", "van der Berg")
    assert mapped["company"] == "Northwind Logistics" and mapped["employees"] == "201"
    assert lead.received_at.isoformat().startswith("2026-03-02T10:00:00")
    assert Person.objects.get().company.employee_band == "50-249"


def test_wrong_signature_is_refused_and_kept_for_review(client):
    response = send(client, "zapier", GENERIC, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert response.json()["field"] == "X-Signalpage-Signature"
    assert not Lead.objects.exists() and not WebhookReceipt.objects.exists()
    rejected = RejectedSubmission.objects.get()
    assert (rejected.channel, rejected.reason) == ("webhook", "bad_signature")
    assert "zap-0001" in rejected.payload_excerpt and rejected.ip_address == "127.0.0.1"


def test_the_signature_covers_the_timestamp(client):
    raw = json.dumps(GENERIC).encode()
    now = int(time.time())
    headers = {
        "X-Signalpage-Timestamp": str(now),
        "X-Signalpage-Signature": intake_signature(SECRETS["zapier"], now - 1, raw),
    }
    assert send(client, "zapier", raw, headers=headers).status_code == 401


@pytest.mark.parametrize(
    "headers, error",
    [
        ({}, "missing_timestamp"),
        ({"X-Signalpage-Timestamp": str(int(time.time()))}, "missing_signature"),
        ({"X-Signalpage-Signature": "sha256=00"}, "missing_timestamp"),
        ({"X-Signalpage-Timestamp": "yesterday", "X-Signalpage-Signature": "sha256=00"}, "bad_timestamp"),
        ({"X-Signalpage-Timestamp": "1" * 40, "X-Signalpage-Signature": "sha256=00"}, "bad_timestamp"),
        (
            {"X-Signalpage-Timestamp": str(int(time.time())), "X-Signalpage-Signature": "sha256=é\u00ff"},
            "bad_signature",
        ),
    ],
)
def test_missing_or_malformed_headers_are_refused(client, headers, error):
    response = send(client, "zapier", GENERIC, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == error
    assert not Lead.objects.exists()
    assert RejectedSubmission.objects.get().reason == "bad_signature"


@pytest.mark.parametrize("age", [301, -301, 86400])
def test_a_stale_or_future_timestamp_is_a_replay(client, age):
    response = send(client, "zapier", GENERIC, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    assert RejectedSubmission.objects.get().reason == "stale_timestamp"
    assert not Lead.objects.exists()


def test_inside_the_window_is_accepted(client):
    assert send(client, "zapier", GENERIC, timestamp=int(time.time()) - 240).status_code == 201


def test_unknown_provider_is_404(client):
    response = send(client, "myspace", GENERIC, secret="whatever")
    assert response.status_code == 404 and response.json()["error"] == "unknown_provider"
    assert not Lead.objects.exists()


def test_provider_name_is_case_insensitive(client):
    assert send(client, "LinkedIn", GENERIC, secret=SECRETS["linkedin"]).status_code == 201
    assert WebhookReceipt.objects.get().provider == "linkedin"


def test_no_secrets_configured_means_every_provider_is_unknown(client):
    with override_settings(LEAD_INTAKE_SECRETS={}):
        assert send(client, "zapier", GENERIC).status_code == 404


def test_a_browser_csrf_check_does_not_apply(db):
    client = Client(enforce_csrf_checks=True)
    assert send(client, "zapier", GENERIC).status_code == 201


# --- idempotency ----------------------------------------------------------------------------


def test_the_same_provider_lead_twice_makes_one_lead(client):
    first = send(client, "zapier", GENERIC)
    second = send(client, "zapier", GENERIC)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == {"lead_id": first.json()["lead_id"], "duplicate": True}
    assert Lead.objects.count() == 1
    receipt = WebhookReceipt.objects.get()
    assert receipt.duplicates == 1 and receipt.last_duplicate_at is not None


def test_a_changed_body_with_the_same_lead_id_is_still_a_duplicate(client):
    first = send(client, "zapier", GENERIC)
    changed = {**GENERIC, "fields": {"email": "someone.else@example.org"}}
    second = send(client, "zapier", changed)
    assert second.status_code == 200 and second.json()["lead_id"] == first.json()["lead_id"]
    assert Lead.objects.count() == 1


def test_lead_ids_are_per_provider(client):
    assert send(client, "zapier", GENERIC).status_code == 201
    assert send(client, "linkedin", GENERIC).status_code == 201
    assert Lead.objects.count() == 2


def test_numeric_and_text_lead_ids_are_the_same_id(client):
    assert send(client, "facebook", {**SOCIAL, "id": 1234567890}).status_code == 201
    assert send(client, "facebook", SOCIAL).json()["duplicate"] is True


def test_a_duplicate_of_a_deleted_lead_still_answers(client):
    send(client, "zapier", GENERIC)
    Lead.objects.all().delete()
    response = send(client, "zapier", GENERIC)
    assert response.status_code == 200 and response.json() == {"lead_id": None, "duplicate": True}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs real concurrent transactions (PostgreSQL)")
def test_simultaneous_copies_of_one_lead_make_one_lead():
    copies = 6
    barrier, results, errors = threading.Barrier(copies), [], []
    raw = json.dumps(GENERIC).encode()

    def post():
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = send(client, "zapier", raw)
            results.append((response.status_code, response.json()))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(status for status, _ in results) == [200] * (copies - 1) + [201]
    assert len({data["lead_id"] for _, data in results}) == 1
    assert Lead.objects.count() == 1 and WebhookReceipt.objects.count() == 1
    assert WebhookReceipt.objects.get().duplicates == copies - 1


# --- bad and hostile input ------------------------------------------------------------------


def test_malformed_json_is_400_naming_the_problem(client):
    response = send(client, "zapier", b'{"lead_id": "x", "fields": {')
    assert response.status_code == 400
    data = response.json()
    assert data["error"] == "invalid_json" and "line 1 column" in data["detail"]
    assert RejectedSubmission.objects.get().reason == "bad_payload"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"fields": {"email": "a@b.de"}}, "lead_id"),
        ({"lead_id": "", "fields": {}}, "lead_id"),
        ({"lead_id": {"nested": 1}, "fields": {}}, "lead_id"),
        ({"lead_id": ["x"], "fields": {}}, "lead_id"),
        ({"lead_id": True, "fields": {}}, "lead_id"),
        ({"lead_id": "x" * 300, "fields": {}}, "lead_id"),
        ({"lead_id": "bad\u0000id", "fields": {}}, "lead_id"),
        ({"lead_id": "\ud800", "fields": {"email": "a@b.de"}}, "lead_id"),  # a lone surrogate: no database stores it
        ({"id": "lead-\udfff", "field_data": []}, "id"),
        ({"lead_id": "1", "form_id": "form\ud83d", "fields": {}}, "form_id"),
        ({"id": "1", "field_data": {"email": "a@b.de"}}, "field_data"),
        ({"id": "1", "field_data": [{"values": ["a"]}]}, "field_data[0]"),
        ({"id": "1", "field_data": ["email"]}, "field_data[0]"),
        ({"lead_id": "1", "fields": ["email", "a@b.de"]}, "fields"),
        ({"lead_id": "1", "fields": {}, "utm": "spring"}, "utm"),
        ({"lead_id": "1", "form_id": {"a": 1}, "fields": {}}, "form_id"),
    ],
)
def test_a_body_without_a_usable_lead_id_or_fields_is_422_naming_the_field(client, body, field):
    response = send(client, "zapier", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert field.split("[")[0] in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"[1, 2, 3]", 422),
        (b'"just a string"', 422),
        (b"null", 422),
        (b"42", 422),
        (b"", 415),  # Django's test client sends no Content-Type with an empty body
        (b"   ", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b'{"lead_id": NaN}', 400),
        (b'{"lead_id": "1", "fields": {"email": Infinity}}', 400),
        (b"[" * 30000 + b"]" * 30000, 400),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, 400),
        (json.dumps({"lead_id": "deep", "fields": {}, "x": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}).encode(), 422),
        (b'{"lead_id": "1", "fields": {"email": "a@b.de"}', 400),
        (b"\x00" * 100, 400),
    ],
)
def test_hostile_bodies_never_make_a_500(client, raw, status):
    response = send(client, "zapier", raw)
    assert response.status_code == status, response.content
    assert response.json()["error"]
    assert not Lead.objects.exists()


def test_nul_characters_and_huge_strings_inside_a_valid_lead_are_stored_safely(client):
    body = {
        "lead_id": "nul-1",
        "form_name": "Form\u0000name",
        "fields": {
            "email": "nul\u0000@example.org",
            "first_name": "A\u0000" * 10,
            "company": "C" * 50000,
            "nested": {"deep": [{"x": [1, 2, {"y": None}]}]},
            "Job Title": ["CTO", {"x": 1}],
            "\u0000": "\u0000",
        },
    }
    response = send(client, "zapier", body)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert lead.payload == body
    assert "\x00" not in lead.origin_label


def test_a_body_over_the_limit_is_413(client):
    body = {"lead_id": "big", "fields": {"notes": "x" * (70 * 1024)}}
    response = send(client, "zapier", body)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert RejectedSubmission.objects.get().reason == "too_large"
    assert not Lead.objects.exists()


def test_a_declared_length_over_the_limit_is_refused_before_reading(client):
    raw = json.dumps(GENERIC).encode()
    response = client.generic("POST", URL + "zapier", raw, content_type="application/json", CONTENT_LENGTH=str(10**9))
    assert response.status_code == 413


def test_a_short_declared_length_cuts_the_body_and_the_signature_fails(client):
    raw = json.dumps(GENERIC).encode()
    timestamp = str(int(time.time()))
    response = client.generic(
        "POST",
        URL + "zapier",
        raw,
        content_type="application/json",
        CONTENT_LENGTH="10",
        headers={
            "X-Signalpage-Timestamp": timestamp,
            "X-Signalpage-Signature": intake_signature(SECRETS["zapier"], timestamp, raw),
        },
    )
    assert response.status_code == 401
    assert not Lead.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_wrong_content_type_is_415(client, content_type):
    response = send(client, "zapier", GENERIC, content_type=content_type)
    assert response.status_code == 415 and response.json()["field"] == "Content-Type"
    assert not Lead.objects.exists()


def test_json_with_a_charset_is_fine(client):
    assert send(client, "zapier", GENERIC, content_type="application/json; charset=utf-8").status_code == 201


def test_a_flat_body_reads_answers_from_the_top_level(client):
    response = send(client, "zapier", {"lead_id": "flat-1", "email": "kim@example.org", "first_name": "Kim"})
    assert response.status_code == 201
    assert json.loads(Lead.objects.get().mapped_fields)["first_name"] == "Kim"


@pytest.mark.parametrize(
    "created, expected_now",
    [
        ("not a date", True),
        ("2999-01-01T00:00:00Z", True),
        (1767225600, False),
        ("1767225600", False),
        (1767225600000, False),
        ({"x": 1}, True),
        (-5, True),
        ("1999-12-31T00:00:00", True),
    ],
)
def test_created_time_is_used_when_valid_else_now(client, created, expected_now):
    from django.utils import timezone

    send(client, "zapier", {**GENERIC, "created_time": created})
    received_at = Lead.objects.get().received_at
    assert (abs((timezone.now() - received_at).total_seconds()) < 60) == expected_now


# --- mapping --------------------------------------------------------------------------------


def test_field_names_are_mapped_to_ours():
    mapped = fields_map(
        {
            "First Name": "Ann",
            "LASTNAME": "Lee",
            "Work Email": "ann@corp.example",
            "companyName": "Corp",
            "Job-Title": "CTO",
            "Phone Number": "+44 20 7946 0000",
            "country_code": "gb",
            "Consent": "Yes",
            "employee_count": "10,001+",
            "favourite colour": "blue",
        },
        {"utm_source": "fb"},
    )
    assert mapped == {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@corp.example",
        "company": "Corp",
        "job_title": "CTO",
        "phone": "+44 20 7946 0000",
        "country": "gb",
        "consent": "granted",
        "employees": "10,001",
        "utm_source": "fb",
    }


def test_email_beats_a_later_work_email_and_names_beat_full_name():
    mapped = fields_map(
        {"email": "a@x.example", "work_email": "b@x.example", "full_name": "Zed Q", "first_name": "Ann"}
    )
    assert mapped["email"] == "a@x.example" and mapped["first_name"] == "Ann" and "last_name" not in mapped


# --- settings and schema --------------------------------------------------------------------


def test_lead_intake_secrets_are_parsed_from_the_environment(monkeypatch):
    from cms.settings.env import env_provider_secrets

    monkeypatch.setenv("LEAD_INTAKE_SECRETS", " LinkedIn=abc , facebook=ZGVm==,")
    assert env_provider_secrets("LEAD_INTAKE_SECRETS") == {"linkedin": "abc", "facebook": "ZGVm=="}
    monkeypatch.delenv("LEAD_INTAKE_SECRETS")
    assert env_provider_secrets("LEAD_INTAKE_SECRETS") == {}


SECRET = "Zq7s3cretValue"  # a value no message could hold by chance


@pytest.mark.parametrize(
    "raw", [SECRET, "linkedin=", f"={SECRET}", f"bad name={SECRET}", f"a={SECRET},a=other", "x" * 50 + f"={SECRET}"]
)
def test_malformed_lead_intake_secrets_stop_start_up_naming_the_variable(monkeypatch, raw):
    """Start-up stops naming the variable, and never repeats a secret into the logs."""
    from cms.settings.env import env_provider_secrets

    monkeypatch.setenv("LEAD_INTAKE_SECRETS", raw)
    with pytest.raises(ImproperlyConfigured, match="^LEAD_INTAKE_SECRETS") as failure:
        env_provider_secrets("LEAD_INTAKE_SECRETS")
    assert SECRET not in str(failure.value) and "other" not in str(failure.value)


def test_openapi_schema_documents_the_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/intake/{provider}"]["post"]
    assert "X-Signalpage-Signature" in operation["description"] and "HMAC-SHA256" in operation["description"]
    assert {"200", "201", "400", "401", "404", "413", "415", "422"} <= set(operation["responses"])
    variants = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {"lead_id", "fields"} <= set(variants[0]["properties"]) and "field_data" in variants[1]["properties"]
    assert "$ref" not in json.dumps(variants)
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Signalpage-Timestamp", "X-Signalpage-Signature"}
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert "IntakeOut" in json.dumps(created)
