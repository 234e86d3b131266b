"""Reading a CRM feedback body: the JSON object, and the change it reports, every field checked.

What is read here needs no database: the event id, the opportunity, the stage, the amount in a currency
we have a rate for, the dates, and whom it names (resolving them is receiving's). Anything that cannot be
read is refused (FeedbackRefused) with a sentence naming the field.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from core.json_bodies import json_depth, json_type

from .refusals import FeedbackRefused, invalid, missing

EVENT_ID_HEADER = "X-Signalpage-Event-Id"
MAX_DEPTH = 8
MAX_ID_LENGTH = 100  # Deal.crm_id, CrmFeedbackEvent.event_id
MAX_TEXT_LENGTH = 254  # an email address, a domain
# An event stamped ahead of our clock would win over every later change of its deal: a little skew is
# forgiven, a wrong clock is refused.
FUTURE_SKEW = timedelta(minutes=5)
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # 14 digits, 2 after the point (Deal.amount)

# The CRM's stages, as a webhook names them -> what they mean for the deal.
OPPORTUNITY, CUSTOMER, LOST = "opportunity", "customer", "lost"
STAGES = (OPPORTUNITY, CUSTOMER, LOST)

# Text that becomes a database key or a lookup: control characters (NUL included, which PostgreSQL
# cannot store) and lone surrogates (JSON's \ud800 escapes, which no database can encode) are refused.
NOT_IN_TEXT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
CURRENCY = re.compile(r"[A-Z]{3}")
PID = re.compile(r"(?:PID-)?(\d{1,18})", re.IGNORECASE)
CID = re.compile(r"(?:CID-)?(\d{1,18})", re.IGNORECASE)
DOMAIN = re.compile(r"(?=.{1,253}\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")

UNSET = object()  # a field the call leaves out: the deal keeps what it has


@dataclass(frozen=True)
class FeedbackEvent:
    """One change the CRM reports, read and checked."""

    event_id: str
    opportunity_id: str
    stage: str  # OPPORTUNITY, CUSTOMER or LOST
    changed_at: datetime
    amount: Decimal | None  # None: not sent (the deal keeps its amount)
    currency: str | None  # None: not sent
    close_date: object  # a date, None (cleared) or UNSET
    opened_at: datetime | None
    person_email: str = ""
    person_pid: int | None = None
    company_cid: int | None = None
    company_domain: str = ""

    @property
    def names_a_person(self) -> bool:
        return bool(self.person_email or self.person_pid)


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def body_parse(body: bytes) -> dict:
    """The body as a JSON object, or FeedbackRefused naming what is wrong with it."""
    if not body.strip():
        raise FeedbackRefused(400, "empty_body", "The body is empty: send the change as a JSON object.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedbackRefused(
            400, "invalid_encoding", f"The body is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from None
    try:
        # Amounts are read as decimals, never floats: 0.1 + 0.2 is 0.3 in a revenue report.
        payload = json.loads(text, parse_constant=_refuse_constant, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise FeedbackRefused(
            400, "invalid_json", f"The body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except ValueError as error:  # NaN, Infinity, an integer too long to read
        raise FeedbackRefused(400, "invalid_json", f"The body is not valid JSON: {error}.") from None
    except RecursionError:
        raise FeedbackRefused(400, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels.") from None
    if not isinstance(payload, dict):
        raise FeedbackRefused(
            422, "not_an_object", f"The body must be a JSON object, not {json_type(payload)}.", field="body"
        )
    if json_depth(payload, limit=MAX_DEPTH) > MAX_DEPTH:
        raise FeedbackRefused(422, "too_deep", f"The body nests deeper than {MAX_DEPTH} levels.", field="body")
    return payload


def _text(value, field: str, *, max_length: int = MAX_TEXT_LENGTH, numbers: bool = False) -> str:
    """A non-empty, printable text field (or a whole number, when `numbers`), stripped."""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        kinds = "a string or a whole number" if numbers else "a string"
        raise invalid(field, f'"{field}" must be {kinds}, not {json_type(value)}.')
    value = value.strip()
    if not value:
        raise invalid(field, f'"{field}" is empty.')
    if len(value) > max_length or NOT_IN_TEXT.search(value):
        raise invalid(field, f'"{field}" must be at most {max_length} printable characters.')
    return value


def _identifier(payload: dict, field: str) -> str:
    if payload.get(field) is None:
        raise missing(field, f'"{field}" is missing.')
    return _text(payload[field], field, max_length=MAX_ID_LENGTH, numbers=True)


def event_id_read(payload: dict, header_value: str | None) -> str:
    """The event id, from the X-Signalpage-Event-Id header or the body's "event_id" (the same if both)."""
    from_body = None
    if payload.get("event_id") is not None:
        from_body = _text(payload["event_id"], "event_id", max_length=MAX_ID_LENGTH, numbers=True)
    from_header = None
    if header_value is not None and header_value.strip():
        from_header = _text(header_value, EVENT_ID_HEADER, max_length=MAX_ID_LENGTH)
    if from_body and from_header and from_body != from_header:
        raise invalid("event_id", f'"event_id" and the {EVENT_ID_HEADER} header differ: send one, or the same.')
    event_id = from_body or from_header
    if not event_id:
        raise missing(
            "event_id",
            f'The event id is missing: send it as "event_id" or in {EVENT_ID_HEADER} '
            "(the CRM's id of this change; a call with an id already taken changes nothing).",
        )
    return event_id


def _when(value, field: str, *, required: bool) -> datetime | None:
    """ISO 8601 text (a time without a zone is UTC) or Unix seconds/milliseconds; never in the future."""
    if value is None:
        if required:
            raise missing(field, f'"{field}" is missing: send the CRM\'s time of this change (ISO 8601).')
        return None
    when = None
    try:
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and 0 < value < 10**14:
            seconds = value / 1000 if value > 10**11 else value
            when = datetime.fromtimestamp(float(seconds), tz=UTC)
        elif isinstance(value, str) and 0 < len(value.strip()) <= 64 and not NOT_IN_TEXT.search(value):
            text = value.strip()
            if text.isascii() and text.isdigit():
                return _when(int(text), field, required=required)
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if timezone.is_naive(when):
                when = when.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        when = None
    if when is None:
        raise invalid(field, f'"{field}" must be a time in ISO 8601 (2026-12-01T09:30:00Z) or Unix seconds.')
    if when.year < 2000:
        raise invalid(field, f'"{field}" is before the year 2000: not a time the CRM recorded.')
    if when > timezone.now() + FUTURE_SKEW:
        raise invalid(field, f'"{field}" is in the future: check the sending system\'s clock.')
    return when


def _close_date(payload: dict):
    if "close_date" not in payload:
        return UNSET
    value = payload["close_date"]
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value.strip()) <= 32 and not NOT_IN_TEXT.search(value):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]) if len(text) > 10 and text[10] in "T " else date.fromisoformat(text)
        except ValueError:
            pass
    raise invalid("close_date", '"close_date" must be a date in ISO 8601: 2026-12-31.')


def _amount(payload: dict) -> Decimal | None:
    if payload.get("amount") is None:
        return None
    value = payload["amount"]
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        if isinstance(value, int | Decimal):
            amount = Decimal(value)
        elif isinstance(value, str) and len(value.strip()) <= 40:
            amount = Decimal(value.strip())
        else:
            raise InvalidOperation
        if not amount.is_finite():
            raise InvalidOperation
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise invalid("amount", '"amount" must be a number, such as 50000 or "50000.00".') from None
    if amount < 0:
        raise invalid("amount", '"amount" cannot be negative.')
    if amount > MAX_AMOUNT:
        raise invalid("amount", f'"amount" is larger than {MAX_AMOUNT}.')
    return amount


def currency_rate(currency: str) -> Decimal | None:
    """How much one unit of `currency` is in the report currency, or None when we have no rate."""
    if currency == settings.REPORT_CURRENCY:
        return Decimal(1)
    return settings.REPORT_CURRENCY_RATES.get(currency)


def _currency(payload: dict, amount: Decimal | None) -> str | None:
    value = payload.get("currency")
    if value is None:
        if amount is not None and amount > 0:
            raise missing("currency", '"currency" is missing: say which currency "amount" is in (ISO 4217, e.g. EUR).')
        return None
    if not isinstance(value, str) or not CURRENCY.fullmatch(value.strip().upper()):
        raise invalid("currency", '"currency" must be a three-letter ISO 4217 code such as EUR or USD.')
    currency = value.strip().upper()
    if currency_rate(currency) is None:
        known = ", ".join(sorted({settings.REPORT_CURRENCY, *settings.REPORT_CURRENCY_RATES}))
        raise invalid(
            "currency",
            f'"currency": no rate for {currency} to {settings.REPORT_CURRENCY} (REPORT_CURRENCY_RATES); '
            f"known: {known}.",
        )
    return currency


def _part(payload: dict, name: str) -> dict:
    part = payload.get(name)
    if part is None:
        return {}
    if not isinstance(part, dict):
        raise invalid(name, f'"{name}" must be an object, not {json_type(part)}.')
    return part


def _reference(part: dict, field: str, pattern: re.Pattern, prefix: str) -> int | None:
    value = part.get(field.split(".")[1])
    if value is None:
        return None
    text = _text(value, field, max_length=40, numbers=True)
    match = pattern.fullmatch(text)
    if not match:
        raise invalid(field, f'"{field}" must be our id, such as {prefix}-42, or its number.')
    return int(match.group(1))


def _email(part: dict) -> str:
    if part.get("email") is None:
        return ""
    email = _text(part["email"], "person.email")
    if "@" not in email.strip("@"):
        raise invalid("person.email", '"person.email" is not an email address.')
    return email


def _domain(part: dict) -> str:
    if part.get("domain") is None:
        return ""
    text = _text(part["domain"], "company.domain").lower()
    # "https://www.example.com/about" and "www.example.com" both name example.com.
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.").rstrip(".")
    if not DOMAIN.fullmatch(text):
        raise invalid("company.domain", '"company.domain" is not a domain name such as example.com.')
    return text


def feedback_read(payload: dict, *, event_id_header: str | None = None) -> FeedbackEvent:
    """Read one CRM change from the body; FeedbackRefused names the first field that cannot be taken."""
    event_id = event_id_read(payload, event_id_header)
    opportunity_id = _identifier(payload, "opportunity_id")
    stage_value = payload.get("stage")
    if stage_value is None:
        raise missing("stage", f'"stage" is missing: one of {", ".join(STAGES)}.')
    stage = stage_value.strip().lower() if isinstance(stage_value, str) else None
    if stage not in STAGES:
        raise invalid("stage", f'"stage" must be one of {", ".join(STAGES)}.')
    changed_at = _when(payload.get("changed_at"), "changed_at", required=True)
    opened_at = _when(payload.get("opened_at"), "opened_at", required=False)
    amount = _amount(payload)
    currency = _currency(payload, amount)
    close_date = _close_date(payload)
    person, company = _part(payload, "person"), _part(payload, "company")
    event = FeedbackEvent(
        event_id=event_id,
        opportunity_id=opportunity_id,
        stage=stage,
        changed_at=changed_at,
        opened_at=opened_at,
        amount=amount,
        currency=currency,
        close_date=close_date,
        person_email=_email(person),
        person_pid=_reference(person, "person.pid", PID, "PID"),
        company_cid=_reference(company, "company.cid", CID, "CID"),
        company_domain=_domain(company),
    )
    if not event.names_a_person and not (event.company_cid or event.company_domain):
        raise missing(
            "person",
            'Say whom the opportunity is with: "person" (its "email" or "pid") '
            'and/or "company" (its "cid" or "domain").',
        )
    return event
