"""Seats under real concurrency (PostgreSQL, threads released together by a barrier): never more seated
than the capacity, one registration per address, one promotion per freed seat, one check-in."""

import pytest
from django.core import mail
from django.db import connection

from events.models import Event, Registration
from events.services import (
    registration_approve,
    registration_cancel,
    registration_check_in,
    registration_create,
)
from leads.models import Interaction
from outbox.models import OutgoingEmail
from tests.concurrency import together
from tests.factories import EventFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)"),
]


def seated(event):
    return Registration.objects.filter(event=event, status__in=Registration.SEATED).count()


@pytest.mark.parametrize("people", [2, 20])
def test_the_last_seat_goes_to_exactly_one(people):
    event = EventFactory(capacity=1)
    results, errors = together(
        [
            (lambda n=n: registration_create(event, email=f"racer{n}@northwind-test.de", first_name=f"Racer{n}"))
            for n in range(people)
        ]
    )
    assert errors == []
    assert all(outcome.created for outcome in results.values())
    statuses = sorted(Registration.objects.filter(event=event).values_list("status", flat=True))
    assert statuses == ["approved"] + ["waitlisted"] * (people - 1)
    event.refresh_from_db()
    assert event.seats_taken == 1 == seated(event)
    kinds = sorted(OutgoingEmail.objects.values_list("kind", flat=True))
    assert kinds == ["events.confirmation"] + ["events.waitlisted"] * (people - 1)
    assert len(mail.outbox) == people


def test_the_same_address_from_ten_threads_registers_once():
    event = EventFactory(capacity=5)
    spellings = ["dup@x.de", "DUP@x.de", "Dup@X.de", "dup+a@x.de", "dup@X.DE"]
    results, errors = together(
        [(lambda n=n: registration_create(event, email=spellings[n % len(spellings)])) for n in range(10)]
    )
    assert errors == []
    assert Registration.objects.filter(event=event).count() == 1
    registration = Registration.objects.get(event=event)
    assert {outcome.registration.pk for outcome in results.values()} == {registration.pk}
    assert sum(outcome.created for outcome in results.values()) == 1
    event.refresh_from_db()
    assert event.seats_taken == 1 == seated(event)
    assert list(OutgoingEmail.objects.values_list("kind", flat=True)) == ["events.confirmation"]


def test_two_cancellations_at_once_promote_exactly_two():
    event = EventFactory(capacity=2)
    leaving = [registration_create(event, email=f"seat{n}@x.de").registration for n in range(2)]
    queue = [registration_create(event, email=f"queue{n}@x.de").registration for n in range(5)]
    assert {r.status for r in queue} == {"waitlisted"}
    mail.outbox.clear()

    results, errors = together([lambda r=r: registration_cancel(r) for r in leaving])
    assert errors == []
    assert all(changed for _, changed in results.values())
    event.refresh_from_db()
    assert event.seats_taken == 2 == seated(event)
    statuses = [Registration.objects.get(pk=r.pk).status for r in queue]
    assert statuses == ["approved", "approved", "waitlisted", "waitlisted", "waitlisted"]  # first come, first in
    assert OutgoingEmail.objects.filter(kind="events.promoted").count() == 2
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("A seat opened up")) == [
        "queue0@x.de",
        "queue1@x.de",
    ]


def test_approving_two_for_the_last_seat_seats_one():
    event = EventFactory(capacity=1, requires_approval=True)
    pending = [registration_create(event, email=f"ask{n}@x.de").registration for n in range(2)]
    results, errors = together([lambda r=r: registration_approve(r) for r in pending])
    assert errors == []
    assert sorted(r.status for r in results.values()) == ["approved", "waitlisted"]
    event.refresh_from_db()
    assert event.seats_taken == 1 == seated(event)


def test_two_scans_of_one_ticket_check_in_once():
    event = EventFactory(capacity=3)
    registration = registration_create(event, email="door@x.de").registration
    results, errors = together([lambda: registration_check_in(registration)] * 2)
    assert errors == []
    assert sorted(result.already for result in results.values()) == [False, True]
    assert Interaction.objects.filter(type="event_attended", object_id=str(event.pk)).count() == 1
    assert Registration.objects.get(pk=registration.pk).status == "attended"
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_cancelling_the_event_while_people_cancel_approve_and_register_never_deadlocks():
    """Every service locks the event's row before its registrations: no lock-order inversion."""
    from events.services import event_cancel

    event = EventFactory(capacity=5, requires_approval=True)
    seated_ones = [
        registration_create(event, email=f"seat{n}@northwind-test.de", source="sales").registration for n in range(3)
    ]
    pending = registration_create(event, email="pending@northwind-test.de").registration
    for _ in range(5):  # a race is a matter of luck: give it several chances
        results, errors = together(
            [
                lambda: event_cancel(event),
                lambda seat=seated_ones[0]: registration_cancel(seat),
                lambda waiting=pending: registration_approve(waiting),
                lambda: registration_create(event, email="late@northwind-test.de", source="sales"),
            ]
        )
        assert not [error for error in errors if "deadlock" in str(error).lower()], errors
        if errors:  # only the refusal of a registration for a cancelled event is expected
            assert all(type(error).__name__ == "RegistrationClosed" for error in errors), errors
        event.refresh_from_db()
        assert event.status == "cancelled"
        assert seated(event) == 0 and event.seats_taken == 0
        assert not Registration.objects.filter(event=event, status__in=Registration.ACTIVE).exists()
        # again, from the top
        Event.objects.filter(pk=event.pk).update(status="scheduled", seats_taken=0)
        Registration.objects.filter(event=event).delete()
        event.refresh_from_db()
        seated_ones = [
            registration_create(event, email=f"seat{n}@northwind-test.de", source="sales").registration
            for n in range(3)
        ]
        pending = registration_create(event, email="pending@northwind-test.de").registration
