"""Lifecycle stages: lead -> MQL -> SQL -> opportunity -> customer, plus nurture and disqualified.

Any move is allowed, backwards included (recycling is normal); every move is a StageTransition with
its time, reason and actor, so stage velocity can be reported. Reaching MQL, or the high-intent
fast lane, assigns an owner and queues a CRM push in the same transaction.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from leads.models import LeadStoreSettings, Person, Stage, StageTransition
from leads.signals import people_changed, send_after_commit

from .crm import crm_push_queue
from .routing import person_assign
from .scoring import is_marketing_qualified, person_rescore

REASON = StageTransition.ReasonType
# Stages from which the score may promote a person to MQL.
PROMOTABLE = {Stage.LEAD, Stage.NURTURE}


def stage_change(person: Person, to_stage: str, *, reason_type: str, reason: str = "", actor=None, at=None):
    """Move a person to a stage (any direction) and record the transition."""
    if to_stage not in Stage.values:
        raise ValueError(f"Unknown stage {to_stage!r}")
    at = at or timezone.now()
    transition = StageTransition.objects.create(
        person=person,
        from_stage=person.stage,
        to_stage=to_stage,
        reason_type=reason_type,
        reason=reason[:500],
        actor=actor,
        occurred_at=at,
    )
    person.stage, person.stage_changed_at = to_stage, at
    person.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    send_after_commit(people_changed, person_ids=[person.pk])
    return transition


@transaction.atomic  # the outbox promise: the push is recorded with the stage change or not at all
def _hand_to_sales(person: Person, *, event: str, reason: str, reason_type=REASON.RULE, actor=None):
    # Read the stage again under the row's lock: two interactions of one person at the same moment
    # (a check-in and a page view, a rescore and a form fill) hand them to sales once, not twice.
    current = Person.objects.select_for_update().filter(pk=person.pk).values_list("stage", flat=True).first()
    if current not in PROMOTABLE:
        person.stage = current or person.stage
        return None
    transition = stage_change(person, Stage.MQL, reason_type=reason_type, reason=reason, actor=actor)
    person_assign(person)
    crm_push_queue(person, event=event, transition=transition)
    return transition


def stage_rules_apply(person: Person, *, fast_lane_reason: str = "", settings: LeadStoreSettings | None = None):
    """After anything that can change a score (a capture, an interaction, a rescore): promote to MQL
    when the score says so, or at once on the fast lane (contact sales, key accounts). Test,
    competitor and do-not-contact people never go to sales.

    The cool-down after a sales rejection blocks a promotion by the score, not the fast lane: someone
    who asks for sales is never kept waiting, and the transition says it came during the cool-down.
    """
    if person.is_test or person.is_competitor or person.do_not_contact:
        return None
    cooling_down = bool(person.mql_blocked_until and person.mql_blocked_until > timezone.now())
    if fast_lane_reason and person.stage in PROMOTABLE:
        during = " (during the cool-down after a sales rejection)" if cooling_down else ""
        return _hand_to_sales(person, event="fast_lane", reason=f"Fast lane: {fast_lane_reason}{during}")
    if person.stage not in PROMOTABLE or cooling_down:
        return None
    settings = settings or LeadStoreSettings.load()
    if is_marketing_qualified(person, settings):
        return _hand_to_sales(
            person,
            event="mql",
            reason=f"Grade {person.grade} (fit {person.fit_score}, interest {person.interest_score:g}) "
            f"meets the MQL condition",
        )
    return None


def mql_by_hand(person: Person, *, actor, reason: str):
    """Somebody qualified the person by hand (a telemarketer on the phone): an MQL with the same
    hand-over as the score's (an owner, one CRM push "mql"), recorded as the actor's move. None when
    they are past promotion already (an MQL since, in sales' hands).

    A person's own word on the phone is a hand-raise, like a contact-sales request: the cool-down
    after a sales rejection does not hold it back, and the move says it came during the cool-down.
    Test, competitor and do-not-contact people never go to sales (ValueError)."""
    if person.is_test or person.is_competitor or person.do_not_contact:
        raise ValueError("Test data, competitors and do-not-contact people never go to sales.")
    if person.mql_blocked_until and person.mql_blocked_until > timezone.now():
        reason = f"{reason} (during the cool-down after a sales rejection)"
    return _hand_to_sales(person, event="mql", reason=reason, reason_type=REASON.USER, actor=actor)


def mql_condition(settings: LeadStoreSettings, now) -> Q:
    """The MQL condition as a filter, for people annotated with `total` (fit + interest): the
    set-based twin of scoring.is_marketing_qualified, with the cool-down after a rejection."""
    grades = [grade.strip().upper() for grade in settings.mql_grades.split(",") if grade.strip()]
    qualifies = Q(grade__in=grades)
    if settings.mql_min_total is not None:
        qualifies |= Q(total__gte=settings.mql_min_total)
    return qualifies & (Q(mql_blocked_until__isnull=True) | Q(mql_blocked_until__lte=now))


def promotable_people(person_ids=None):
    """People the stage rules may still promote (never test, competitor or do-not-contact people)."""
    people = Person.objects.filter(stage__in=PROMOTABLE, is_test=False, is_competitor=False, do_not_contact=False)
    if person_ids is not None:
        people = people.filter(pk__in=person_ids)
    return people.annotate(total=F("fit_score") + F("interest_score"))


def people_stage_rules_apply(
    *, person_ids=None, settings: LeadStoreSettings | None = None, now=None, batch: int = 500
) -> int:
    """After a rescore of everybody (or of `person_ids`): each person the score now qualifies becomes
    an MQL (owner, CRM push), once. Found with one query; usually few, so each is then promoted as a
    capture would."""
    settings = settings or LeadStoreSettings.load()
    ids = list(
        promotable_people(person_ids)
        .filter(mql_condition(settings, now or timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    promoted = 0
    for start in range(0, len(ids), batch):
        for person in Person.objects.filter(pk__in=ids[start : start + batch]).order_by("pk"):
            promoted += stage_rules_apply(person, settings=settings) is not None
    return promoted


@transaction.atomic
def sales_accept(person: Person, *, actor, note: str = ""):
    return stage_change(
        person, Stage.SQL, reason_type=REASON.SALES_FEEDBACK, reason=note or "Accepted by sales", actor=actor
    )


@transaction.atomic
def sales_reject(person: Person, *, actor, reason: str):
    """Back to nurture with the configured penalty and a cool-down before the next MQL."""
    if not reason.strip():
        raise ValueError("A rejection needs a reason.")
    settings = LeadStoreSettings.load()
    Person.objects.filter(pk=person.pk).update(
        interest_penalty=person.interest_penalty + settings.reject_penalty,
        mql_blocked_until=timezone.now() + timedelta(days=settings.reject_cooldown_days),
    )
    person.refresh_from_db()
    transition = stage_change(
        person,
        Stage.NURTURE,
        reason_type=REASON.SALES_FEEDBACK,
        reason=f"Rejected by sales: {reason.strip()}",
        actor=actor,
    )
    person_rescore(person)
    return transition


@transaction.atomic
def sales_mark(person: Person, stage: str, *, actor=None, reason: str = "", from_crm: bool = False):
    """Opportunity, customer, disqualified...: set by a salesperson or by the CRM."""
    return stage_change(person, stage, reason_type=REASON.CRM if from_crm else REASON.USER, reason=reason, actor=actor)
