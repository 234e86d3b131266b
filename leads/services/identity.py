"""Identity resolution: one person per mailbox, one company per business domain.

The update rule for attributes, applied on every capture: a new value that is non-blank and valid
replaces the stored one (people change jobs and numbers); a blank or invalid value never replaces
anything; junk leads (test data, competitors, ...) create a person if none exists but never change
an existing one.
"""

import re
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from leads.cleaning import CleanedLead
from leads.models import (
    EMPLOYEE_BANDS,
    Company,
    CompanyDomain,
    Consent,
    Deal,
    Interaction,
    Lead,
    Person,
    PersonMerge,
    Seniority,
    VisitorLink,
)
from leads.signals import people_changed, send_after_commit, visitor_identified

from .visitor_history import shared_browser_log, visitor_history_join

VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
SENIORITY_WORDS = [
    (Seniority.C_LEVEL, r"\b(ceo|cto|cfo|coo|cmo|cio|ciso|cro|chief|founder|owner|president|managing director)\b"),
    (Seniority.VP, r"\b(vp|svp|evp|vice president)\b"),
    (Seniority.DIRECTOR, r"\b(director|head of|head)\b"),
    (Seniority.MANAGER, r"\b(manager|lead|team lead|supervisor)\b"),
    (Seniority.STUDENT, r"\b(student|intern|trainee|apprentice)\b"),
]
BAND_CHOICES = {value for value, _ in EMPLOYEE_BANDS}


def valid_visitor_id(visitor_id: str) -> str:
    """The visitor id if it has the shape our cookie issues, else '' (never trust a raw cookie)."""
    return visitor_id if visitor_id and VISITOR_ID.fullmatch(visitor_id) else ""


def new_visitor_id() -> str:
    """A fresh visitor id (v_ + 24 URL-safe characters): the one shape forms and personalisation issue."""
    return "v_" + secrets.token_urlsafe(18)


def seniority_for(seniority: str, job_title: str) -> str:
    if seniority in Seniority.values:
        return seniority
    title = job_title.lower()
    for level, pattern in SENIORITY_WORDS:
        if re.search(pattern, title):
            return level
    return ""


def employee_band_for(count: int | None) -> str:
    if count is None:
        return ""
    for upper, band in ((49, "1-49"), (249, "50-249"), (999, "250-999"), (4999, "1000-4999")):
        if count <= upper:
            return band
    return "5000+"


def _employee_count(raw: str) -> int | None:
    digits = raw.replace(",", "").replace(".", "").strip()
    return int(digits) if digits.isdigit() and 0 < len(digits) <= 7 else None


def company_resolve(cleaned: CleanedLead) -> Company | None:
    """The company by business email domain, else by the submitted name; created when new.

    Personal and throwaway mailboxes never make a company from their domain.
    """
    values = cleaned.values
    name = values.get("company", "")
    business_domain = cleaned.email_domain
    if any(flag.code in {"personal_email", "disposable_email"} for flag in cleaned.flags):
        business_domain = ""
    count = _employee_count(values.get("employees", ""))
    band = values.get("employee_band") if values.get("employee_band") in BAND_CHOICES else employee_band_for(count)
    attributes = {"industry": values.get("industry", ""), "employee_band": band, "employee_count": count}
    attributes = {key: value for key, value in attributes.items() if value not in ("", None)}

    company = None
    if business_domain:
        link = CompanyDomain.objects.select_related("company").filter(domain=business_domain).first()
        if link:
            company = link.company
        else:
            try:
                with transaction.atomic():
                    company = Company.objects.create(
                        name=name or business_domain, name_key=_name_key(name or business_domain), **attributes
                    )
                    CompanyDomain.objects.create(company=company, domain=business_domain)
                    return company
            except IntegrityError:  # another capture created this domain's company just now
                company = CompanyDomain.objects.select_related("company").get(domain=business_domain).company
    elif name:
        company = Company.objects.filter(name_key=_name_key(name)).order_by("pk").first()
        if company is None:
            return Company.objects.create(name=name, name_key=_name_key(name), **attributes)
    if company is not None:
        _update_fields(company, attributes)
    return company


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())[:200]


def _update_fields(instance, new_values: dict) -> None:
    changed = [key for key, value in new_values.items() if value not in ("", None) and getattr(instance, key) != value]
    for key in changed:
        setattr(instance, key, new_values[key])
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])


def _person_values(cleaned: CleanedLead) -> dict:
    values = cleaned.values
    consent = values.get("consent", "").lower()
    return {
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "phone": cleaned.phone_e164,
        "job_title": values.get("job_title", ""),
        "seniority": seniority_for(values.get("seniority", "").lower(), values.get("job_title", "")),
        "country": values.get("country", ""),
        "consent": consent if consent in {Consent.GRANTED, Consent.DENIED, Consent.WITHDRAWN} else "",
    }


def person_consent_set(person: Person, consent: str) -> bool:
    """Set the person's marketing consent outside a capture: a confirmed double opt-in (granted), an
    unsubscribe (withdrawn). The evidence (wording, time, how) is the caller's consent record. Rescored,
    since fit rules may read consent. False when it already was that."""
    from .scoring import person_rescore

    if consent not in (Consent.GRANTED, Consent.DENIED, Consent.WITHDRAWN):
        raise ValueError(f"consent: one of granted, denied, withdrawn, not {consent!r}")
    if (
        not Person.objects.filter(pk=person.pk)
        .exclude(consent=consent)
        .update(consent=consent, updated_at=timezone.now())
    ):
        return False
    person.consent = consent
    person_rescore(person)
    return True


def person_resolve(cleaned: CleanedLead) -> Person:
    """The person for this mailbox, created on first sight; two simultaneous captures make one."""
    codes = {flag.code for flag in cleaned.flags}
    flags = {
        "is_test": "test_data" in codes,
        "is_competitor": "competitor" in codes,
        "is_personal_email": "personal_email" in codes,
    }
    values = _person_values(cleaned)
    person = Person.objects.filter(email_key=cleaned.email_key).first()
    if person is None:
        company = company_resolve(cleaned)
        try:
            with transaction.atomic():
                return Person.objects.create(
                    email=cleaned.email,
                    email_key=cleaned.email_key,
                    company=company,
                    **{key: value for key, value in values.items() if value},
                    **flags,
                )
        except IntegrityError:  # the same email arrived in another request at the same instant
            person = Person.objects.get(email_key=cleaned.email_key)
    if cleaned.is_junk:
        return person
    company = company_resolve(cleaned)
    if company is not None:
        values["company"] = company
    values["is_personal_email"] = flags["is_personal_email"]
    _update_fields(person, values)
    return person


def visitor_link(person: Person, visitor_id: str, *, at=None, source: str = "lead") -> VisitorLink | None:
    """Record that this visitor id belongs to the person (one person, many visitor ids).

    `source` says how we learnt it: "lead" (a form fill or import) or "merge" (the person it belonged to
    was merged into this one); personalisation credits conversions for "lead" only.
    """
    visitor_id = valid_visitor_id(visitor_id)
    if not visitor_id:
        return None
    at = at or timezone.now()
    link, created = VisitorLink.objects.get_or_create(
        visitor_id=visitor_id, person=person, defaults={"last_linked_at": at}
    )
    if not created and link.last_linked_at < at:
        VisitorLink.objects.filter(pk=link.pk).update(last_linked_at=at)
    if created:
        shared_browser_log(person, visitor_id)
    # Anonymous activity of this visitor before anyone identified on it now belongs to the person.
    visitor_history_join(person, visitor_id, at=at)
    send_after_commit(visitor_identified, visitor_id=visitor_id, person_id=person.pk, at=at, source=source)
    return link


@transaction.atomic
def person_merge(*, keep: Person, merge: Person, by=None) -> PersonMerge:
    """Merge `merge` into `keep`: the older id survives, every row moves, the merge is logged."""
    if keep.pk == merge.pk:
        raise ValueError("A person cannot be merged into themselves.")
    if merge.pk < keep.pk:
        keep, merge = merge, keep
    snapshot = {field.attname: str(getattr(merge, field.attname)) for field in Person._meta.concrete_fields}
    moved = {
        "leads": Lead.objects.filter(person=merge).update(person=keep),
        "interactions": Interaction.objects.filter(person=merge).update(person=keep),
        "stage_transitions": merge.stage_transitions.update(person=keep),
        # Pushes still queued for the merged person must survive its deletion, as must its own merge log.
        "crm_deliveries": merge.crm_deliveries.update(person=keep),
        # The CRM's opportunities with the merged person are the survivor's: their revenue follows them.
        "deals": Deal.objects.filter(person=merge).update(person=keep),
        "merge_logs": merge.merges.update(kept=keep),
        # Tags keep has stay as they are (when, who, how); the merged person's others move.
        "tags": merge.person_tags.exclude(tag_id__in=keep.person_tags.values("tag_id")).update(person=keep),
    }
    existing = set(keep.visitor_links.values_list("visitor_id", flat=True))
    merged_visitors = set(merge.visitor_links.values_list("visitor_id", flat=True))
    moved["visitor_links"] = merge.visitor_links.filter(~Q(visitor_id__in=existing)).update(person=keep)
    for visitor_id in merged_visitors:  # the merged person's browsers now belong to the survivor
        send_after_commit(
            visitor_identified, visitor_id=visitor_id, person_id=keep.pk, at=timezone.now(), source="merge"
        )
    for field in ("first_name", "last_name", "phone", "job_title", "seniority", "country", "company_id", "owner_id"):
        if not getattr(keep, field) and getattr(merge, field):
            setattr(keep, field, getattr(merge, field))
    keep.do_not_contact = keep.do_not_contact or merge.do_not_contact
    keep.save()
    merge_pk = merge.pk
    log = PersonMerge.objects.create(
        kept=keep, merged_person_id=merge.pk, merged_email=merge.email, snapshot=snapshot, moved=moved, merged_by=by
    )
    merge.delete()
    send_after_commit(people_changed, person_ids=[keep.pk, merge_pk])
    from .scoring import person_rescore  # its interactions changed

    person_rescore(keep)
    return log
