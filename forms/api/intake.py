"""Signed webhook intake for third-party lead-gen forms (social ad lead forms).

Thin: reads the raw request (the signature covers the exact bytes, so ninja does not parse the body),
hands it to forms.intake and renders the answer. How to connect a provider: docs/intake.md.
"""

from ipaddress import ip_address as parse_ip
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from ninja import Field, Router, Schema
from ninja.responses import Status

from forms import intake
from leads.request_facts import client_ip

router = Router(tags=["intake"])


class IntakeOut(Schema):
    lead_id: str | None = Field(
        ..., description="Our lead id (LID-...); the same for every copy of one provider lead", examples=["LID-42"]
    )
    duplicate: bool = Field(..., description="True when this provider lead id was received before")


class IntakeErrorOut(Schema):
    error: str = Field(..., description="Machine-readable code, e.g. bad_signature, stale_timestamp, invalid_json")
    detail: str = Field(..., description="What is wrong, in a sentence")
    field: str | None = Field(None, description="The header or body field at fault, when there is one")


class GenericLeadIn(Schema):
    """Generic shape (Zapier, Make, your own code)."""

    lead_id: str = Field(..., description="The provider's id of this lead: a second call with it is a duplicate")
    form_id: str | None = Field(None, description="The provider's id of the form (kept as the lead's origin)")
    form_name: str | None = Field(None, description="Shown with the provider as the lead's origin")
    created_time: str | int | None = Field(
        None, description="When the lead was submitted: ISO 8601 or Unix seconds; missing or invalid means now"
    )
    fields: dict[str, Any] = Field(
        ...,
        description="The answers. email, first_name/firstName/'First name', last_name, full_name (split), "
        "company/company_name, job_title, phone/phone_number, country, industry, employees/company_size, seniority, "
        "consent and work_email are understood; everything is kept on the lead as received",
        examples=[{"email": "jane@example.com", "first_name": "Jane", "company_name": "Example Bank"}],
    )
    utm: dict[str, str] | None = Field(None, description="utm_source, utm_medium, ... (or source, medium, ...)")


class SocialLeadField(Schema):
    name: str
    values: list[str]


class SocialLeadIn(Schema):
    """Facebook Lead Ads / LinkedIn Lead Gen shape."""

    id: str = Field(..., description="The provider's lead id")
    form_id: str | None = None
    form_name: str | None = None
    created_time: str | int | None = None
    field_data: list[SocialLeadField] = Field(..., examples=[[{"name": "email", "values": ["jane@example.com"]}]])


def _inline(schema: dict) -> dict:
    """A pydantic JSON schema with its $defs inlined, to sit inside the operation's request body."""
    defs = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(dict(defs[node["$ref"].rsplit("/", 1)[-1]]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [_inline(GenericLeadIn.model_json_schema()), _inline(SocialLeadIn.model_json_schema())]}
        }
    },
}

DESCRIPTION = f"""Receive one lead from a third-party lead-gen form (LinkedIn Lead Gen, Facebook Lead Ads, Zapier).

**Signing.** Every call carries two headers, computed with the provider's secret (`LEAD_INTAKE_SECRETS`):

- `{intake.TIMESTAMP_HEADER}`: the current Unix time in seconds
- `{intake.SIGNATURE_HEADER}`: `sha256=` + hex HMAC-SHA256(secret, `"{{timestamp}}.{{raw body}}"`)

A call whose timestamp is more than 5 minutes from our clock (a replay), or whose signature is missing or
wrong, is refused with 401 and kept for review, never as a lead.

**Idempotent.** The provider's lead id (`lead_id`, or `id`) is taken once per provider: the first call answers
201, every later call with the same id answers 200 with the same `lead_id` and `"duplicate": true`.

**Limits.** Body at most 64 KB of UTF-8 JSON (413 above), `Content-Type: application/json` (415 otherwise).
Malformed JSON is 400 and a missing lead id 422, each with a machine-readable `error` and the `field` at fault.
"""


def _client_ip(request) -> str | None:
    # The address every app reads, kept only when it parses: it is stored in an address field.
    try:
        return str(parse_ip(client_ip(request) or ""))
    except ValueError:
        return None


def _refuse(rejected: intake.IntakeRejected, *, provider: str, body: bytes, ip: str | None):
    intake.rejection_record(rejected, provider=provider, body=body, ip_address=ip)
    return Status(rejected.status, rejected.as_dict())


def _raw_body(request, limit: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = intake.IntakeRejected(
        413, "too_large", f"The body is larger than {limit} bytes.", reason=intake.Reason.TOO_LARGE
    )
    if declared > limit:
        raise too_large
    try:
        body = request.body
    except (RequestDataTooBig, RawPostDataException):
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


@router.post(
    "/{provider}",
    response={
        200: IntakeOut,
        201: IntakeOut,
        400: IntakeErrorOut,
        401: IntakeErrorOut,
        404: IntakeErrorOut,
        413: IntakeErrorOut,
        415: IntakeErrorOut,
        422: IntakeErrorOut,
    },
    summary="Receive a signed lead from a lead-gen provider",
    description=DESCRIPTION,
    openapi_extra={
        "requestBody": REQUEST_BODY,
        "parameters": [
            {
                "name": intake.TIMESTAMP_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "Unix time in seconds when the call was signed",
            },
            {
                "name": intake.SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": 'sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>',
            },
        ],
    },
)
def intake_lead(request, provider: str):
    provider = provider.lower()
    secret = intake.intake_secret(provider)
    if secret is None:  # not logged: anybody can guess URLs, and no provider is harmed
        return Status(
            404,
            {
                "error": "unknown_provider",
                "detail": f"No provider {provider[:40]!r} is set up for intake (LEAD_INTAKE_SECRETS).",
                "field": "provider",
            },
        )
    ip = _client_ip(request)
    body = b""
    try:
        body = _raw_body(request, settings.LEAD_INTAKE_MAX_BODY_BYTES)
        intake.signature_verify(
            secret,
            timestamp=request.headers.get(intake.TIMESTAMP_HEADER),
            signature=request.headers.get(intake.SIGNATURE_HEADER),
            body=body,
        )
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise intake.IntakeRejected(
                415,
                "unsupported_media_type",
                f"Send the body as application/json, not {content_type[:80] or 'without a Content-Type'}.",
                field="Content-Type",
            )
        payload = intake.body_parse(body)
        result = intake.intake_receive(provider, payload, body=body, ip_address=ip)
    except intake.IntakeRejected as rejected:
        return _refuse(rejected, provider=provider, body=body, ip=ip)
    return Status(result.status, {"lead_id": result.lead_id, "duplicate": result.duplicate})
