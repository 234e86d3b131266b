"""Phone calls: a telemarketer checks a lead by phone and records how the call went.

A call is an interaction of type "call" (object_type "call", object_id the outcome, object_label
"No answer, by Tom" for the timeline; properties {"outcome", "note", "by", "by_id"}), so it is on the
person's timeline and a scoring rule can count it like any other interaction. What it changes:

- qualified: an MQL by hand (lifecycle.mql_by_hand: owner, one CRM push, the actor's stage move);
- with a disqualification reason (reached, not interested, wrong number): disqualified, the reason
  and the outcome in the stage move, by the actor;
- otherwise the stage rules run as after any interaction (a rule may count calls).

A call carries a token (the interaction's unique event id, minted when the call screen was shown):
the same token twice (a double click, a resent form) records one call and one stage move. The
person's row is locked while the call is recorded, so two submissions are read one after the other.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from leads.cleaning import clean_text
from leads.models import Interaction, Person, Stage, StageTransition

from .lifecycle import mql_by_hand, stage_change, stage_rules_apply
from .scoring import person_rescore

NOTE_MAX = 1000
REASON_MAX = 400


class CallOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    NOT_INTERESTED = "not_interested", "Not interested"
    QUALIFIED = "qualified", "Qualified"


# Outcomes after which the person may be disqualified: somebody was on the line, or the number is
# not theirs. Not after "no answer" (nothing was learned) nor "qualified" (the opposite verdict).
MAY_DISQUALIFY = {CallOutcome.REACHED, CallOutcome.WRONG_NUMBER, CallOutcome.NOT_INTERESTED}


class CallError(ValueError):
    """A call that cannot be recorded as given; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class CallRecord:
    interaction: Interaction
    created: bool  # False: this token had been recorded before (a double submission); nothing changed
    transition: StageTransition | None = None


def actor_label(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def _token(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise CallError("token", "The call's token is not valid: open the call screen again.") from None


def call_record(
    person: Person,
    *,
    outcome: str,
    actor,
    note: str = "",
    disqualify_reason: str = "",
    token=None,
    at=None,
) -> CallRecord:
    """Record a call to `person` by `actor` and apply what its outcome means (see the module)."""
    if outcome not in CallOutcome.values:
        raise CallError("outcome", f"Choose one of: {', '.join(CallOutcome.labels)}.")
    outcome = CallOutcome(outcome)
    note = clean_text(note, NOTE_MAX)[0]
    disqualify_reason = clean_text(disqualify_reason, REASON_MAX)[0]
    if disqualify_reason and outcome not in MAY_DISQUALIFY:
        raise CallError(
            "disqualify",
            f"A call with the outcome \u201c{outcome.label}\u201d cannot disqualify: "
            "only reached, not interested or wrong number.",
        )
    token = _token(token)
    by = actor_label(actor)
    with transaction.atomic():
        locked = Person.objects.select_for_update().filter(pk=person.pk).first()
        if locked is None:
            raise CallError("person", "This person is no longer in the lead store.")
        if token is not None:
            earlier = Interaction.objects.filter(event_id=token).first()
            if earlier is not None:
                if earlier.person_id != locked.pk or earlier.type != Interaction.Type.CALL:
                    raise CallError("token", "The call's token belongs to something else: open the call screen again.")
                return CallRecord(earlier, created=False)
        if outcome == CallOutcome.QUALIFIED and (locked.is_test or locked.is_competitor or locked.do_not_contact):
            raise CallError("outcome", "Test data, competitors and do-not-contact people never go to sales.")
        try:
            with transaction.atomic():  # a token taken meanwhile (outside this lock) is a double submission
                interaction = Interaction.objects.create(
                    type=Interaction.Type.CALL,
                    occurred_at=at or timezone.now(),
                    person=locked,
                    object_type="call",
                    object_id=outcome.value,
                    object_label=f"{outcome.label}, by {by}"[:255],
                    properties={
                        "outcome": outcome.value,
                        "note": note,
                        "by": by,
                        "by_id": getattr(actor, "pk", None),
                        **({"disqualified": disqualify_reason} if disqualify_reason else {}),
                    },
                    event_id=token,
                )
        except IntegrityError:
            earlier = Interaction.objects.filter(event_id=token, person=locked, type=Interaction.Type.CALL).first()
            if earlier is None:
                raise
            return CallRecord(earlier, created=False)
        transition = _apply(locked, outcome, actor=actor, by=by, note=note, disqualify_reason=disqualify_reason)
    person.refresh_from_db()
    return CallRecord(interaction, created=True, transition=transition)


def _apply(person: Person, outcome: CallOutcome, *, actor, by: str, note: str, disqualify_reason: str):
    said = f": {note}" if note else ""
    if outcome == CallOutcome.QUALIFIED:
        return mql_by_hand(person, actor=actor, reason=f"Qualified by phone by {by}{said}"[:500])
    if disqualify_reason:
        if person.stage == Stage.DISQUALIFIED:
            return None
        return stage_change(
            person,
            Stage.DISQUALIFIED,
            reason_type=StageTransition.ReasonType.USER,
            reason=f"Disqualified by phone ({outcome.label.lower()}) by {by}: {disqualify_reason}",
            actor=actor,
        )
    # Any other outcome is an interaction like the rest: a rule may count calls, and the stage rules run.
    person_rescore(person)
    stage_rules_apply(person)
    return None
