"""Who gets a lead: the key account's owner, else a rep covering the person's country, else the
inbound team; among candidates a weighted round-robin that skips reps who are away."""

from django.db import transaction
from django.db.models import F

from leads.models import Person, SalesRep


def _weighted_pick(candidates: list[SalesRep]) -> SalesRep | None:
    """The rep furthest behind their share: lowest assigned/weight, oldest first on ties."""
    if not candidates:
        return None
    return min(candidates, key=lambda rep: (rep.assigned_count / rep.weight, rep.pk))


@transaction.atomic  # the rep rows stay locked until the assignment is saved
def person_assign(person: Person):
    """Set the person's owner by the assignment rules; returns the owner (or None)."""
    company = person.company
    if company is not None and company.is_key_account and company.owner_id:
        owner = company.owner
    else:
        # Lock the reps so two simultaneous assignments cannot both pick the same "next" rep.
        reps = list(
            SalesRep.objects.select_for_update()
            .filter(is_active=True, weight__gt=0)
            .select_related("user")
            .filter(user__is_active=True)
        )
        country = person.country or (company.country if company else "")
        local = [rep for rep in reps if country and country in rep.territory_list]
        anywhere = [rep for rep in reps if not rep.territory_list]
        rep = _weighted_pick(local) or _weighted_pick(anywhere) or _weighted_pick(reps)
        if rep is None:
            return None
        SalesRep.objects.filter(pk=rep.pk).update(assigned_count=F("assigned_count") + 1)
        owner = rep.user
    if person.owner_id != owner.pk:
        person.owner = owner
        person.save(update_fields=["owner", "updated_at"])
    return owner


def _user_label(user) -> str:
    return "nobody" if user is None else (user.get_full_name() or user.get_username())


@transaction.atomic
def person_reassign(person: Person, *, owner, actor=None, note: str = ""):
    """Hand a person to another owner by hand. The stage stays, and so does "in this stage since"
    (not stage_change, which would restart it); the stage history records the hand-over as a
    transition from the stage to itself, with who did it ("Reassigned from X to Y: note")."""
    from django.utils import timezone

    from leads.models import StageTransition

    reason = f"Reassigned from {_user_label(person.owner)} to {_user_label(owner)}"
    transition = StageTransition.objects.create(
        person=person,
        from_stage=person.stage,
        to_stage=person.stage,
        reason_type=StageTransition.ReasonType.USER,
        reason=(f"{reason}: {note.strip()}" if note.strip() else reason)[:500],
        actor=actor,
        occurred_at=timezone.now(),
    )
    person.owner = owner
    person.save(update_fields=["owner", "updated_at"])  # post_save tells other apps (people_changed)
    return transition
