"""The CRM feedback webhook, POST /api/v1/crm/feedback: what became of the CRM's opportunities.

Thin: reads the raw request (the signature covers the exact bytes, so ninja does not parse the body),
hands it to leads.crm_feedback and renders the answer. How to connect a CRM: docs/crm-feedback.md.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from ninja import Field, Router, Schema
from ninja.responses import Status

from core.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem
from leads import crm_feedback
from leads.crm_feedback import FeedbackRefused
from leads.request_facts import client_ip

logger = logging.getLogger(__name__)

router = Router(tags=["crm"])


class FeedbackOut(Schema):
    event_id: str = Field(..., description="The event id, as sent")
    opportunity_id: str = Field(..., description="The CRM's opportunity id")
    status: str = Field(..., description="The deal's status after this event: open, won or lost")
    stale: bool = Field(..., description="True when the deal already held a newer change: nothing changed")
    duplicate: bool = Field(..., description="True when this event id was received before: nothing changed")
    stage_changes: list[dict[str, str]] = Field(
        ...,
        description="The people this event moved: person (PID-42), from and to (stages)",
        examples=[[{"person": "PID-42", "from": "sql", "to": "opportunity"}]],
    )
    warnings: list[str] = Field(..., description="What was taken differently from what was sent")


class FeedbackErrorOut(Schema):
    error: str = Field(..., description="Machine-readable code, e.g. bad_signature, invalid_field, unknown_person")
    detail: str = Field(..., description="What is wrong, in a sentence")
    field: str | None = Field(None, description="The header or body field at fault, when there is one")


class PersonRefIn(Schema):
    email: str | None = Field(None, description="Their email address")
    pid: str | int | None = Field(None, description="Our person id (PID-42 or 42), as pushed to the CRM")


class CompanyRefIn(Schema):
    cid: str | int | None = Field(None, description="Our company id (CID-7 or 7)")
    domain: str | None = Field(None, description="A web or email domain of the company")


class FeedbackIn(Schema):
    event_id: str | int | None = Field(
        None, description=f"The CRM's id of this change (or the {crm_feedback.EVENT_ID_HEADER} header)"
    )
    opportunity_id: str | int = Field(..., description="The CRM's opportunity id", examples=["006Qy000001AbCd"])
    stage: str = Field(..., description="opportunity, customer (won) or lost")
    amount: str | float | None = Field(None, description="The opportunity's amount, at least 0", examples=["50000.00"])
    currency: str | None = Field(None, description="ISO 4217; needed with an amount above 0", examples=["EUR"])
    close_date: str | None = Field(None, description="Expected or actual close date, 2026-12-31; null clears it")
    changed_at: str | int = Field(..., description="The CRM's time of this change, ISO 8601 or Unix seconds")
    opened_at: str | int | None = Field(None, description="When the opportunity was created in the CRM")
    person: PersonRefIn | None = None
    company: CompanyRefIn | None = None


DESCRIPTION = f"""Receive one change of one CRM opportunity (see docs/crm-feedback.md).

**Signing.** Every call carries two headers, computed with `CRM_FEEDBACK_SECRET`:

- `{TIMESTAMP_HEADER}`: the current Unix time in seconds
- `{SIGNATURE_HEADER}`: `sha256=` + hex HMAC-SHA256(secret, `"{{timestamp}}.{{raw body}}"`)

**Idempotent.** An event id (`event_id` or the `{crm_feedback.EVENT_ID_HEADER}` header) is taken once: a
replay answers 200 with `"duplicate": true`. **Newest wins.** A change older (`changed_at`) than the one the
deal holds answers 200 with `"stale": true` and changes nothing.

Refusals name the field: 400 unreadable body, 401 signature, 404 webhook off, 413 too large, 415 not JSON,
422 a field that cannot be taken (`invalid_field`, `missing_field`, `unknown_person`, `unknown_company`).
"""


def _refuse(refused: FeedbackRefused, request):
    logger.warning(
        "CRM feedback refused from %s: %s %s (%s)",
        client_ip(request) or "?",
        refused.status,
        refused.error,
        refused.field or "-",
    )
    return Status(refused.status, refused.as_dict())


def _raw_body(request, limit: int) -> bytes:
    too_large = FeedbackRefused(413, "too_large", f"The body is larger than {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    try:
        body = request.body
    except (RequestDataTooBig, RawPostDataException):
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


def _signature_check(request, secret: str, body: bytes) -> None:
    problem = signature_problem(
        secret,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        body=body,
        window=settings.CRM_FEEDBACK_REPLAY_WINDOW,
        whose="CRM_FEEDBACK_SECRET",
    )
    if problem is not None:
        raise FeedbackRefused(401, problem.error, problem.detail, field=problem.header)


ERRORS = dict.fromkeys((400, 401, 404, 413, 415, 422), FeedbackErrorOut)


@router.post(
    "/feedback",
    response={200: FeedbackOut, **ERRORS},
    summary="Receive a signed change of a CRM opportunity",
    description=DESCRIPTION,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": FeedbackIn.model_json_schema()}}},
        "parameters": [
            {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": crm_feedback.EVENT_ID_HEADER, "in": "header", "required": False, "schema": {"type": "string"}},
        ],
    },
)
def crm_feedback_receive(request):
    secret = (settings.CRM_FEEDBACK_SECRET or "").strip()
    if not secret:  # off: nothing to sign with, so nothing is accepted
        return Status(404, {"error": "not_configured", "detail": "CRM feedback is not set up (CRM_FEEDBACK_SECRET)."})
    try:
        body = _raw_body(request, settings.CRM_FEEDBACK_MAX_BODY_BYTES)
        _signature_check(request, secret, body)
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise FeedbackRefused(
                415,
                "unsupported_media_type",
                f"Send the body as application/json, not {content_type[:80] or 'without a Content-Type'}.",
                field="Content-Type",
            )
        payload = crm_feedback.body_parse(body)
        event = crm_feedback.feedback_read(payload, event_id_header=request.headers.get(crm_feedback.EVENT_ID_HEADER))
        result = crm_feedback.feedback_receive(event, body=body.decode("utf-8-sig"))
    except FeedbackRefused as refused:
        return _refuse(refused, request)
    return Status(200, result.as_dict())
