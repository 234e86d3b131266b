"""Receiving one CRM change, once: whom it names, the deal brought up to date, the people's stages.

- An event id is taken once (CrmFeedbackEvent.event_id is unique): a replay answers what the first call
  answered, also when both copies arrive at the same instant.
- Newest wins by the CRM's own time: an event older than the deal's crm_changed_at is recorded (outcome
  "stale") and changes nothing, so events may arrive in any order.
- The people on the deal follow it (lifecycle.stage_change, reason type CRM, at the CRM's time, so
  stage velocity is true): see _stage_wanted for the rules, docs/crm-feedback.md for why.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from leads.models import Company, CompanyDomain, CrmFeedbackEvent, Deal, Person, PersonMerge, Stage, StageTransition
from leads.selectors import person_by_email
from leads.services.lifecycle import stage_change
from leads.signals import people_changed, send_after_commit

from .reading import CENT, CUSTOMER, LOST, MAX_AMOUNT, OPPORTUNITY, UNSET, FeedbackEvent, currency_rate
from .refusals import FeedbackRefused, invalid

logger = logging.getLogger(__name__)

DEAL_STATUS = {OPPORTUNITY: Deal.Status.OPEN, CUSTOMER: Deal.Status.WON, LOST: Deal.Status.LOST}
# A deal named by its company alone concerns the company's people whom sales is working or has won.
COMPANY_DEAL_STAGES = (Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)
MAX_PEOPLE_PER_COMPANY_DEAL = 200  # beyond this a company-level change moves nobody (it is still recorded)
# People whom a lost deal sends back to nurture: only those sales had in hand.
RECYCLED_FROM = (Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)
MERGE_HOPS = 10


@dataclass
class FeedbackResult:
    event_id: str
    opportunity_id: str
    status: str  # the deal's status after this event
    stale: bool = False
    duplicate: bool = False
    stage_changes: list[dict] = field(default_factory=list)  # {"person": "PID-1", "from": ..., "to": ...}
    warnings: list[str] = field(default_factory=list)
    deal_id: int | None = None  # kept on the event row, not answered

    def as_dict(self) -> dict:
        return {
            "event_id": self.event_id,
            "opportunity_id": self.opportunity_id,
            "status": self.status,
            "stale": self.stale,
            "duplicate": self.duplicate,
            "stage_changes": self.stage_changes,
            "warnings": self.warnings,
        }


def feedback_receive(event: FeedbackEvent, *, body: str) -> FeedbackResult:
    """Apply one CRM change, once. Raises FeedbackRefused for a person or company we do not know, or an
    amount that cannot be reported."""
    existing = _duplicate(event.event_id)
    if existing is not None:
        return existing
    person, company, warnings = _whom(event)
    try:
        # The event row first: a second copy of this event waits on its unique id until this one
        # commits, then finds it (below) instead of applying the change twice.
        with transaction.atomic():
            record = CrmFeedbackEvent.objects.create(
                event_id=event.event_id, body=body, outcome=CrmFeedbackEvent.Outcome.APPLIED
            )
            result = _apply(event, person, company)
            result.warnings = warnings
            record.deal_id = result.deal_id
            record.outcome = CrmFeedbackEvent.Outcome.STALE if result.stale else CrmFeedbackEvent.Outcome.APPLIED
            record.response = result.as_dict()
            record.save(update_fields=["deal", "outcome", "response"])
    except IntegrityError:
        existing = _duplicate(event.event_id)
        if existing is None:  # not a duplicate event after all: a real database problem
            raise
        return existing
    logger.info(
        "CRM feedback %s: deal %s (id %s) %s%s",
        event.event_id,
        event.opportunity_id,
        result.deal_id,
        result.status,
        " (stale, ignored)" if result.stale else "",
    )
    return result


def _duplicate(event_id: str) -> FeedbackResult | None:
    record = CrmFeedbackEvent.objects.filter(event_id=event_id).only("response").first()
    if record is None:
        return None
    answer = dict(record.response or {})
    return FeedbackResult(
        event_id=event_id,
        opportunity_id=answer.get("opportunity_id", ""),
        status=answer.get("status", ""),
        stale=bool(answer.get("stale")),
        duplicate=True,
        stage_changes=list(answer.get("stage_changes") or []),
        warnings=list(answer.get("warnings") or []),
    )


# --- whom the event names ------------------------------------------------------------------------


def _unknown(what: str, field: str, detail: str) -> FeedbackRefused:
    return FeedbackRefused(422, f"unknown_{what}", detail, field=field)


def _person_by_pid(pid: int) -> Person | None:
    """The person with this id, or the one it was merged into (a merge keeps the older id)."""
    for _ in range(MERGE_HOPS):
        person = Person.objects.filter(pk=pid).first()
        if person is not None:
            return person
        kept = PersonMerge.objects.filter(merged_person_id=pid).values_list("kept_id", flat=True).first()
        if kept is None:
            return None
        pid = kept
    return None


def _person_by_email(email: str) -> Person | None:
    person = person_by_email(email)
    if person is None:  # an address of somebody merged into another person since
        kept = PersonMerge.objects.filter(merged_email__iexact=email).values_list("kept_id", flat=True).first()
        person = _person_by_pid(kept) if kept else None
    return person


def _person(event: FeedbackEvent) -> Person | None:
    by_pid = by_email = None
    if event.person_pid:
        by_pid = _person_by_pid(event.person_pid)
        if by_pid is None:
            raise _unknown("person", "person.pid", f'"person.pid": nobody is PID-{event.person_pid}.')
    if event.person_email:
        by_email = _person_by_email(event.person_email)
        # With a known PID, an address the CRM has and we do not (changed since) does not matter.
        if by_email is None and by_pid is None:
            raise _unknown("person", "person.email", '"person.email": nobody in the lead store has this address.')
    if by_pid and by_email and by_pid.pk != by_email.pk:
        raise invalid("person", f'"person": PID-{by_pid.pk} and the address name two different people.')
    return by_pid or by_email


def _company(event: FeedbackEvent) -> tuple[Company | None, str]:
    """The company named, and which field named it when it is unknown ("" when known or not named)."""
    by_cid = by_domain = None
    if event.company_cid:
        by_cid = Company.objects.filter(pk=event.company_cid).first()
        if by_cid is None:
            return None, "company.cid"
    if event.company_domain:
        row = CompanyDomain.objects.filter(domain=event.company_domain).select_related("company").first()
        by_domain = row.company if row else None
        if by_domain is None and by_cid is None:
            return None, "company.domain"
    if by_cid and by_domain and by_cid.pk != by_domain.pk:
        raise invalid("company", f'"company": CID-{by_cid.pk} and the domain name two different companies.')
    return by_cid or by_domain, ""


def _whom(event: FeedbackEvent) -> tuple[Person | None, Company | None, list[str]]:
    person = _person(event)
    company, unknown_field = _company(event)
    warnings = []
    if unknown_field:
        if person is None:  # the company is all the event names: it has to be ours
            raise _unknown("company", unknown_field, f'"{unknown_field}": no company in the lead store matches.')
        # The person anchors the deal; a company we hold under another domain is theirs.
        warnings.append(f"{unknown_field}: no company matches; the person's company is used.")
    return person, company, warnings


# --- the deal ------------------------------------------------------------------------------------


def _locked_deal(event: FeedbackEvent) -> tuple[Deal, bool]:
    """The deal, locked for this transaction, made when it is new; and whether it was made now."""
    deal = Deal.objects.select_for_update().filter(crm_id=event.opportunity_id).first()
    if deal is not None:
        return deal, False
    try:
        with transaction.atomic():  # a savepoint: a deal made by a concurrent event is taken below
            deal = Deal.objects.create(
                crm_id=event.opportunity_id,
                currency=event.currency or settings.REPORT_CURRENCY,
                opened_at=event.opened_at or event.changed_at,
                crm_changed_at=event.changed_at,
            )
            return deal, True
    except IntegrityError:
        return Deal.objects.select_for_update().get(crm_id=event.opportunity_id), False


def _report_amount(amount: Decimal, currency: str) -> Decimal:
    rate = currency_rate(currency)
    if rate is None:  # the deal's currency lost its rate since it arrived
        raise invalid("currency", f'"currency": no rate for {currency} to {settings.REPORT_CURRENCY} any more.')
    converted = (amount * rate).quantize(CENT)
    if converted > MAX_AMOUNT:
        raise invalid("amount", f'"amount" is larger than {MAX_AMOUNT} {settings.REPORT_CURRENCY}.')
    return converted


def _deal_update(deal: Deal, event: FeedbackEvent, person: Person | None, company: Company | None) -> None:
    deal.status = DEAL_STATUS[event.stage]
    if event.amount is not None:
        deal.amount = event.amount
    if event.currency:
        deal.currency = event.currency
    deal.amount_report = _report_amount(deal.amount, deal.currency)
    if event.close_date is not UNSET:
        deal.close_date = event.close_date
    if event.opened_at:
        deal.opened_at = event.opened_at
    if person is not None:
        deal.person = person
    if company is not None:
        deal.company = company
    elif deal.company_id is None and person is not None:
        deal.company_id = person.company_id
    deal.crm_changed_at = event.changed_at
    deal.save()


def _apply(event: FeedbackEvent, person: Person | None, company: Company | None) -> FeedbackResult:
    deal, created = _locked_deal(event)
    result = FeedbackResult(event_id=event.event_id, opportunity_id=deal.crm_id, status=deal.status, deal_id=deal.pk)
    if not created and event.changed_at < deal.crm_changed_at:
        result.stale = True  # the deal already holds a newer change: recorded, nothing else
        return result
    previous_status = None if created else deal.status
    _deal_update(deal, event, person, company)
    result.status = deal.status
    touched = _deal_people(deal)
    for someone in touched:
        result.stage_changes += _person_follow(someone, deal, previous_status, event)
    if touched:  # revenue rollups read deals per person: they refresh these people after commit
        send_after_commit(people_changed, person_ids=[someone.pk for someone in touched])
    return result


# --- the people on the deal ----------------------------------------------------------------------


def _deal_people(deal: Deal) -> list[Person]:
    """The deal's contact; a deal named by its company alone concerns the company's people whom sales
    is working or has won (SQL, opportunity, customer), unless there are implausibly many."""
    if deal.person_id:
        return list(Person.objects.select_for_update().filter(pk=deal.person_id))
    if deal.company_id is None:
        return []
    people = list(
        Person.objects.select_for_update()
        .filter(company_id=deal.company_id, stage__in=COMPANY_DEAL_STAGES)
        .order_by("pk")[: MAX_PEOPLE_PER_COMPANY_DEAL + 1]
    )
    if len(people) > MAX_PEOPLE_PER_COMPANY_DEAL:
        logger.warning("CRM feedback: deal %s names company %s of too many people; nobody moved", deal, deal.company)
        return []
    return people


def _other_deal_statuses(person: Person, deal: Deal) -> set[str]:
    """The statuses of the person's other deals: their own, and their company's deals with no contact."""
    mine = Q(person=person)
    if person.company_id:
        mine |= Q(person__isnull=True, company_id=person.company_id)
    return set(Deal.objects.filter(mine).exclude(pk=deal.pk).values_list("status", flat=True))


def _stage_wanted(person: Person, deal: Deal, previous_status: str | None) -> str | None:
    """Where the person's deals put them, or None to leave them where they are.

    Their deals decide: any won makes a customer, else any open an opportunity, else (all lost) they are
    recycled to nurture. Two exceptions keep this from undoing work done elsewhere: a customer stays a
    customer (an upsell lost is no reason to forget they buy) unless this very deal made them one and
    is no longer won (the CRM corrected itself); and a lost deal recycles only people sales had in hand
    (SQL, opportunity, customer), not a lead, an MQL or somebody disqualified.
    """
    statuses = _other_deal_statuses(person, deal) | {deal.status}
    if Deal.Status.WON in statuses:
        wanted = Stage.CUSTOMER
    elif Deal.Status.OPEN in statuses:
        wanted = Stage.OPPORTUNITY
    else:
        wanted = Stage.NURTURE
    current = person.stage
    if wanted == current:
        return None
    unwon = previous_status == Deal.Status.WON and deal.status != Deal.Status.WON
    if current == Stage.CUSTOMER and not unwon:
        return None
    if wanted == Stage.NURTURE and current not in RECYCLED_FROM:
        return None
    return wanted


def _money(deal: Deal) -> str:
    return f"{deal.amount:,.2f} {deal.currency}"


def _person_follow(person: Person, deal: Deal, previous_status: str | None, event: FeedbackEvent) -> list[dict]:
    """Move the person where the deal puts them, at the CRM's time; the moves made, for the answer."""
    wanted = _stage_wanted(person, deal, previous_status)
    if wanted is None:
        return []
    moves = []
    if wanted == Stage.CUSTOMER and person.stage not in (Stage.OPPORTUNITY, Stage.CUSTOMER):
        # Won without an open stage we heard of: the funnel still counts the opportunity, at the time
        # the CRM says it opened (never after it was won).
        moves.append(
            _move(person, Stage.OPPORTUNITY, min(deal.opened_at, event.changed_at), f"opportunity {deal.crm_id} opened")
        )
    words = {
        Stage.OPPORTUNITY: f"opportunity {deal.crm_id} open ({_money(deal)})",
        Stage.CUSTOMER: f"opportunity {deal.crm_id} won ({_money(deal)})",
        Stage.NURTURE: f"opportunity {deal.crm_id} {deal.get_status_display().lower()}; recycled to nurture",
    }
    moves.append(_move(person, wanted, event.changed_at, words[wanted]))
    return moves


def _move(person: Person, stage: str, at, what: str) -> dict:
    before = person.stage
    stage_change(person, stage, reason_type=StageTransition.ReasonType.CRM, reason=f"CRM: {what}", at=at)
    return {"person": person.pid, "from": before, "to": stage}
