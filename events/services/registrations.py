"""Registrations: seats, the waitlist, approval, cancellation.

The invariant: never more seated registrations (approved or attended) than the event's capacity.
A seat is taken by one conditional UPDATE of the event's counter (`seats_taken < capacity`), in
the same transaction as the registration's status, so two people clicking for the last seat at
the same instant cannot both get it: the database serialises the two UPDATEs and the second one
matches no row. Walk-ins let in by staff at the door are the one exception (the door decides).
"""

import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from events.models import EmailKind, Event, Registration
from events.models.registrations import new_secret
from leads.cleaning import clean_text, email_identity_key, normalise_email
from leads.services import lead_capture

from .emails import email_queue, emails_queue_for

logger = logging.getLogger(__name__)


class RegistrationClosed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool  # False: this address was already registered (nothing changed)

    @property
    def status(self) -> str:
        return self.registration.status


# --- Seats -----------------------------------------------------------------------------------
# Lock order, everywhere: the event's row, then its registrations. Every service that changes both
# takes the event's row first (event_cancel and the schedule do too), so no two changes to one event
# can deadlock each other.
def _event_lock(event_id: int) -> str | None:
    """Lock the event's row until commit; returns its status (None if it is gone)."""
    return Event.objects.select_for_update().filter(pk=event_id).values_list("status", flat=True).first()


def _seat_claim(event_id: int) -> bool:
    """Take one seat if one is left. One statement: the row lock it takes is held until commit."""
    return bool(
        # Not in a cancelled event: a registration racing the cancellation waits for its lock,
        # then finds no seat (and registration_create refuses it).
        Event.objects.filter(pk=event_id)
        .exclude(status=Event.Status.CANCELLED)
        .filter(Q(capacity__isnull=True) | Q(seats_taken__lt=F("capacity")))
        .update(seats_taken=F("seats_taken") + 1)
    )


def _seat_force(event_id: int) -> None:
    Event.objects.filter(pk=event_id).update(seats_taken=F("seats_taken") + 1)


def _seat_release(event_id: int) -> None:
    Event.objects.filter(pk=event_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _status_for_new(event: Event, source: str) -> str:
    """Approval first when the event asks for it (sales and the door have already decided)."""
    if event.requires_approval and source not in (Registration.Source.SALES, Registration.Source.WALK_IN):
        return Registration.Status.PENDING
    return Registration.Status.APPROVED if _seat_claim(event.pk) else Registration.Status.WAITLISTED


FIRST_EMAIL = {
    Registration.Status.PENDING: EmailKind.PENDING,
    Registration.Status.APPROVED: EmailKind.CONFIRMATION,
    Registration.Status.WAITLISTED: EmailKind.WAITLISTED,
}


# --- Registering -----------------------------------------------------------------------------
def registration_create(
    event: Event,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    job_title: str = "",
    lead=None,
    source: str = Registration.Source.WEB,
    visitor_id: str = "",
    invited_by=None,
    registered_by=None,
    check_deadline: bool = True,
    backfill: bool = False,
) -> RegistrationOutcome:
    """A place for this address at this event: approved, pending approval or waitlisted.

    The same address registering again gets its existing registration back unchanged; after a
    cancellation it registers anew (at the back of the waitlist if the event is full).
    """
    # backfill: recording what already happened (the demo's past events), so nothing is closed.
    reason = "" if backfill else event.registration_closed_reason() if check_deadline else _hard_closure(event)
    if reason:
        raise RegistrationClosed(reason)
    address, problem = normalise_email(email or "")
    if problem:
        raise ValueError(f"email: {problem}")
    details = {
        "email": address,
        "first_name": clean_text(first_name, 100)[0],
        "last_name": clean_text(last_name, 100)[0],
        "company": clean_text(company, 200)[0],
        "job_title": clean_text(job_title, 200)[0],
    }
    key = email_identity_key(address)
    try:
        with transaction.atomic():
            # The event's row first (the lock order of every service here): registrations for one
            # event queue behind it, and one cancelled meanwhile is seen.
            if _event_lock(event.pk) == Event.Status.CANCELLED:
                raise RegistrationClosed("This event has been cancelled.")
            # Two columns first: most registrations are new, and the whole row is only needed when not.
            found = Registration.objects.filter(event=event, email_key=key).values_list("pk", "status").first()
            existing = Registration.objects.get(pk=found[0]) if found is not None else None
            if existing is not None and existing.status != Registration.Status.CANCELLED:
                return RegistrationOutcome(existing, created=False)
            now = timezone.now()
            status = _status_for_new(event, source)
            values = {
                **details,
                "lead": lead,
                "status": status,
                "source": source,
                "visitor_id": visitor_id[:64],
                "invited_by": invited_by,
                "registered_by": registered_by,
                "registered_at": now,
                "queued_at": now,
                "decided_at": None if status == Registration.Status.PENDING else now,
                "decided_by": registered_by,
                "cancelled_at": None,
                "rejection_reason": "",
                "checked_in_at": None,
                "checked_in_by": None,
            }
            if existing is not None:  # a cancelled registration comes back: new links, back of the queue
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.secret = new_secret()
                existing.save()
                registration = existing
            else:
                registration = Registration.objects.create(event=event, email_key=key, **values)
            email_queue(registration, FIRST_EMAIL[status])
            return RegistrationOutcome(registration, created=True)
    except IntegrityError:
        # The same address at the same instant from another request: theirs won, and it is ours too.
        registration = Registration.objects.filter(event=event, email_key=key).first()
        if registration is None:
            raise
        return RegistrationOutcome(registration, created=False)


def _hard_closure(event: Event) -> str:
    """What refuses even a form that was shown while registration was open: the event is gone."""
    status = event.current_status
    if status in (Event.Status.CANCELLED, Event.Status.DRAFT, Event.Status.FINISHED):
        return event.registration_closed_reason() or "Registration has closed."
    return ""


def registration_from_lead(
    event: Event,
    lead,
    *,
    source=Registration.Source.WEB,
    visitor_id="",
    invited_by=None,
    registered_by=None,
    backfill: bool = False,
) -> RegistrationOutcome:
    """The registration behind a form fill the lead store has just stored (its raw answers)."""
    fields = json.loads(lead.mapped_fields or "{}")
    fields = fields if isinstance(fields, dict) else {}
    return registration_create(
        event,
        email=str(fields.get("email") or ""),
        first_name=str(fields.get("first_name") or ""),
        last_name=str(fields.get("last_name") or ""),
        company=str(fields.get("company") or ""),
        job_title=str(fields.get("job_title") or ""),
        lead=lead,
        source=source,
        visitor_id=visitor_id,
        invited_by=invited_by,
        registered_by=registered_by,
        # The form was shown while registration was open; the lead is stored: don't refuse it now.
        check_deadline=False,
        backfill=backfill,
    )


def registration_on_behalf(
    event: Event, *, fields: dict, user, source=Registration.Source.SALES, payload=None
) -> RegistrationOutcome:
    """A salesperson (or staff at the door) registers someone: a lead capture plus the registration."""
    if source != Registration.Source.WALK_IN:  # the door lets people in whatever the deadline says
        reason = event.registration_closed_reason()
        if reason:
            raise RegistrationClosed(reason)
    address, problem = normalise_email(str(fields.get("email") or ""))
    if problem:
        raise ValueError(f"email: {problem}")
    existing = (
        Registration.objects.select_related("event")
        .filter(event=event, email_key=email_identity_key(address))
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        # Already registered: nothing to capture (the typed names must not land on their record).
        return RegistrationOutcome(existing, created=False)
    lead = lead_capture(
        source="manual",
        payload=payload if payload is not None else fields,
        fields=dict(fields, email=address),
        origin_type="event",
        origin_id=str(event.pk),
        origin_label=event.title,
        origin_topics=[tag.slug for tag in event.topics.all()],
        interaction_type="event_registered",
    )
    return registration_create(
        event,
        email=address,
        first_name=str(fields.get("first_name") or ""),
        last_name=str(fields.get("last_name") or ""),
        company=str(fields.get("company") or ""),
        job_title=str(fields.get("job_title") or ""),
        lead=lead,
        source=source,
        registered_by=user,
        check_deadline=source != Registration.Source.WALK_IN,
    )


# --- Decisions -------------------------------------------------------------------------------
def _locked(registration: Registration) -> Registration:
    """The registration, re-read under lock (its event's row locked first)."""
    _event_lock(registration.event_id)
    return Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)


def registration_approve(registration: Registration, *, user=None) -> Registration:
    """Pending -> approved (with ticket), or waitlisted when the event is full. Others are left alone."""
    with transaction.atomic():
        registration = _locked(registration)
        if registration.status != Registration.Status.PENDING:
            return registration
        seated = _seat_claim(registration.event_id)
        registration.status = Registration.Status.APPROVED if seated else Registration.Status.WAITLISTED
        registration.decided_at, registration.decided_by = timezone.now(), user
        registration.save(update_fields=["status", "decided_at", "decided_by"])
        email_queue(registration, EmailKind.APPROVED if seated else EmailKind.WAITLISTED)
    return registration


def registration_reject(registration: Registration, *, user=None, reason: str = "") -> Registration:
    """Pending or waitlisted (or approved, before the event) -> rejected; a freed seat goes to the waitlist."""
    with transaction.atomic():
        registration = _locked(registration)
        if registration.status not in Registration.ACTIVE:
            return registration
        held = registration.holds_seat
        registration.status = Registration.Status.REJECTED
        registration.decided_at, registration.decided_by = timezone.now(), user
        registration.rejection_reason = clean_text(reason, 300)[0]
        registration.save(update_fields=["status", "decided_at", "decided_by", "rejection_reason"])
        email_queue(registration, EmailKind.REJECTED)
        if held:
            _seat_release(registration.event_id)
            waitlist_promote(registration.event)
    return registration


def registration_cancel(registration: Registration, *, user=None) -> tuple[Registration, bool]:
    """The registrant (or a marketer) cancels. Returns (registration, whether it changed)."""
    with transaction.atomic():
        registration = _locked(registration)
        if registration.status not in Registration.ACTIVE:
            return registration, False
        held = registration.holds_seat
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        if user is not None:
            registration.decided_by = user
        registration.save(update_fields=["status", "cancelled_at", "decided_by"])
        email_queue(registration, EmailKind.CANCELLED)
        if held:
            _seat_release(registration.event_id)
            waitlist_promote(registration.event)
    return registration, True


def waitlist_promote(event: Event) -> list[Registration]:
    """Give free seats to the waitlist, first come first served: one statement per step, however many."""
    with transaction.atomic():
        _event_lock(event.pk)
        current = Event.objects.filter(pk=event.pk).values("status", "capacity", "seats_taken", "ends_at").first()
        # Nobody is told "a seat opened up" for an event that is over or cancelled.
        if current is None or current["status"] == Event.Status.CANCELLED or current["ends_at"] <= timezone.now():
            return []
        waiting = Registration.objects.filter(event_id=event.pk, status=Registration.Status.WAITLISTED).order_by(
            "queued_at", "pk"
        )
        if current["capacity"] is not None:
            waiting = waiting[: max(0, current["capacity"] - current["seats_taken"])]
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            return []
        now = timezone.now()
        Registration.objects.filter(pk__in=ids).update(status=Registration.Status.APPROVED, decided_at=now)
        Event.objects.filter(pk=event.pk).update(seats_taken=F("seats_taken") + len(ids))
        promoted = Registration.objects.filter(pk__in=ids)
        emails_queue_for(promoted, EmailKind.PROMOTED, f"promoted:{now.timestamp():.6f}")
        return list(promoted.order_by("queued_at", "pk"))


def seats_recount(event: Event) -> int:
    """Set the seat counter from the registrations (a repair tool; the services keep it right)."""
    with transaction.atomic():
        Event.objects.select_for_update().filter(pk=event.pk).first()
        taken = Registration.objects.filter(event=event, status__in=Registration.SEATED).count()
        Event.objects.filter(pk=event.pk).update(seats_taken=taken)
    return taken
