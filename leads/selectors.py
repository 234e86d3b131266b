"""Reads of the lead store for other apps (forms, personalisation, events): small, indexed queries."""

from leads.models import Lead, Person, VisitorLink

from .services.identity import valid_visitor_id

# The answers a form can skip for a known person: canonical field name -> how to read it.
KNOWN_ANSWERS = {
    "email": lambda p: p.email,
    "first_name": lambda p: p.first_name,
    "last_name": lambda p: p.last_name,
    "job_title": lambda p: p.job_title,
    "phone": lambda p: p.phone,
    "country": lambda p: p.country,
    "seniority": lambda p: p.seniority,
    "company": lambda p: p.company.name if p.company_id else "",
    "industry": lambda p: p.company.industry if p.company_id else "",
    "employee_band": lambda p: p.company.employee_band if p.company_id else "",
    "employees": lambda p: str(p.company.employee_count or "") if p.company_id else "",
}


def person_for_visitor(visitor_id: str) -> Person | None:
    """The person a visitor id was last linked to by a form fill, or None for an anonymous visitor."""
    visitor_id = valid_visitor_id(visitor_id or "")
    if not visitor_id:
        return None
    link = (
        VisitorLink.objects.filter(visitor_id=visitor_id)
        .select_related("person__company")
        .order_by("-last_linked_at")
        .first()
    )
    return link.person if link else None


def person_known_answers(person: Person | None) -> dict[str, str]:
    """What the lead store already knows about a person, under the canonical field names."""
    if person is None:
        return {}
    answers = {name: read(person) for name, read in KNOWN_ANSWERS.items()}
    return {name: value for name, value in answers.items() if value}


def person_has_converted(person: Person | None, *, origin_type: str, origin_id: str) -> bool:
    """Whether this person has already filled in the form for this object (e.g. a whitepaper)."""
    if person is None:
        return False
    return Lead.objects.filter(person=person, origin_type=origin_type, origin_id=str(origin_id)).exists()


def lead_owner(lead_id: int) -> tuple[bool, int | None]:
    """(whether the lead exists, the person it was resolved to, None until it is processed)."""
    row = Lead.objects.filter(pk=lead_id).values_list("person_id", flat=True).first()
    exists = row is not None or Lead.objects.filter(pk=lead_id).exists()
    return exists, row


def person_by_id(person_id) -> Person | None:
    return Person.objects.filter(pk=person_id).first() if person_id else None
