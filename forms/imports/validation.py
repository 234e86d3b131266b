"""Checking rows at the edge: values put in the lead store's shape, problems named by column.

Two kinds of problem:
- an *error* rejects the row: the lead store would flag it as junk (missing or invalid email,
  invalid phone, test data, a throwaway mailbox, a competitor, HTML in a name). These come from
  the lead store's own cleaning (`leads.cleaning.clean_lead`), so the preview says exactly what
  the import will do;
- a *warning* keeps the row but not the value: an unknown country, a value too long (cut), a
  formula, an employee count that is not a number...
"""

import re
from dataclasses import dataclass, field

import phonenumbers

from leads.cleaning import MAX_LENGTHS, clean_lead, clean_text
from leads.models import EMPLOYEE_BANDS, Consent, Seniority
from leads.services.tags import TAGS_PER_CHANGE, TagError, tag_name_clean, tag_slug

from .mapping import CUSTOM, FIELD_LABELS, IGNORE

COUNTRY_CODES = set(phonenumbers.SUPPORTED_REGIONS) | {"AQ", "BV", "HM", "PN", "TF", "UM", "GS"}
COUNTRY_NAMES = {
    "germany": "DE",
    "deutschland": "DE",
    "allemagne": "DE",
    "alemania": "DE",
    "austria": "AT",
    "osterreich": "AT",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "france": "FR",
    "frankreich": "FR",
    "spain": "ES",
    "espana": "ES",
    "italy": "IT",
    "italia": "IT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "nederland": "NL",
    "belgium": "BE",
    "belgique": "BE",
    "luxembourg": "LU",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "ireland": "IE",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "canada": "CA",
    "mexico": "MX",
    "brazil": "BR",
    "brasil": "BR",
    "argentina": "AR",
    "denmark": "DK",
    "danmark": "DK",
    "sweden": "SE",
    "sverige": "SE",
    "norway": "NO",
    "norge": "NO",
    "finland": "FI",
    "suomi": "FI",
    "iceland": "IS",
    "poland": "PL",
    "polska": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "slovakia": "SK",
    "hungary": "HU",
    "romania": "RO",
    "bulgaria": "BG",
    "greece": "GR",
    "portugal": "PT",
    "croatia": "HR",
    "slovenia": "SI",
    "estonia": "EE",
    "latvia": "LV",
    "lithuania": "LT",
    "turkey": "TR",
    "turkiye": "TR",
    "israel": "IL",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "india": "IN",
    "china": "CN",
    "japan": "JP",
    "south korea": "KR",
    "korea": "KR",
    "singapore": "SG",
    "hong kong": "HK",
    "taiwan": "TW",
    "australia": "AU",
    "new zealand": "NZ",
    "south africa": "ZA",
    "nigeria": "NG",
    "egypt": "EG",
    "kenya": "KE",
    "ukraine": "UA",
    "russia": "RU",
}
ALPHA3 = {
    "DEU": "DE",
    "AUT": "AT",
    "CHE": "CH",
    "FRA": "FR",
    "ESP": "ES",
    "ITA": "IT",
    "NLD": "NL",
    "BEL": "BE",
    "GBR": "GB",
    "IRL": "IE",
    "USA": "US",
    "CAN": "CA",
    "DNK": "DK",
    "SWE": "SE",
    "NOR": "NO",
    "FIN": "FI",
    "POL": "PL",
    "CZE": "CZ",
    "PRT": "PT",
    "AUS": "AU",
    "IND": "IN",
    "CHN": "CN",
    "JPN": "JP",
    "BRA": "BR",
}
CONSENT_WORDS = {
    Consent.GRANTED: {
        "granted",
        "yes",
        "y",
        "true",
        "1",
        "opt-in",
        "optin",
        "opted in",
        "ja",
        "oui",
        "si",
        "x",
        "subscribed",
        "agreed",
    },
    Consent.DENIED: {"denied", "no", "n", "false", "0", "opt-out", "optout", "opted out", "nein", "non", "not given"},
    Consent.WITHDRAWN: {"withdrawn", "unsubscribed", "revoked", "widerrufen"},
}
BAND_ALIASES = {value.replace(",", ""): value for value, _ in EMPLOYEE_BANDS} | {
    label.replace(",", "").replace(" ", ""): value for value, label in EMPLOYEE_BANDS
}
SENIORITY_WORDS = (
    {value: value for value in Seniority.values}
    | {label.lower(): value for value, label in Seniority.choices}
    | {
        "c-level": Seniority.C_LEVEL,
        "c level": Seniority.C_LEVEL,
        "clevel": Seniority.C_LEVEL,
        "executive": Seniority.C_LEVEL,
        "vice president": Seniority.VP,
        "head": Seniority.DIRECTOR,
        "individual contributor": Seniority.INDIVIDUAL,
        "ic": Seniority.INDIVIDUAL,
        "staff": Seniority.INDIVIDUAL,
    }
)

# Which of our fields a lead-store flag is about, to name the file's column in the message.
FLAG_FIELDS = {
    "missing_email": "email",
    "invalid_email": "email",
    "disposable_email": "email",
    "competitor": "email",
    "invalid_phone": "phone",
    "personal_email": "email",
}


@dataclass
class RowCheck:
    number: int
    payload: dict  # the row as stored on the lead: every column not ignored
    fields: dict  # our field names, normalised
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def columns_by_field(headers, mapping) -> dict[str, str]:
    return {target: header for header, target in zip(headers, mapping, strict=False) if target not in (IGNORE, CUSTOM)}


def _ascii_key(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower().strip()


def normalise_country(value: str) -> str | None:
    """'de', 'DEU', 'Germany', 'Deutschland' -> 'DE'; None when unknown."""
    text = value.strip()
    if re.fullmatch(r"[A-Za-z]{2}", text):
        code = text.upper()
        code = "GB" if code == "UK" else code
        return code if code in COUNTRY_CODES else None
    if re.fullmatch(r"[A-Za-z]{3}", text) and text.upper() in ALPHA3:
        return ALPHA3[text.upper()]
    return COUNTRY_NAMES.get(_ascii_key(text))


def normalise_row(
    number: int, row: dict, headers: list[str], mapping: list[str], problems: list[tuple[str, str]] = ()
) -> RowCheck:
    """The row's payload (ignored columns dropped) and fields (mapped, put in shape), with warnings."""
    ignored = {header for header, target in zip(headers, mapping, strict=False) if target == IGNORE}
    payload = {header: value for header, value in row.items() if header not in ignored}
    check = RowCheck(number=number, payload=payload, fields={})
    for header, problem in problems:
        if header not in ignored:
            check.warnings.append(f"{header}: {problem}; left empty.")
    fields = check.fields
    for header, target in zip(headers, mapping, strict=False):
        if target in (IGNORE, CUSTOM):
            continue
        raw = row.get(header, "")
        text, _ = clean_text(raw)
        if not text:
            continue
        if target == "full_name":
            first, _, last = text.rpartition(" ")
            fields.setdefault("first_name", first)
            fields.setdefault("last_name", last)
            continue
        value, warning = _normalise(target, text)
        if warning:
            check.warnings.append(f"{header}: {warning}")
        if value:
            limit = MAX_LENGTHS.get(target)
            if limit and len(value) > limit:
                check.warnings.append(f"{header}: longer than {limit} characters; cut to {limit}.")
                value = value[:limit].rstrip()
            fields[target] = value
    for name in ("first_name", "last_name"):
        fields.setdefault(name, "")
        if not fields[name]:
            del fields[name]
    if fields.get("phone", "").isdigit():
        fields["phone"] = _phone_from_number(fields["phone"], fields.get("country", ""))
    return check


def _phone_from_number(digits: str, country: str) -> str:
    """A phone that a spreadsheet kept as a number lost its '+': 4930123456 is +49 30 123456 when it
    is not a valid number of the row's country as it stands."""
    from leads.cleaning import normalise_phone

    if digits.startswith("0") or normalise_phone(digits, country)[0]:
        return digits
    return f"+{digits}" if normalise_phone(f"+{digits}")[0] else digits


def _normalise(target: str, text: str) -> tuple[str, str]:
    """(value, warning) for one mapped value."""
    if target == "email":
        return text[:320], ""
    if target == "country":
        code = normalise_country(text)
        if code is None:
            return "", f"'{text[:60]}' is not a known country (use a two-letter code such as DE); left empty."
        return code, ""
    if target == "consent":
        word = text.lower()
        for value, words in CONSENT_WORDS.items():
            if word in words or word == value:
                return value, ""
        return "", f"'{text[:60]}' is not a consent value (granted, denied, withdrawn, yes, no); left unknown."
    if target == "employees":
        digits = text.replace(",", "").replace(" ", "").replace("'", "")
        digits = digits[:-2] if digits.endswith(".0") else digits
        digits = digits.replace(".", "")
        if not digits.isdigit() or not 0 < len(digits) <= 7:
            return "", f"'{text[:60]}' is not a number of employees; left empty."
        return digits, ""
    if target == "employee_band":
        key = text.replace(",", "").replace(" ", "").replace("\u2013", "-")
        if key in BAND_ALIASES:
            return BAND_ALIASES[key], ""
        return "", (
            f"'{text[:60]}' is not an employee band ("
            + ", ".join(value for value, _ in EMPLOYEE_BANDS)
            + "); left empty."
        )
    if target == "tags":
        return normalise_tags(text)
    if target == "seniority":
        value = SENIORITY_WORDS.get(text.lower())
        if value is None:
            return "", f"'{text[:60]}' is not a seniority level; it is guessed from the job title instead."
        return value, ""
    return text, ""


def normalise_tags(text: str) -> tuple[str, str]:
    """ "VIP, trade fair,, vip" -> ("VIP, trade fair", ""): the names a person gets (leads.services.tags),
    with a warning naming those that cannot be tags (they are left out, the others kept)."""
    names, slugs, problems = [], set(), []
    for item in text.split(","):
        try:
            name = tag_name_clean(item)
        except TagError as error:
            problems.append(str(error))
            continue
        if name and tag_slug(name) not in slugs:
            slugs.add(tag_slug(name))
            names.append(name)
    if len(names) > TAGS_PER_CHANGE:
        problems.append(f"more than {TAGS_PER_CHANGE} tags: the first {TAGS_PER_CHANGE} are kept.")
        names = names[:TAGS_PER_CHANGE]
    return ", ".join(names), (" ".join(problems) + " Left out." if problems else "")


def describe_flag(flag: dict, columns: dict[str, str]) -> str:
    """A lead-store flag as a message naming the file's column: "E-mail: 'x@' is not valid: ..."."""
    code, reason = flag.get("code", ""), flag.get("reason", "")
    target = FLAG_FIELDS.get(code)
    if target is None and code in {"markup", "truncated"}:
        target = reason.split(" ", 1)[0]
    header = columns.get(target) if target else None
    if header:
        return f"{header}: {reason}"
    return reason[:1].upper() + reason[1:]


def check_row(check: RowCheck, columns: dict[str, str], rules) -> RowCheck:
    """Add the lead store's verdict (its junk flags) to a normalised row, as errors naming columns."""
    from leads.cleaning import JUNK_FLAGS

    cleaned = clean_lead(check.fields, rules)
    for flag in cleaned.flags:
        if flag.code in JUNK_FLAGS:
            check.errors.append(describe_flag(flag.as_dict(), columns))
    return check


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
