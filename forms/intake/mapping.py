"""Mapping a provider's answers to our field names (the names leads.services.capture.lead_capture reads).

Providers name the same question many ways ("Work Email", "businessEmail", "e-mail"): names are normalised,
then looked up in ALIASES; a full name is split, company sizes and consent words are read.
"""

import re

from leads.services.tags import TagError, tag_names_parse

from .refusals import IntakeRejected

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
    "tags": ("tags", "tag", "labels"),
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


def fields_with_tags(payload: dict, fields: dict[str, str]) -> dict[str, str]:
    """The lead's tags, checked: a "tags" answer, and/or "tags" beside "fields" or "field_data" (a list
    of names or comma-separated text). A name that cannot be a tag refuses the call (422 naming "tags");
    the lead store puts them on the person when it processes the lead."""
    beside = payload.get("tags") if ("fields" in payload or "field_data" in payload) else None
    if beside is not None and not (
        isinstance(beside, str) or (isinstance(beside, list) and all(isinstance(item, str) for item in beside))
    ):
        raise IntakeRejected(
            422, "invalid_field", '"tags" must be a list of names or comma-separated text.', field="tags"
        )
    names = []
    try:
        for value in (fields.get("tags"), beside):
            names += tag_names_parse(value) if value else []
        names = tag_names_parse(names)  # one per slug, at most a change's worth
    except TagError as error:
        raise IntakeRejected(422, "invalid_field", f'"tags": {error}', field="tags") from None
    fields = {key: value for key, value in fields.items() if key != "tags"}
    if names:
        fields["tags"] = ", ".join(names)
    return fields
