"""Signed webhook intake for third-party lead-gen forms (LinkedIn Lead Gen, Facebook Lead Ads, Zapier).

A provider POSTs one lead as JSON to /api/v1/intake/<provider>. The call must be signed:

    X-Signalpage-Timestamp: <unix seconds>
    X-Signalpage-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

with the provider's secret from LEAD_INTAKE_SECRETS. A call outside the replay window, or with a
missing or wrong signature, is refused (401) and kept as a RejectedSubmission, never as a lead.

A provider lead id is taken once (WebhookReceipt, unique per provider): a retry or replay answers
with the lead made the first time, also when both copies arrive at the same instant.

The endpoint (forms/api/intake.py) only reads the request and renders what this module returns.
"""

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from forms.models import RejectedSubmission, WebhookReceipt
from leads.services import lead_capture

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Signalpage-Timestamp"
SIGNATURE_HEADER = "X-Signalpage-Signature"
SIGNATURE_PREFIX = "sha256="
CHANNEL = "webhook"
MAX_DEPTH = 16
MAX_LEAD_ID_LENGTH = 255
MAX_VALUE_LENGTH = 2000
EXCERPT_BYTES = 2048
FUTURE_SKEW = timedelta(minutes=5)

Reason = RejectedSubmission.Reason


class IntakeRejected(Exception):
    """A call we refuse: the HTTP status, a machine-readable code, a sentence naming the problem."""

    def __init__(self, status: int, error: str, detail: str, *, reason: str = Reason.BAD_PAYLOAD, field: str = ""):
        super().__init__(detail)
        self.status, self.error, self.detail, self.reason, self.field = status, error, detail, reason, field

    def as_dict(self) -> dict:
        body = {"error": self.error, "detail": self.detail}
        if self.field:
            body["field"] = self.field
        return body


@dataclass
class IntakeResult:
    lead_id: str | None
    duplicate: bool

    @property
    def status(self) -> int:
        return 200 if self.duplicate else 201


@dataclass
class ProviderLead:
    """What we read from a provider's body, before mapping to our field names."""

    lead_id: str
    form_id: str = ""
    form_name: str = ""
    created_time: datetime | None = None
    answers: dict[str, str] = field(default_factory=dict)
    utm: dict[str, str] = field(default_factory=dict)


# --- Signing --------------------------------------------------------------------------------


def intake_secret(provider: str) -> str | None:
    """The provider's signing secret, or None for a provider we do not know."""
    secrets = getattr(settings, "LEAD_INTAKE_SECRETS", None) or {}
    return secrets.get(str(provider).lower())


def intake_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Signalpage-Signature value for a body sent at `timestamp` (what a provider computes)."""
    message = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now=None) -> None:
    """Raise IntakeRejected (401) unless the call is signed with `secret` and inside the replay window."""
    timestamp = (timestamp or "").strip()
    signature = (signature or "").strip()
    if not timestamp:
        raise IntakeRejected(
            401,
            "missing_timestamp",
            f"The {TIMESTAMP_HEADER} header is missing.",
            reason=Reason.BAD_SIGNATURE,
            field=TIMESTAMP_HEADER,
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise IntakeRejected(
            401,
            "bad_timestamp",
            f"{TIMESTAMP_HEADER} must be a Unix time in whole seconds.",
            reason=Reason.BAD_SIGNATURE,
            field=TIMESTAMP_HEADER,
        )
    if not signature:
        raise IntakeRejected(
            401,
            "missing_signature",
            f"The {SIGNATURE_HEADER} header is missing.",
            reason=Reason.BAD_SIGNATURE,
            field=SIGNATURE_HEADER,
        )
    expected = intake_signature(secret, timestamp, body).encode()
    # Headers arrive as latin-1 text; compare bytes so no header value can make compare_digest raise.
    given = signature.lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise IntakeRejected(
            401,
            "bad_signature",
            f'{SIGNATURE_HEADER} does not match: sign "<timestamp>.<raw body>" with '
            "HMAC-SHA256 and the provider's secret, and send sha256=<hex>.",
            reason=Reason.BAD_SIGNATURE,
            field=SIGNATURE_HEADER,
        )
    window = settings.LEAD_INTAKE_REPLAY_WINDOW
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        raise IntakeRejected(
            401,
            "stale_timestamp",
            f"{TIMESTAMP_HEADER} is more than {window} seconds away from our clock: "
            "a replayed or delayed call. Sign every call when you send it.",
            reason=Reason.STALE_TIMESTAMP,
            field=TIMESTAMP_HEADER,
        )


# --- Reading the body -----------------------------------------------------------------------


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def body_parse(body: bytes) -> dict:
    """The body as a JSON object, or IntakeRejected naming what is wrong with it."""
    if not body.strip():
        raise IntakeRejected(400, "empty_body", "The body is empty: send the lead as a JSON object.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IntakeRejected(
            400, "invalid_encoding", f"The body is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise IntakeRejected(
            400, "invalid_json", f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except ValueError as error:  # NaN, Infinity
        raise IntakeRejected(400, "invalid_json", f"The body is not valid JSON: {error}.") from None
    except RecursionError:
        raise IntakeRejected(400, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels.") from None
    if not isinstance(payload, dict):
        raise IntakeRejected(
            422,
            "not_an_object",
            f"The body must be a JSON object with the lead, not {_json_type(payload)}.",
            field="body",
        )
    if _depth(payload) > MAX_DEPTH:
        raise IntakeRejected(422, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels.", field="body")
    return payload


def _json_type(value) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _depth(value) -> int:
    """How deeply containers nest (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _scalar_text(value) -> str | None:
    """A scalar answer as text; containers and null give None (they stay in the raw payload)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value[:MAX_VALUE_LENGTH]
    return None


def _answer_text(value) -> str | None:
    """One answer: a scalar, or a list of scalars (Facebook's "values", a multiple choice) joined."""
    if isinstance(value, list):
        parts = [text for text in (_scalar_text(item) for item in value[:50]) if text not in (None, "")]
        return ", ".join(parts)[:MAX_VALUE_LENGTH] if parts else None
    return _scalar_text(value)


# An id becomes a database key (the receipt that makes a retry a duplicate): control characters are
# refused, and so are lone surrogates, which JSON's \ud800 escapes can carry but no database can store
# (a UnicodeEncodeError, a 500, before this check).
NOT_IN_AN_ID = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _identifier(payload: dict, names: tuple[str, ...], field_name: str, *, required: bool) -> str:
    """An id (the lead's, the form's) from the first of `names` present: text or a whole number."""
    for name in names:
        if name not in payload or payload[name] is None:
            continue
        value = payload[name]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise IntakeRejected(
                422,
                "invalid_field",
                f'"{name}" must be a string or a whole number, not {_json_type(value)}.',
                field=name,
            )
        value = value.strip()
        if not value:
            if required:
                raise IntakeRejected(422, "invalid_field", f'"{name}" is empty.', field=name)
            continue
        if len(value) > MAX_LEAD_ID_LENGTH or NOT_IN_AN_ID.search(value):
            raise IntakeRejected(
                422, "invalid_field", f'"{name}" must be at most {MAX_LEAD_ID_LENGTH} printable characters.', field=name
            )
        return value
    if required:
        raise IntakeRejected(
            422,
            "missing_field",
            f'The provider\'s lead id is missing: send it as "{names[0]}"'
            f" (or {', '.join(repr(n) for n in names[1:])}).",
            field=field_name,
        )
    return ""


def _created_time(value) -> datetime | None:
    """ISO 8601 text or Unix seconds (or milliseconds); None when absent, unreadable or in the future."""
    when = None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e14:
            when = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
        elif isinstance(value, str) and 0 < len(value) <= 64:
            text = value.strip()
            if text.isdigit():
                return _created_time(int(text))
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if timezone.is_naive(when):
                when = when.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if when is None or when > timezone.now() + FUTURE_SKEW or when.year < 2000:
        return None
    return when


def provider_lead_read(payload: dict) -> ProviderLead:
    """Read either body shape:

    generic (Zapier, our own):  {"lead_id", "form_id", "form_name", "created_time", "fields": {...}, "utm": {...}}
    social (Facebook, LinkedIn): {"id", "form_id", "created_time", "field_data": [{"name", "values": [...]}]}

    A body with neither "fields" nor "field_data" is read as generic with its answers at the top level.
    """
    lead = ProviderLead(
        lead_id=_identifier(payload, ("lead_id", "id", "leadgen_id"), "lead_id", required=True),
        form_id=_identifier(payload, ("form_id", "formId"), "form_id", required=False),
        form_name=_answer_text(payload.get("form_name", payload.get("formName"))) or "",
        created_time=_created_time(payload.get("created_time", payload.get("createdTime"))),
    )
    if "field_data" in payload:
        items = payload["field_data"]
        if not isinstance(items, list):
            raise IntakeRejected(
                422, "invalid_field", f'"field_data" must be an array, not {_json_type(items)}.', field="field_data"
            )
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise IntakeRejected(
                    422,
                    "invalid_field",
                    f'"field_data[{index}]" must be an object with a "name" and its "values".',
                    field=f"field_data[{index}]",
                )
            text = _answer_text(item.get("values", item.get("value")))
            if text is not None:
                lead.answers[item["name"][:200]] = text
    else:
        answers = payload.get("fields", None if "fields" in payload else payload)
        if not isinstance(answers, dict):
            raise IntakeRejected(
                422, "invalid_field", f'"fields" must be an object, not {_json_type(answers)}.', field="fields"
            )
        for name, value in list(answers.items())[:500]:
            text = _answer_text(value)
            if text is not None:
                lead.answers[str(name)[:200]] = text
    utm = payload.get("utm")
    if utm is not None:
        if not isinstance(utm, dict):
            raise IntakeRejected(422, "invalid_field", f'"utm" must be an object, not {_json_type(utm)}.', field="utm")
        for name, value in utm.items():
            key = _normalise_name(name)
            key = key if key.startswith("utm_") else f"utm_{key}"
            text = _scalar_text(value)
            if key in UTM_FIELDS and text is not None:
                lead.utm[key] = text
    return lead


# --- Mapping answers to our field names -----------------------------------------------------

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

# Normalised provider names (lower case, words joined by "_") -> our canonical field.
ALIASES = {
    "email": (
        "email",
        "work_email",
        "business_email",
        "email_address",
        "e_mail",
        "company_email",
        "work_email_address",
        "professional_email",
    ),
    "first_name": ("first_name", "firstname", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "company": (
        "company",
        "company_name",
        "companyname",
        "organization",
        "organisation",
        "organization_name",
        "organisation_name",
        "employer",
    ),
    "job_title": ("job_title", "jobtitle", "title", "position", "job_position", "role"),
    "phone": (
        "phone",
        "phone_number",
        "phonenumber",
        "work_phone",
        "work_phone_number",
        "mobile",
        "mobile_phone",
        "mobile_number",
        "telephone",
        "tel",
    ),
    "country": ("country", "country_code", "country_region", "countrycode"),
    "industry": ("industry", "company_industry"),
    "employees": (
        "employees",
        "employee_count",
        "number_of_employees",
        "num_employees",
        "company_size",
        "companysize",
        "size",
    ),
    "employee_band": ("employee_band",),
    "seniority": ("seniority", "job_seniority"),
    "consent": ("consent", "marketing_consent", "opt_in", "optin", "gdpr_consent"),
    **{name: (name,) for name in UTM_FIELDS},
}
CANONICAL_BY_ALIAS = {alias: canonical for canonical, aliases in ALIASES.items() for alias in aliases}
FULL_NAME_ALIASES = ("full_name", "fullname", "name", "your_name", "contact_name")
CONSENT_WORDS = {
    "true": "granted",
    "yes": "granted",
    "1": "granted",
    "on": "granted",
    "granted": "granted",
    "opt_in": "granted",
    "false": "denied",
    "no": "denied",
    "0": "denied",
    "off": "denied",
    "denied": "denied",
    "opt_out": "denied",
}
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _normalise_name(name) -> str:
    """ "First Name", "firstName", "first-name", "FIRST_NAME" -> "first_name"."""
    text = CAMEL.sub("_", str(name)[:200])
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _employee_count(text: str) -> str:
    """LinkedIn's company sizes ("51-200", "10,001+") -> the lower bound; anything else unchanged."""
    match = re.fullmatch(r"\s*([\d,.]+)\s*(?:[-–+]|to|\Z).*", text)
    return match.group(1) if match else text


def fields_map(answers: dict[str, str], utm: dict[str, str] | None = None) -> dict[str, str]:
    """The provider's answers under our canonical names (see leads.services.capture.lead_capture)."""
    fields: dict[str, str] = {}
    full_name = ""
    for name, value in answers.items():
        key = _normalise_name(name)
        canonical = CANONICAL_BY_ALIAS.get(key)
        if canonical and canonical not in fields and value.strip():
            fields[canonical] = value
        elif key in FULL_NAME_ALIASES and value.strip() and not full_name:
            full_name = value
    if full_name and not (fields.get("first_name") or fields.get("last_name")):
        first, _, last = " ".join(full_name.split()).partition(" ")
        fields["first_name"], fields["last_name"] = first, last
    if "employees" in fields:
        fields["employees"] = _employee_count(fields["employees"])
    if "consent" in fields:
        fields["consent"] = CONSENT_WORDS.get(_normalise_name(fields["consent"]), fields["consent"])
    for key, value in (utm or {}).items():
        fields.setdefault(key, value)
    return fields


# --- Receiving ------------------------------------------------------------------------------


def intake_receive(provider: str, payload: dict, *, body: bytes, ip_address: str | None = None) -> IntakeResult:
    """Capture one provider lead, once. Raises IntakeRejected for a body without a usable lead id."""
    lead_in = provider_lead_read(payload)
    existing = _duplicate(provider, lead_in.lead_id)
    if existing is not None:
        return existing
    label = f"{provider}: {lead_in.form_name or lead_in.form_id or 'lead form'}"
    try:
        # Receipt, lead and link in one transaction: a second copy of this lead waits on the unique
        # receipt until this one commits, then finds it (below) instead of making another lead.
        with transaction.atomic():
            receipt = WebhookReceipt.objects.create(
                provider=provider,
                provider_lead_id=lead_in.lead_id,
                form_id=lead_in.form_id,
                body_sha256=hashlib.sha256(body).hexdigest(),
            )
            lead = lead_capture(
                source="webhook",
                payload=payload,
                fields=fields_map(lead_in.answers, lead_in.utm),
                origin_type="form",
                origin_id=lead_in.form_id,
                origin_label=label,
                ip_address=ip_address,
                received_at=lead_in.created_time or timezone.now(),
            )
            receipt.lead = lead
            receipt.save(update_fields=["lead"])
    except IntegrityError:
        existing = _duplicate(provider, lead_in.lead_id)
        if existing is None:  # not a duplicate receipt after all: a real database problem
            raise
        return existing
    logger.info("Webhook lead %s from %s captured as %s", lead_in.lead_id, provider, lead.lid)
    return IntakeResult(lead_id=lead.lid, duplicate=False)


def _duplicate(provider: str, provider_lead_id: str) -> IntakeResult | None:
    receipt = WebhookReceipt.objects.filter(provider=provider, provider_lead_id=provider_lead_id).first()
    if receipt is None:
        return None
    WebhookReceipt.objects.filter(pk=receipt.pk).update(
        duplicates=F("duplicates") + 1, last_duplicate_at=timezone.now()
    )
    return IntakeResult(lead_id=receipt.lead_lid, duplicate=True)


def rejection_record(rejected: IntakeRejected, *, provider: str, body: bytes, ip_address: str | None) -> None:
    """Keep a refused call for review. Whatever it contained, storing it cannot fail on its content."""
    excerpt = body[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")
    detail = f"{provider}: {rejected.error}: {rejected.detail}".replace("\x00", "")[:500]
    try:
        RejectedSubmission.objects.create(
            channel=CHANNEL,
            reason=rejected.reason,
            detail=detail,
            ip_address=ip_address or None,
            payload_excerpt=excerpt,
        )
    except Exception:  # the caller still gets its clear refusal; the log has the rest
        logger.exception("Could not record a rejected webhook call from %s", provider)
