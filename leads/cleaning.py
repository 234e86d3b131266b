"""Cleaning a captured lead: normalise what can be normalised, flag what looks wrong, delete nothing.

Pure functions over plain values, so every rule can be tested without a database. Each problem
becomes a Flag with a code (for filters and rules) and a reason a person can read.
"""

import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import EmailNotValidError, validate_email

# Flags that make a lead junk: kept and shown, but left out of routing and lead lists by default.
JUNK_FLAGS = {
    "duplicate",
    "test_data",
    "competitor",
    "invalid_email",
    "missing_email",
    "disposable_email",
    "invalid_phone",
    "markup",
}
# Flags that describe a lead without making it junk (they feed scoring rules).
NOTE_FLAGS = {"personal_email", "truncated"}

FREE_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de ymail.com rocketmail.com hotmail.com
    hotmail.co.uk hotmail.fr hotmail.de hotmail.it outlook.com outlook.de outlook.fr live.com live.co.uk
    msn.com aol.com icloud.com me.com mac.com gmx.de gmx.net gmx.com gmx.at web.de t-online.de freenet.de
    mail.com email.com protonmail.com proton.me pm.me tutanota.com tuta.io zoho.com yandex.com yandex.ru
    mail.ru bk.ru inbox.ru list.ru orange.fr wanadoo.fr free.fr laposte.net sfr.fr libero.it virgilio.it
    tiscali.it alice.it seznam.cz wp.pl o2.pl onet.pl interia.pl qq.com 163.com 126.com sina.com naver.com
    hanmail.net daum.net rediffmail.com btinternet.com sky.com virginmedia.com ntlworld.com bigpond.com
    optusnet.com.au shaw.ca rogers.com sympatico.ca comcast.net verizon.net att.net sbcglobal.net cox.net
    earthlink.net charter.net bellsouth.net hushmail.com fastmail.com fastmail.fm hey.com skynet.be
    telenet.be ziggo.nl kpnmail.nl hetnet.nl planet.nl bluewin.ch sunrise.ch uol.com.br bol.com.br
    terra.com.br ig.com.br
    """.split()
)

MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "job_title": 150,
    "company": 200,
    "industry": 100,
    "utm_source": 255,
    "utm_medium": 255,
    "utm_campaign": 255,
    "utm_term": 255,
    "utm_content": 255,
    "referrer": 2000,
    "landing_page": 2000,
}
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company",
    "industry",
    "seniority",
    "country",
    "phone",
    "employee_band",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
    "email",
    "employees",
    "consent",
)
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|javascript:", re.IGNORECASE)


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str

    def as_dict(self):
        return {"code": self.code, "reason": self.reason}


@dataclass
class CleaningRules:
    test_patterns: list[str] = field(default_factory=list)
    competitor_domains: list[str] = field(default_factory=list)
    extra_disposable_domains: list[str] = field(default_factory=list)
    extra_free_mail_domains: list[str] = field(default_factory=list)


@dataclass
class CleanedLead:
    """The lead's values made safe to store, the identity key, and every flag raised."""

    values: dict[str, str]
    email: str = ""
    email_key: str = ""
    email_domain: str = ""
    phone_e164: str = ""
    flags: list[Flag] = field(default_factory=list)

    @property
    def is_junk(self):
        return any(flag.code in JUNK_FLAGS for flag in self.flags)

    def flag(self, code, reason):
        self.flags.append(Flag(code, reason))


def clean_text(value, max_length=None) -> tuple[str, bool]:
    """Any value as a single line of printable text; returns (text, was_truncated)."""
    if value is None:
        return "", False
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    text = unicodedata.normalize("NFC", str(value))
    # Control and format characters (NUL, escape sequences, bidi overrides) never reach storage.
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if max_length and len(text) > max_length:
        return text[:max_length].rstrip(), True
    return text, False


def email_identity_key(email: str) -> str:
    """jane.doe+news@Example.COM -> jane.doe@example.com: one mailbox, one person.

    Only a sub-address (`+tag` after a mailbox name) is folded. An address whose local part starts
    with "+" (`+sales@acme.de`, `+2+3@acme.de`) has no mailbox name before it: each such address is
    its own mailbox, so it keeps its whole local part. Folding it would give every one of them the
    key `@acme.de`, and a submission from one would merge into the person of another."""
    local, _, domain = email.rpartition("@")
    mailbox = local.split("+", 1)[0] or local
    return f"{mailbox.lower()}@{domain.lower()}"


def normalise_email(raw: str) -> tuple[str, str]:
    """(normalised email, '') or ('', reason) using email-validator's syntax rules, no DNS."""
    if not raw:
        return "", "no email address given"
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        return "", str(error)
    # Domains are case-insensitive; local parts technically are not, but no real mail system
    # treats them so and people type them both ways.
    return result.normalized.lower(), ""


def is_fake_phone_digits(digits: str) -> str:
    """A reason if the national number is one digit repeated or a straight run; '' otherwise."""
    if len(digits) >= 6 and len(set(digits)) == 1:
        return "the same digit repeated"
    for run in ("0123456789012345", "9876543210987654"):
        if len(digits) >= 6 and digits in run:
            return "a run of consecutive digits"
    return ""


# Numbers regulators set aside for films, books and examples: valid to libphonenumber, never a
# person's. By country calling code, the national numbers' leading digits (no trunk 0).
PLACEHOLDER_PREFIXES = {
    # Ofcom's drama numbers: 07700 900xxx, 020 7946 0xxx, 0113/0114/0115/0116/0117/0118 496 0xxx,
    # 0121 and the other big cities, 029 2018 0xxx, 028 9649 6xxx, 01632 960xxx, 0808 157 0xxx,
    # 0909 879 0xxx, 0306 999 0xxx.
    44: tuple(
        "7700900 2079460 1134960 1144960 1154960 1164960 1174960 1184960 1214960 1314960 1414960 1514960 "
        "1614960 1914980 2920180 2896496 1632960 8081570 9098790 3069990".split()
    ),
}
# North America: 555-0100 to 555-0199 in every area code are fictional.
NANP_FICTIONAL = re.compile(r"^\d{3}55501\d{2}$")


def made_up_phone_reason(number: phonenumbers.PhoneNumber) -> str:
    """Why a parsed number cannot be anyone's: one digit repeated or a straight run, a real area code
    or mobile prefix followed by one digit repeated ("030 0000000", "0151 11111111", "212 555 5555"),
    or a placeholder number. A real number that merely contains repeated digits ("089 1111 2345",
    "030 2000000") passes."""
    national = str(number.national_number)
    fake = is_fake_phone_digits(national)
    if fake:
        return fake
    prefix_length = phonenumbers.length_of_national_destination_code(number)
    subscriber = national[prefix_length:]
    if prefix_length and len(subscriber) >= 5 and len(set(subscriber)) == 1:
        return "a real prefix followed by the same digit repeated"
    if number.country_code == 1 and NANP_FICTIONAL.match(national):
        return "a fictional 555-01xx number"
    if national.startswith(PLACEHOLDER_PREFIXES.get(number.country_code, ())):
        return "a number set aside for films and examples"
    return ""


def normalise_phone(raw: str, country: str = "") -> tuple[str, str]:
    """(E.164 phone, '') or ('', reason). Without a +country prefix the person's country is used."""
    if not raw:
        return "", ""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException as error:
        return "", f"not a phone number ({error._msg})"
    fake = made_up_phone_reason(number)
    if fake:
        return "", f"looks made up: {fake}"
    if not phonenumbers.is_valid_number(number):
        return "", "not a valid number for its country"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def _matches_test_pattern(pattern: str, *, email_local: str, email_domain: str, names: list[str]) -> bool:
    if "." in pattern:
        return email_domain == pattern or email_domain.endswith("." + pattern)
    word = re.compile(rf"(?<![a-z0-9]){re.escape(pattern)}(?![a-z0-9])")
    return any(word.search(text.lower()) for text in [email_local, *names] if text)


def clean_lead(fields: dict, rules: CleaningRules) -> CleanedLead:
    """Normalise the captured fields and flag everything suspicious, with reasons."""
    values = {}
    cleaned = CleanedLead(values=values)
    for name in TEXT_FIELDS:
        text, truncated = clean_text(fields.get(name), MAX_LENGTHS.get(name, 500))
        values[name] = text
        if truncated:
            cleaned.flag("truncated", f"{name} was longer than {MAX_LENGTHS.get(name, 500)} characters and was cut")

    for name in ("first_name", "last_name", "company", "job_title"):
        if MARKUP.search(values[name]):
            cleaned.flag("markup", f"{name} contains HTML or script")

    email, problem = normalise_email(values["email"])
    if not values["email"]:
        cleaned.flag("missing_email", "no email address given")
    elif problem:
        cleaned.flag("invalid_email", f"email {values['email'][:100]!r} is not valid: {problem}")
    else:
        cleaned.email = email
        cleaned.email_key = email_identity_key(email)
        cleaned.email_domain = email.rpartition("@")[2]

    domain = cleaned.email_domain
    if domain:
        if domain in DISPOSABLE_DOMAINS or domain in rules.extra_disposable_domains:
            cleaned.flag("disposable_email", f"{domain} is a throwaway-mailbox service")
        elif domain in FREE_MAIL_DOMAINS or domain in rules.extra_free_mail_domains:
            cleaned.flag("personal_email", f"{domain} is a personal mailbox provider, not a company")
        if any(domain == d or domain.endswith("." + d) for d in rules.competitor_domains):
            cleaned.flag("competitor", f"{domain} is on the competitor list")

    names = [values["first_name"], values["last_name"], values["company"]]
    email_local = cleaned.email.rpartition("@")[0] if cleaned.email else values["email"].lower()
    for pattern in rules.test_patterns:
        if _matches_test_pattern(pattern, email_local=email_local, email_domain=domain, names=names):
            cleaned.flag("test_data", f"matches the test-data pattern {pattern!r}")
            break

    phone, problem = normalise_phone(values["phone"], values["country"])
    if problem:
        cleaned.flag("invalid_phone", f"phone {values['phone'][:40]!r} is {problem}")
    cleaned.phone_e164 = phone
    values["country"] = values["country"].upper() if re.fullmatch(r"[A-Za-z]{2}", values["country"]) else ""
    return cleaned
