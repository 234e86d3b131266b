"""The sales workspace's writes: what a salesperson does to people, one at a time or in bulk.

Each function takes people (instances or a queryset) and the acting user, and returns an `Outcome`:
who changed and who was left as they were, with why. The single-person screen and the bulk actions
call the same functions, so a rule ("accepting an SQL again changes nothing") holds for both.

The stage moves themselves are the lead store's (leads.services: sales_accept, sales_reject,
sales_mark); these functions add who may do what to whom:

- the actor needs `leads.work_leads`, and only people in the actor's scope are touched (sales.access):
  ids of somebody else's people, however they got here, are dropped before anything is read;
- the people are read again, locked, in one query inside the transaction (a colleague's click in
  the same second cannot make the same acceptance twice), then each person's change runs in its own
  savepoint: the penalty, the transition, the stage and the rescore of one person are recorded
  together or not at all, and a database failure for one person leaves the others' changes standing
  (that person is reported as skipped). The queries per person are a small constant.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import QuerySet

from leads.models import Person, Stage
from leads.services import person_reassign, sales_accept, sales_mark, sales_reject
from sales.access import can_work_leads, scope_for, visible_people

logger = logging.getLogger(__name__)

REASON_MAX = 500
# Accepting moves someone to SQL; people already past it are not pulled back by a stray click.
NOT_ACCEPTABLE = {
    Stage.SQL: "already Sales qualified (SQL)",
    Stage.OPPORTUNITY: "already an opportunity (past SQL)",
    Stage.CUSTOMER: "already a customer (past SQL)",
}
# Rejecting is sales' answer to a lead or MQL (or an SQL that turned out wrong). Nurture again would
# charge the penalty twice; opportunities and customers are moved with "mark", not rejected.
REJECTABLE = {Stage.LEAD, Stage.MQL, Stage.SQL}
# Stages set with people_mark. SQL and nurture have their own rules (accept, reject); MQL is the
# score's or the fast lane's decision, which also routes and pushes to the CRM.
MARKABLE = {Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.DISQUALIFIED, Stage.LEAD}


@dataclass
class Outcome:
    """What one action did: the people it changed, and the ones it left alone with the reason."""

    action: str  # accept | reject | reassign | mark
    changed: list[Person] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)
    to_stage: str = ""
    owner: object = None

    @property
    def result(self) -> str:
        """What happened to a changed person, in words: "now Sales qualified (SQL)"."""
        if self.action == "reassign":
            return f"now owned by {user_label(self.owner)}"
        return f"now {Stage(self.to_stage).label}"


def user_label(user) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def reassign_targets(user):
    """Whom `user` may hand people to: active users who are active sales reps; anybody's with all
    access, otherwise within the user's own sales team (a rep and a manager alike)."""
    users = get_user_model().objects.filter(is_active=True, sales_rep__is_active=True)
    scope = scope_for(user)
    if scope.kind != "all":
        team = scope.team or _team_of(user)
        if not team:
            return users.none()
        users = users.filter(sales_rep__team=team)
    return users.select_related("sales_rep").order_by("first_name", "last_name", "username")


def _team_of(user) -> str:
    from leads.models import SalesRep

    return SalesRep.objects.filter(user_id=user.pk).values_list("team", flat=True).first() or ""


def people_accept(people, *, actor, note: str = "") -> Outcome:
    """Sales accepts: -> SQL. Someone already SQL (or further on) is left as they are."""
    note = note.strip()[:REASON_MAX]

    def why_not(person):
        return NOT_ACCEPTABLE.get(person.stage, "")

    return _each(
        people,
        actor,
        Outcome("accept", to_stage=Stage.SQL),
        why_not,
        lambda person: sales_accept(person, actor=actor, note=note),
    )


def people_reject(people, *, actor, reason: str) -> Outcome:
    """Sales rejects with a reason: -> nurture, with the configured interest penalty and cool-down."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("A rejection needs a reason.")

    def why_not(person):
        if person.stage in REJECTABLE:
            return ""
        if person.stage == Stage.NURTURE:
            return "already in nurture (rejected before)"
        return f"is {Stage(person.stage).label}: only leads, MQLs and SQLs can be rejected"

    return _each(
        people,
        actor,
        Outcome("reject", to_stage=Stage.NURTURE),
        why_not,
        lambda person: sales_reject(person, actor=actor, reason=reason[:REASON_MAX]),
    )


def people_mark(people, stage: str, *, actor, reason: str = "") -> Outcome:
    """Opportunity, customer, disqualified, or back to lead (recycling), as sales saw it."""
    if stage not in MARKABLE:
        raise ValueError(f"Stage {stage!r} is not set by marking: use accept (SQL) or reject (nurture).")
    reason = reason.strip()[:REASON_MAX]
    label = Stage(stage).label

    def why_not(person):
        return f"already {label}" if person.stage == stage else ""

    return _each(
        people,
        actor,
        Outcome("mark", to_stage=stage),
        why_not,
        lambda person: sales_mark(person, stage, actor=actor, reason=reason),
    )


def people_reassign(people, *, actor, owner, note: str = "") -> Outcome:
    """Hand people to another owner (see reassign_targets for whom to). The stage stays; the stage
    history records the hand-over (from_stage == to_stage, reason "Reassigned from X to Y: note")."""
    if owner is None or not reassign_targets(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(f"{user_label(owner)} is not someone you can hand people to.")
    note = note.strip()

    def why_not(person):
        return f"already owned by {user_label(owner)}" if person.owner_id == owner.pk else ""

    def reassign(person):
        person_reassign(person, owner=owner, actor=actor, note=note)

    return _each(people, actor, Outcome("reassign", owner=owner), why_not, reassign)


@transaction.atomic
def _each(people, actor, outcome: Outcome, why_not, change) -> Outcome:
    if not can_work_leads(actor):
        raise PermissionDenied("Working leads needs the permission to accept, reject and reassign people.")
    for person in _locked(people, actor):
        why = why_not(person)
        if why:
            outcome.skipped.append((person, why))
            continue
        try:
            with transaction.atomic():  # this person's change: all of it or none of it
                change(person)
        except DatabaseError:
            logger.exception("Sales action %s failed for person %s", outcome.action, person.pk)
            outcome.skipped.append((person, "could not be changed just now (a database error); try again"))
        else:
            outcome.changed.append(person)
    return outcome


def _locked(people, actor) -> list[Person]:
    """The people again, in the actor's scope, locked for this transaction, in one query."""
    if isinstance(people, QuerySet):
        ids = people.values("pk")
    else:
        ids = [person.pk for person in people]
    queryset = (
        Person.objects.filter(pk__in=ids)
        .select_related("owner", "company")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    return list(visible_people(actor, queryset))
