"""Reads of the lead store for other apps (forms, personalisation, events): small, indexed queries."""

from dataclasses import dataclass

from django.db.models import Aggregate, CharField, OuterRef, Subquery
from django.db.models.functions import Lower

from leads.models import Interaction, Lead, Person, PersonTag, Tag, VisitorLink

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


# --- Person facts for personalisation ------------------------------------------------------------
@dataclass(frozen=True)
class PersonFacts:
    """What segments may ask about a known person. Read in one query (see person_facts)."""

    person_id: int
    first_name: str
    industry: str
    company_size: str
    country: str
    stage: str
    grade: str
    fit_score: int
    interest_score: float
    downloaded: frozenset = frozenset()
    registered: frozenset = frozenset()

    @property
    def score(self) -> float:
        return self.fit_score + self.interest_score


class _ObjectIds(Aggregate):
    """The object ids of a person's interactions, comma-separated (GROUP_CONCAT / STRING_AGG)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s(%(expressions)s, ',')", **extra_context
        )


def _interaction_ids(interaction_type: str):
    return Subquery(
        Interaction.objects.filter(person=OuterRef("pk"), type=interaction_type)
        .exclude(object_id="")
        .values("person")
        .annotate(ids=_ObjectIds("object_id"))
        .values("ids")[:1]
    )


def person_facts(person_id) -> PersonFacts | None:
    """A person's attributes, company, stage, grade, scores, downloads and event registrations: one query."""
    if not person_id:
        return None
    row = (
        Person.objects.filter(pk=person_id)
        .annotate(
            downloaded_ids=_interaction_ids("content_download"), registered_ids=_interaction_ids("event_registered")
        )
        .values_list(
            "pk",
            "first_name",
            "company__industry",
            "company__employee_band",
            "country",
            "stage",
            "grade",
            "fit_score",
            "interest_score",
            "downloaded_ids",
            "registered_ids",
        )
        .first()
    )
    if row is None:
        return None
    pk, first_name, industry, band, country, stage, grade, fit, interest, downloaded, registered = row
    return PersonFacts(
        person_id=pk,
        first_name=first_name,
        industry=(industry or "").lower(),
        company_size=band or "",
        country=country,
        stage=stage,
        grade=grade,
        fit_score=fit,
        interest_score=interest,
        downloaded=frozenset(filter(None, (downloaded or "").split(","))),
        registered=frozenset(filter(None, (registered or "").split(","))),
    )


def person_by_email(email: str) -> Person | None:
    from leads.cleaning import email_identity_key

    email = (email or "").strip()
    return Person.objects.filter(email_key=email_identity_key(email)).first() if "@" in email else None


def person_tags(person_or_id) -> list:
    """The person's tags, by name (one query)."""
    person_id = getattr(person_or_id, "pk", person_or_id)
    return list(Tag.objects.filter(person_tags__person_id=person_id).order_by(Lower("name"), "pk"))


def people_tags(person_ids) -> dict[int, list]:
    """{person id: their tags by name} for many people in one query (a page of a list, a batch)."""
    ids = [int(pk) for pk in person_ids]
    tags: dict[int, list] = {pk: [] for pk in ids}
    rows = PersonTag.objects.filter(person_id__in=ids).select_related("tag").order_by(Lower("tag__name"), "tag_id")
    for row in rows:
        tags[row.person_id].append(row.tag)
    return tags
