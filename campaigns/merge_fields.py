"""Merge fields in campaign email: `{{ first_name|there }}` is the recipient's first name, or "there"
when they have none. One parser serves both the check when a campaign is saved (an unknown or
unfinished field is refused, naming it and where it is) and rendering (rendering.compiled).

    parse("Hi {{ first_name|there }}!") -> ["Hi ", MergeField("first_name", "there"), "!"]
    values_for(person, unsubscribe_url=..., preferences_url=...) -> {"first_name": "Jane", ...}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "First and last name",
    "email": "Email address",
    "company": "Company name",
    "job_title": "Job title",
    "country": "Country (two letters)",
    "owner_name": "Their owner's (sales rep's) name",
    "owner_email": "Their owner's email address",
    "owner_signature": "Their owner's name and title",
    "unsubscribe_url": "The unsubscribe link",
    "preferences_url": "The preference centre link",
}
# A value longer than this is cut (a 10 KB "first name" must not fill the email).
MAX_VALUE_LENGTH = 120
MAX_FALLBACK_LENGTH = 120

_FIELD = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class MergeField:
    name: str
    fallback: str = ""


class MergeFieldError(ValueError):
    pass


def _field(inner: str) -> MergeField:
    name, bar, fallback = inner.partition("|")
    name = name.strip()
    if not name:
        raise MergeFieldError("an empty merge field {{ }}")
    if not _NAME.match(name):
        raise MergeFieldError(f"{{{{ {name[:40]} }}}} is not a merge field name")
    if name not in FIELDS:
        raise MergeFieldError(f"unknown merge field {{{{ {name[:40]} }}}} (known: {', '.join(FIELDS)})")
    fallback = fallback.strip()
    if len(fallback) > MAX_FALLBACK_LENGTH:
        raise MergeFieldError(f"the fallback of {{{{ {name} }}}} is longer than {MAX_FALLBACK_LENGTH} characters")
    return MergeField(name, fallback)


def parse(text: str) -> list[str | MergeField]:
    """Text and merge fields in order; MergeFieldError for an unknown, empty or unfinished one."""
    pieces: list[str | MergeField] = []
    end = 0
    for match in _FIELD.finditer(text or ""):
        pieces.append(text[end : match.start()])
        pieces.append(_field(match.group(1)))
        end = match.end()
    rest = (text or "")[end:]
    if "{{" in rest:
        raise MergeFieldError("a merge field is not closed: {{ without }}")
    pieces.append(rest)
    return [piece for piece in pieces if piece != ""]


def split(text: str, *, unescape=None) -> list[str | MergeField]:
    """Like parse, for rendering text checked when it was saved: anything that is not a known merge
    field stays as it was written (an old campaign never fails to render). `unescape` turns an
    HTML-escaped fallback back into text (it is escaped again with the value)."""
    pieces: list[str | MergeField] = []
    end = 0
    for match in _FIELD.finditer(text or ""):
        try:
            field = _field(match.group(1))
        except MergeFieldError:
            continue
        if unescape is not None:
            field = MergeField(field.name, unescape(field.fallback))
        pieces.append(text[end : match.start()])
        pieces.append(field)
        end = match.end()
    pieces.append((text or "")[end:])
    return [piece for piece in pieces if piece != ""]


# --- Where merge fields may be: checked when a campaign is saved ---------------------------------
def _block_texts(block_type: str, value) -> list[tuple[str, str]]:
    """(what, text) for every text a marketer typed in one block, nested blocks included."""
    if block_type == "heading":
        return [("heading", value.get("text", ""))]
    if block_type == "text":
        return [("text", getattr(value, "source", str(value or "")))]
    if block_type == "button":
        return [("button label", value.get("label", ""))]
    if block_type == "image":
        return [("image description", value.get("alt", ""))]
    if block_type == "recommended":
        return [("heading", value.get("heading", ""))]
    if block_type == "two_columns":
        return [
            (f"{side} column, {what}", text)
            for side in ("left", "right")
            for child in value.get(side) or []
            for what, text in _block_texts(child.block_type, child.value)
        ]
    if block_type == "personalised":
        texts = []
        for number, variant in enumerate(value.get("variants") or [], start=1):
            for child in variant.get("content") or []:
                texts += [
                    (f"variant {number}, {what}", text) for what, text in _block_texts(child.block_type, child.value)
                ]
        for child in value.get("default") or []:
            texts += [(f"default, {what}", text) for what, text in _block_texts(child.block_type, child.value)]
        return texts
    return []


def campaign_errors(campaign) -> dict[str, list[str]]:
    """{form field: [messages]} for every unknown or malformed merge field in the campaign, each naming
    the field and where it is (subject, preheader, block N)."""
    errors: dict[str, list[str]] = {}
    for field in ("subject", "preheader"):
        try:
            parse(getattr(campaign, field, "") or "")
        except MergeFieldError as error:
            errors.setdefault(field, []).append(f"{field.capitalize()}: {error}")
    for number, child in enumerate(campaign.body or [], start=1):
        for what, text in _block_texts(child.block_type, child.value):
            try:
                parse(text or "")
            except MergeFieldError as error:
                errors.setdefault("body", []).append(f"Block {number} ({child.block_type}, {what}): {error}")
    return errors


def validate_campaign(campaign) -> None:
    errors = campaign_errors(campaign)
    if errors:
        raise ValidationError(errors)


def validate_text(text: str, where: str) -> None:
    try:
        parse(text or "")
    except MergeFieldError as error:
        raise ValidationError(f"{where}: {error}") from None


# --- Values -------------------------------------------------------------------------------------
def clean_value(value) -> str:
    """One line, no control characters, at most MAX_VALUE_LENGTH characters (cut with an ellipsis)."""
    text = _CONTROL.sub(" ", str(value or "")).strip()
    if len(text) > MAX_VALUE_LENGTH:
        text = text[: MAX_VALUE_LENGTH - 1].rstrip() + "…"
    return text


def one_line(text: str) -> str:
    """A header's text (the subject): control characters and line breaks become spaces."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def _user_name(user) -> str:
    if user is None:
        return ""
    return clean_value(user.get_full_name() or "")


def values_for(person, *, unsubscribe_url: str = "", preferences_url: str = "") -> dict[str, str]:
    """Every merge field's value for one person ("" where they have none: the fallback is used).
    owner_signature is the owner's name, and their title on a second line when the user model has one."""
    company = getattr(person, "company", None)
    owner = getattr(person, "owner", None)
    first, last = clean_value(person.first_name), clean_value(person.last_name)
    owner_name = _user_name(owner)
    title = clean_value(getattr(owner, "title", "")) if owner is not None else ""
    return {
        "first_name": first,
        "last_name": last,
        "full_name": clean_value(f"{first} {last}"),
        "email": clean_value(person.email),
        "company": clean_value(company.name) if company is not None else "",
        "job_title": clean_value(person.job_title),
        "country": clean_value(person.country),
        "owner_name": owner_name,
        "owner_email": clean_value(owner.email) if owner is not None else "",
        "owner_signature": f"{owner_name}\n{title}" if owner_name and title else owner_name,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }


def substitute_plain(pieces, values: dict[str, str]) -> str:
    """Text with merge fields filled in (the subject, the text part): no escaping."""
    return "".join(piece if isinstance(piece, str) else (values.get(piece.name) or piece.fallback) for piece in pieces)
