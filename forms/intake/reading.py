"""Reading a provider's body: the JSON object, and the lead in it (id, form, time, answers, UTM).

Two shapes are read, the generic one (Zapier, our own) and the social one (Facebook, LinkedIn); anything
that cannot be read is refused (IntakeRejected) with a sentence naming the field.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from core.json_bodies import json_depth, json_type

from .mapping import UTM_FIELDS, _normalise_name
from .refusals import IntakeRejected

MAX_DEPTH = 16
MAX_LEAD_ID_LENGTH = 255
MAX_VALUE_LENGTH = 2000
FUTURE_SKEW = timedelta(minutes=5)


@dataclass
class ProviderLead:
    """What we read from a provider's body, before mapping to our field names."""

    lead_id: str
    form_id: str = ""
    form_name: str = ""
    created_time: datetime | None = None
    answers: dict[str, str] = field(default_factory=dict)
    utm: dict[str, str] = field(default_factory=dict)


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
            f"The body must be a JSON object with the lead, not {json_type(payload)}.",
            field="body",
        )
    if json_depth(payload, limit=MAX_DEPTH) > MAX_DEPTH:
        raise IntakeRejected(422, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels.", field="body")
    return payload


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
                f'"{name}" must be a string or a whole number, not {json_type(value)}.',
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
                422, "invalid_field", f'"field_data" must be an array, not {json_type(items)}.', field="field_data"
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
                422, "invalid_field", f'"fields" must be an object, not {json_type(answers)}.', field="fields"
            )
        for name, value in list(answers.items())[:500]:
            text = _answer_text(value)
            if text is not None:
                lead.answers[str(name)[:200]] = text
    utm = payload.get("utm")
    if utm is not None:
        if not isinstance(utm, dict):
            raise IntakeRejected(422, "invalid_field", f'"utm" must be an object, not {json_type(utm)}.', field="utm")
        for name, value in utm.items():
            key = _normalise_name(name)
            key = key if key.startswith("utm_") else f"utm_{key}"
            text = _scalar_text(value)
            if key in UTM_FIELDS and text is not None:
                lead.utm[key] = text
    return lead
