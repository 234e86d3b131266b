"""Check-in at the door. Twice is harmless: the second scan says who checked them in and when."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from events.models import Registration
from leads.selectors import person_by_email
from leads.services import interaction_record

from .registrations import _locked, _seat_force


class NotAdmitted(Exception):
    """The registration is not approved: staff must choose to let them in anyway."""

    def __init__(self, registration: Registration):
        super().__init__(registration.get_status_display())
        self.registration = registration


@dataclass
class CheckIn:
    registration: Registration
    already: bool  # True: they were checked in before; nothing changed


def registration_check_in(registration: Registration, *, user=None, let_in_anyway: bool = False) -> CheckIn:
    """Mark them attended and record the attendance in the lead store (it raises their interest)."""
    with transaction.atomic():
        registration = _locked(registration)
        if registration.checked_in_at is not None:
            return CheckIn(registration, already=True)
        if registration.status != Registration.Status.APPROVED and not (
            let_in_anyway
            and registration.status
            in (
                *Registration.ACTIVE,
                Registration.Status.NO_SHOW,
                Registration.Status.CANCELLED,
                Registration.Status.REJECTED,
            )
        ):
            raise NotAdmitted(registration)
        if not registration.holds_seat:
            _seat_force(registration.event_id)  # the door decides: a seat is found for them
        registration.status = Registration.Status.ATTENDED
        registration.checked_in_at = timezone.now()
        registration.checked_in_by = user
        registration.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        event = registration.event
        interaction_record(
            type="event_attended",
            person=_person(registration),
            visitor_id=registration.visitor_id,
            object_type="event",
            object_id=str(event.pk),
            object_label=event.title,
            object_topics=[tag.slug for tag in event.topics.all()],
            properties={"registration": registration.pk, "source": registration.source},
            occurred_at=registration.checked_in_at,
        )
    return CheckIn(registration, already=False)


def _person(registration: Registration):
    """Their person in the lead store: the lead's, or by address when the lead is still queued."""
    if registration.lead_id:
        lead = registration.lead
        if lead is not None and lead.person_id:
            return lead.person
    return person_by_email(registration.email)
