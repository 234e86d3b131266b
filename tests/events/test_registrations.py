"""Registrations through the services and the landing page: seats, waitlist, approval, cancellation,
closed registration, capacity changes, cancelling the event, and every registration as a lead."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from events import links
from events.models import Event, Registration
from events.services import (
    NotAdmitted,
    RegistrationClosed,
    event_cancel,
    event_saved,
    registration_approve,
    registration_cancel,
    registration_check_in,
    registration_create,
    registration_on_behalf,
    registration_reject,
    seats_recount,
)
from events.signals import events_changed
from leads.models import CrmDelivery, Interaction, Lead, LeadStoreSettings, Person, SalesRep, ScoringRule
from outbox.models import OutgoingEmail
from tests.factories import EventFactory, WebinarFactory

from .conftest import (
    answers,
    committed,
    delivery_kinds,
    fresh,
    generated_page,
    hidden_inputs,
    mails_to,
    path_of,
    register,
    sign_up,
)

pytestmark = pytest.mark.django_db

APPROVED, WAITLISTED, PENDING = "approved", "waitlisted", "pending"


def statuses(registrations):
    return [fresh(registration).status for registration in registrations]


# --- Seats and the waitlist -----------------------------------------------------------------
def test_capacity_three_seats_three_then_waitlists():
    event = EventFactory(capacity=3)
    with committed():
        people = [sign_up(event, n) for n in range(5)]
    assert statuses(people) == [APPROVED, APPROVED, APPROVED, WAITLISTED, WAITLISTED]
    event.refresh_from_db()
    assert event.seats_taken == 3 == Registration.objects.filter(event=event, status__in=Registration.SEATED).count()
    assert event.seats_left == 0
    assert [delivery_kinds(p) for p in people] == [["confirmation"]] * 3 + [["waitlisted"]] * 2
    assert [m.subject for m in mails_to(people[0].email)] == [f"You're registered: {event.title}"]
    assert [m.subject for m in mails_to(people[4].email)] == [f"You're on the waitlist for {event.title}"]


def test_cancelling_an_approved_place_promotes_the_first_in_the_queue():
    event = EventFactory(capacity=2)
    first, second = sign_up(event, 1), sign_up(event, 2)
    early, late = sign_up(event, 3), sign_up(event, 4)
    assert statuses([early, late]) == [WAITLISTED, WAITLISTED]
    # The earlier one leaves the queue and joins again: now the later one is first in line.
    registration_cancel(early)
    early = sign_up(event, 3)
    assert early.status == WAITLISTED and early.queued_at > fresh(late).queued_at
    mail.outbox.clear()

    with committed():
        _, changed = registration_cancel(first)
    assert changed is True
    assert statuses([first, second, late, early]) == ["cancelled", APPROVED, APPROVED, WAITLISTED]
    assert fresh(event).seats_taken == 2
    promoted = mails_to(late.email)
    assert [m.subject for m in promoted] == [f"A seat opened up: you're in for {event.title}"]
    assert links.ticket_url(fresh(late)) in promoted[0].body
    assert mails_to(early.email) == []
    assert [m.subject for m in mails_to(first.email)] == [f"Your registration for {event.title} is cancelled"]


def test_cancelling_a_waitlisted_place_promotes_nobody():
    event = EventFactory(capacity=1)
    seated, waiting, behind = sign_up(event, 1), sign_up(event, 2), sign_up(event, 3)
    with committed():
        _, changed = registration_cancel(waiting)
    assert changed is True
    assert statuses([seated, waiting, behind]) == [APPROVED, "cancelled", WAITLISTED]
    assert fresh(event).seats_taken == 1
    assert delivery_kinds(behind) == ["waitlisted"]
    assert [m.subject for m in mail.outbox] == [f"Your registration for {event.title} is cancelled"]


def test_cancelling_twice_changes_nothing_the_second_time():
    event = EventFactory(capacity=1)
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    registration_cancel(seated)
    _, changed = registration_cancel(seated)
    assert changed is False
    assert statuses([seated, waiting]) == ["cancelled", APPROVED]
    assert fresh(event).seats_taken == 1
    assert delivery_kinds(seated) == ["confirmation", "cancelled"]


def test_unlimited_capacity_approves_everyone():
    event = EventFactory(capacity=None)
    people = [sign_up(event, n) for n in range(12)]
    assert set(statuses(people)) == {APPROVED}
    event.refresh_from_db()
    assert event.seats_taken == 12 and event.seats_left is None


# --- Approval --------------------------------------------------------------------------------
def test_approval_first_then_seats_then_the_waitlist():
    event = EventFactory(capacity=2, requires_approval=True)
    with committed():
        people = [sign_up(event, n) for n in range(4)]
    assert statuses(people) == [PENDING] * 4
    assert fresh(event).seats_taken == 0  # waiting for approval holds no seat
    assert [m.subject for m in mails_to(people[0].email)] == [f"We've received your registration for {event.title}"]
    mail.outbox.clear()

    with committed():
        results = [registration_approve(p) for p in people[:3]]
    assert [r.status for r in results] == [APPROVED, APPROVED, WAITLISTED]
    assert fresh(event).seats_taken == 2
    assert [m.subject for m in mails_to(people[0].email)] == [f"Your place at {event.title} is confirmed"]
    assert [m.subject for m in mails_to(people[2].email)] == [f"You're on the waitlist for {event.title}"]
    assert fresh(people[0]).decided_at is not None

    # Approving again, or approving a waitlisted registration, changes nothing and sends nothing.
    mail.outbox.clear()
    with committed():
        assert registration_approve(people[0]).status == APPROVED
        assert registration_approve(people[2]).status == WAITLISTED
    assert mail.outbox == []
    assert fresh(event).seats_taken == 2


def test_sales_registrations_skip_approval():
    event = EventFactory(capacity=5, requires_approval=True)
    registration = sign_up(event, 1, source=Registration.Source.SALES)
    assert registration.status == APPROVED


def test_rejection_with_a_reason_is_emailed():
    event = EventFactory(capacity=5, requires_approval=True)
    registration = sign_up(event, 1)
    with committed():
        rejected = registration_reject(registration, reason="This meetup is for banking practitioners only.")
    assert rejected.status == "rejected"
    assert fresh(registration).rejection_reason == "This meetup is for banking practitioners only."
    [message] = mails_to(registration.email)
    assert message.subject == f"Your registration for {event.title}"
    assert "This meetup is for banking practitioners only." in message.body
    assert "banking practitioners only." in message.alternatives[0][0]
    # Registering again with the same address keeps the rejection (it is not a cancellation).
    outcome = registration_create(event, email=registration.email)
    assert outcome.created is False and outcome.status == "rejected"


def test_rejecting_an_approved_place_frees_the_seat_for_the_waitlist():
    event = EventFactory(capacity=1)
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    with committed():
        registration_reject(seated, reason="Duplicate company registration")
    assert statuses([seated, waiting]) == ["rejected", APPROVED]
    assert fresh(event).seats_taken == 1
    assert [m.subject for m in mails_to(waiting.email)] == [f"A seat opened up: you're in for {event.title}"]


# --- The same person twice ------------------------------------------------------------------
@pytest.mark.parametrize("second", ["ana@x.de", "Ana@X.DE", "ana+events@x.de"])
def test_the_same_address_registers_once(second):
    event = EventFactory(capacity=3)
    with committed():
        first = registration_create(event, email="ANA@x.de", first_name="Ana")
        again = registration_create(event, email=second, first_name="Someone else")
    assert first.created is True and again.created is False
    assert again.registration.pk == first.registration.pk
    assert Registration.objects.filter(event=event).count() == 1
    assert fresh(first.registration).first_name == "Ana"  # nothing changed
    assert fresh(event).seats_taken == 1
    assert len(mail.outbox) == 1


def test_addresses_with_nothing_before_their_plus_are_different_registrants():
    """`+2+3@acme.de` and `+sales@acme.de` both used to be the registrant `@acme.de`: the second was told
    they were already registered (with the first one's ticket)."""
    event = EventFactory(capacity=3)
    with committed():
        first = registration_create(event, email="+2+3@acme-hostile.de", first_name="Victim")
        second = registration_create(event, email="+sales@acme-hostile.de", first_name="Other")
    assert first.created and second.created
    assert first.registration.pk != second.registration.pk
    assert fresh(first.registration).first_name == "Victim"


def test_stored_registration_keys_without_a_local_part_are_recomputed_by_the_migration():
    from importlib import import_module

    from django.apps import apps

    event = EventFactory(capacity=3)
    with committed():
        registration = registration_create(event, email="+2+3@acme-hostile.de", first_name="Victim").registration
    Registration.objects.filter(pk=registration.pk).update(email_key="@acme-hostile.de")
    import_module("events.migrations.0004_registration_keys_keep_the_local_part").recompute(apps, None)
    assert fresh(registration).email_key == "+2+3@acme-hostile.de"


def test_registering_again_after_cancelling_goes_to_the_back_with_new_links():
    event = EventFactory(capacity=1)
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    old_ticket, old_cancel = links.ticket_url(seated), links.cancel_url(seated)
    old_secret = seated.secret
    registration_cancel(seated)
    outcome = registration_create(event, email=seated.email)
    again = outcome.registration
    assert outcome.created is True and again.pk == seated.pk
    assert again.status == WAITLISTED  # the freed seat went to the one waiting
    assert fresh(waiting).status == APPROVED
    assert again.secret != old_secret
    assert again.queued_at > fresh(waiting).queued_at and again.cancelled_at is None

    client = Client()
    assert client.get(path_of(old_ticket)).status_code == 403
    assert client.get(path_of(old_cancel)).status_code == 403
    assert client.get(path_of(links.ticket_url(again))).status_code == 200
    assert client.get(path_of(links.cancel_url(again))).status_code == 200


def test_invalid_email_is_refused_and_stores_nothing():
    event = EventFactory(capacity=3)
    for bad in ("", "not-an-email", "a@", "@x.de", "ana@@x.de", "x" * 300 + "@x.de"):
        with pytest.raises(ValueError, match=r"^email: "):  # refused for the address, naming it
            registration_create(event, email=bad)
    assert Registration.objects.count() == 0
    assert fresh(event).seats_taken == 0


def test_ugly_names_are_cleaned():
    event = EventFactory(capacity=3)
    registration = registration_create(
        event, email="ana@x.de", first_name="  Ana\x00\u202e\n  Maria ", last_name="L" * 500, company="<b>Bank</b>"
    ).registration
    assert registration.first_name == "Ana Maria"
    assert len(registration.last_name) == 100
    assert registration.company == "<b>Bank</b>"  # stored as typed; escaped when shown


# --- Closed registration ---------------------------------------------------------------------
def closed_event(kind):
    now = timezone.now()
    if kind == "deadline passed":
        return EventFactory(registration_deadline=now - timedelta(hours=1)), "Registration has closed."
    if kind == "cancelled":
        return EventFactory(status=Event.Status.CANCELLED), "This event has been cancelled."
    if kind == "draft":
        return EventFactory(status=Event.Status.DRAFT), "Registration has not opened yet."
    if kind == "finished":
        return (
            EventFactory(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)),
            "This event has ended.",
        )
    if kind == "started":
        return (
            EventFactory(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)),
            "Registration has closed.",
        )
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["deadline passed", "cancelled", "draft", "finished", "started"])
def test_closed_registration_is_refused(kind):
    event, reason = closed_event(kind)
    with pytest.raises(RegistrationClosed) as error:
        registration_create(event, email="ana@x.de")
    assert error.value.message == reason
    assert Registration.objects.count() == 0
    assert fresh(event).seats_taken == 0


def test_a_webinar_takes_registrations_while_it_is_live():
    webinar = WebinarFactory(starts_at=timezone.now() - timedelta(minutes=10))
    assert sign_up(webinar, 1).status == APPROVED


@pytest.mark.parametrize("kind", ["deadline passed", "cancelled", "finished", "started"])
def test_a_closed_landing_page_shows_the_reason_instead_of_the_form(home_page, kind):
    event, reason = closed_event(kind)
    page = generated_page(event)
    client = Client()
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert reason in html
    assert 'name="work_email"' not in html


CLOSE = {
    "deadline passed": {"registration_deadline": timezone.now() - timedelta(minutes=1)},
    "started": {"starts_at": timezone.now() - timedelta(minutes=5)},
    "cancelled": {"status": Event.Status.CANCELLED},
    "finished": {"starts_at": timezone.now() - timedelta(hours=3), "ends_at": timezone.now() - timedelta(hours=1)},
}


@pytest.mark.parametrize("kind", list(CLOSE))
def test_a_form_opened_while_registration_was_open_and_sent_after_is_never_lost(home_page, kind):
    """Sent after the deadline or the start: still registered (the form was shown). Sent after the event
    was cancelled or ended: the answer is kept as a lead and the page says why there is no place."""
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=2), ends_at=timezone.now() + timedelta(hours=4))
    page = generated_page(event)
    client = Client()
    with committed():
        opened = client.get(page.url).content.decode()
    Event.objects.filter(pk=event.pk).update(**CLOSE[kind])
    with committed():
        response = client.post(page.url, {**hidden_inputs(opened), **answers(7)})
    assert response.status_code == 200
    assert Lead.objects.filter(origin_type="event", origin_id=str(event.pk)).count() == 1
    if kind in ("deadline passed", "started"):
        assert Registration.objects.get().status == APPROVED
    else:
        assert Registration.objects.count() == 0
        assert closed_event(kind)[1] in response.content.decode()


def test_a_known_visitor_can_register_someone_else_from_the_same_browser(home_page):
    event = EventFactory()
    page = generated_page(event)
    client = Client()
    register(page, client, n=1)
    html = client.get(page.url).content.decode()
    assert "You're already registered" in html and "?forget=1" in html
    with committed():
        fresh_form = client.get(page.url + "?forget=1").content.decode()
    with committed():
        client.post(page.url, {**hidden_inputs(fresh_form), **answers(2)})
    assert sorted(Registration.objects.values_list("email", flat=True)) == [
        "attendee1@meridian-bank.de",
        "attendee2@meridian-bank.de",
    ]


def test_a_draft_event_has_no_landing_page(home_page):
    page = generated_page(EventFactory(status=Event.Status.DRAFT))
    assert Client().get(page.url).status_code == 404


# --- Capacity changes and cancelling the event ------------------------------------------------
def test_more_seats_promote_from_the_waitlist():
    event = EventFactory(capacity=2)
    people = [sign_up(event, n) for n in range(5)]
    received = []

    def receiver(sender, event_ids, **kwargs):
        received.append(event_ids)

    events_changed.connect(receiver)
    try:
        event.capacity = 3
        event.save()
        with committed():
            event_saved(event, previous={"capacity": 2, "status": event.status})
        assert statuses(people) == [APPROVED] * 3 + [WAITLISTED] * 2
        assert [m.subject for m in mails_to(people[2].email)] == [f"A seat opened up: you're in for {event.title}"]
        assert received == [[event.pk]]

        event.capacity = None
        event.save()
        with committed():
            event_saved(event, previous={"capacity": 3, "status": event.status})
    finally:
        events_changed.disconnect(receiver)
    assert statuses(people) == [APPROVED] * 5
    assert fresh(event).seats_taken == 5


def test_saving_an_event_loaded_before_people_registered_gives_away_no_taken_seat():
    event = EventFactory(capacity=2)  # loaded (seats_taken=0) before anyone registered
    people = [sign_up(event, n) for n in range(4)]
    event.summary = "Now with pizza."
    event.save()  # as the admin does: the whole row, the counter it loaded included
    event_saved(event, previous={"capacity": 2, "status": event.status})
    assert statuses(people) == [APPROVED, APPROVED, WAITLISTED, WAITLISTED]
    assert fresh(event).seats_taken == 2
    assert sign_up(event, 9).status == WAITLISTED


def test_fewer_seats_take_nobody_out():
    event = EventFactory(capacity=3)
    people = [sign_up(event, n) for n in range(3)]
    event.capacity = 1
    event.save()
    event_saved(event, previous={"capacity": 3})
    assert statuses(people) == [APPROVED] * 3
    assert sign_up(event, 9).status == WAITLISTED


def test_cancelling_the_event_tells_everyone_once_and_releases_the_seats():
    event = EventFactory(capacity=2, requires_approval=True)
    seated = [registration_approve(sign_up(event, n)) for n in range(3)]  # two approved, one waitlisted
    pending = sign_up(event, 5)
    gone = sign_up(event, 6)
    registration_cancel(gone)
    assert statuses(seated) == [APPROVED, APPROVED, WAITLISTED]
    mail.outbox.clear()

    with committed():
        assert event_cancel(event) == 4
    with committed():
        assert event_cancel(event) == 0
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED and event.seats_taken == 0
    assert set(statuses([*seated, pending, gone])) == {"cancelled"}
    for registration in [*seated, pending]:
        assert OutgoingEmail.objects.filter(registration=registration, kind="events.event_cancelled").count() == 1
        assert [m.subject for m in mails_to(registration.email)] == [f"Cancelled: {event.title}"]
    assert mails_to(gone.email) == []
    assert len(mail.outbox) == 4
    with pytest.raises(RegistrationClosed):
        sign_up(event, 7)


def test_saving_a_cancelled_event_cancels_once():
    event = EventFactory(capacity=2)
    people = [sign_up(event, n) for n in range(3)]
    mail.outbox.clear()
    event.status = Event.Status.CANCELLED
    event.save()
    with committed():
        event_saved(event, previous={"status": Event.Status.SCHEDULED, "capacity": 2})
    with committed():
        event_saved(event, previous={"status": Event.Status.CANCELLED, "capacity": 2})
    assert set(statuses(people)) == {"cancelled"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


# --- The done-when story: 100 seats, 101 people ------------------------------------------------
def test_the_hundred_and_first_is_waitlisted_then_promoted_when_someone_cancels(home_page):
    event = EventFactory(title="Banking Data Summit", capacity=100)
    page = generated_page(event)
    first_hundred = [sign_up(event, n) for n in range(100)]
    assert fresh(event).seats_taken == 100
    mail.outbox.clear()

    client = Client()
    response = register(page, client, n=101)
    assert response.status_code == 200
    assert "You're on the waitlist" in response.content.decode()
    last = Registration.objects.get(event=event, email="attendee101@meridian-bank.de")
    assert last.status == WAITLISTED
    assert [m.subject for m in mail.outbox] == ["You're on the waitlist for Banking Data Summit"]
    # Coming back to the page, they see their place rather than the form again.
    html = client.get(page.url).content.decode()
    assert "You're on the waitlist" in html and 'name="work_email"' not in html

    leaving = first_hundred[49]
    cancel_path = path_of(links.cancel_url(leaving))
    someone = Client()
    with committed():
        confirm = someone.get(cancel_path)
    assert confirm.status_code == 200
    assert "Yes, cancel my registration" in confirm.content.decode()
    assert fresh(leaving).status == APPROVED and fresh(last).status == WAITLISTED

    mail.outbox.clear()
    with committed():
        done = someone.post(cancel_path)
    assert done.status_code == 200
    assert "Your registration is cancelled" in done.content.decode()
    assert fresh(leaving).status == "cancelled"
    assert fresh(last).status == APPROVED
    assert fresh(event).seats_taken == 100

    [promoted] = mails_to(last.email)
    assert promoted.subject == "A seat opened up: you're in for Banking Data Summit"
    ticket = links.ticket_url(fresh(last))
    assert ticket in promoted.body
    images = [part for part in promoted.attachments if getattr(part, "get_content_type", lambda: "")() == "image/png"]
    assert len(images) == 1
    shown = client.get(path_of(ticket))
    assert shown.status_code == 200 and "<title>Ticket QR code</title>" in shown.content.decode()
    assert mails_to(leaving.email)[0].subject == "Your registration for Banking Data Summit is cancelled"


# --- Every registration is a lead ------------------------------------------------------------
def test_registering_on_the_page_stores_a_lead_and_a_person(event_page, event):
    register(event_page, n=7)
    registration = Registration.objects.get()
    lead = Lead.objects.get()
    assert registration.lead == lead
    assert lead.interaction_type == "event_registered"
    assert lead.person is not None
    assert lead.person == Person.objects.get(email_key="attendee7@meridian-bank.de")
    assert Interaction.objects.filter(person=lead.person, type="event_registered").count() == 1


def test_the_lead_of_a_page_registration_points_at_the_event(event_page, event):
    register(event_page, n=7)
    lead = Lead.objects.get()
    assert (lead.origin_type, lead.origin_id) == ("event", str(event.pk))
    interaction = Interaction.objects.get(type="event_registered")
    assert (interaction.object_type, interaction.object_id) == ("event", str(event.pk))


def test_check_in_records_attendance_and_raises_interest(event_page, event):
    ScoringRule.objects.create(name="Attended an event", kind="interest", interaction_type="event_attended", points=25)
    register(event_page, n=3)
    registration = Registration.objects.get()
    person = registration.lead.person
    assert fresh(person).interest_score == 0

    result = registration_check_in(registration)
    assert result.already is False
    assert result.registration.status == Registration.Status.ATTENDED
    registration.refresh_from_db()
    assert registration.status == "attended" and registration.checked_in_at is not None
    attended = Interaction.objects.get(type="event_attended")
    assert (attended.person, attended.object_type, attended.object_id) == (person, "event", str(event.pk))
    assert fresh(person).interest_score == 25
    assert fresh(event).seats_taken == 1  # the seat they held, not a second one

    checked_in_at = registration.checked_in_at
    again = registration_check_in(registration)
    assert again.already is True
    assert fresh(registration).checked_in_at == checked_in_at
    assert Interaction.objects.filter(type="event_attended").count() == 1
    assert fresh(person).interest_score == 25
    assert fresh(event).seats_taken == 1


def test_a_check_in_that_lifts_a_person_to_the_mql_condition_hands_them_to_sales_once(
    event_page, event, django_user_model
):
    ScoringRule.objects.create(name="Attended an event", kind="interest", interaction_type="event_attended", points=40)
    settings = LeadStoreSettings.load()
    settings.mql_min_total = 30
    settings.save()
    seller = django_user_model.objects.create_user("anna", "anna@northwind.example", "pw")
    SalesRep.objects.create(user=seller)
    register(event_page, n=4)
    registration = Registration.objects.get()
    person = registration.lead.person
    assert fresh(person).stage == "lead"  # registering alone scores nothing here

    registration_check_in(registration)
    person = fresh(person)
    assert (person.stage, person.owner) == ("mql", seller)
    assert CrmDelivery.objects.filter(person=person, event="mql").count() == 1
    registration_check_in(fresh(registration))  # scanned twice at the door
    assert person.stage_transitions.filter(to_stage="mql").count() == 1
    assert CrmDelivery.objects.filter(person=person).count() == 1


@pytest.mark.parametrize("status", [PENDING, WAITLISTED, "cancelled", "rejected"])
def test_check_in_refuses_who_is_not_admitted_unless_let_in(status):
    event = EventFactory(capacity=1, requires_approval=status == PENDING)
    if status != PENDING:
        sign_up(event, 0)  # takes the only seat
    registration = sign_up(event, 1)
    if status == "cancelled":
        registration_cancel(registration)
    elif status == "rejected":
        registration_reject(registration)
    assert fresh(registration).status == status
    taken = fresh(event).seats_taken

    with pytest.raises(NotAdmitted):
        registration_check_in(registration)
    assert fresh(registration).status == status and fresh(registration).checked_in_at is None
    assert Interaction.objects.filter(type="event_attended").count() == 0

    result = registration_check_in(registration, let_in_anyway=True)
    assert result.already is False and fresh(registration).status == "attended"
    assert fresh(event).seats_taken == taken + 1  # the door found them a seat
    assert Interaction.objects.filter(type="event_attended").count() == 1


def test_the_same_address_from_another_browser_gets_its_place_back(event_page, event):
    first = register(event_page, Client(), n=4)
    assert "You're registered!" in first.content.decode()
    again = register(event_page, Client(), n=4, first_name="Impostor")
    html = again.content.decode()
    assert "You're already registered" in html
    registration = Registration.objects.get()
    assert registration.first_name == "Ana4"
    assert fresh(event).seats_taken == 1
    assert len(mail.outbox) == 1
    assert Lead.objects.count() == 2  # every form fill is kept in the lead store


def test_a_salesperson_registers_someone(django_user_model):
    rep = django_user_model.objects.create_user("rep", "rep@northwind.example", "pw-rep-123456")
    event = EventFactory(capacity=5, requires_approval=True, topics=["Banking"])
    with committed():
        outcome = registration_on_behalf(
            event, fields={"email": "CFO@Client-Bank.de", "first_name": "Carla", "company": "Client Bank"}, user=rep
        )
    registration = outcome.registration
    assert outcome.created and registration.status == APPROVED  # sales have decided already
    assert (registration.source, registration.registered_by, registration.email) == ("sales", rep, "cfo@client-bank.de")
    lead = registration.lead
    assert (lead.source, lead.origin_type, lead.origin_id, lead.interaction_type) == (
        "manual",
        "event",
        str(event.pk),
        "event_registered",
    )
    assert lead.origin_topics == ",banking,"
    assert lead.person.email_key == "cfo@client-bank.de"
    assert [m.subject for m in mail.outbox] == [f"You're registered: {event.title}"]
    with pytest.raises(ValueError, match=r"^email: "):
        registration_on_behalf(event, fields={"email": "nope"}, user=rep)
    assert Lead.objects.count() == 1


def test_walk_ins_are_let_in_after_registration_closed(django_user_model):
    staff = django_user_model.objects.create_user("door", "door@northwind.example", "pw-door-123456")
    now = timezone.now()
    event = EventFactory(capacity=1, starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=2))
    with pytest.raises(RegistrationClosed):
        registration_on_behalf(event, fields={"email": "late@x.de"}, user=staff)
    outcome = registration_on_behalf(
        event, fields={"email": "walkin@x.de"}, user=staff, source=Registration.Source.WALK_IN
    )
    assert outcome.registration.status == APPROVED and outcome.registration.source == "walk_in"


def test_a_salespersons_invite_link_is_remembered(home_page, django_user_model):
    rep = django_user_model.objects.create_user("rep", "rep@northwind.example", "pw-rep-123456")
    event = EventFactory(capacity=5)
    page = generated_page(event)
    client = Client()
    response = client.get(page.url, {"invite": links.invite_token(rep)})
    assert response.cookies["sp_invite"].value == links.invite_token(rep)
    register(page, client, n=1)
    assert Registration.objects.get().invited_by == rep

    stranger = Client()
    for junk in ("x" * 5000, f"{rep.pk}:forged", links.invite_token(rep)[:-2]):
        assert "sp_invite" not in stranger.get(page.url, {"invite": junk}).cookies
    register(page, stranger, n=2, invite=f"{rep.pk}:forged")
    assert Registration.objects.get(email="attendee2@meridian-bank.de").invited_by is None


def test_seats_recount_repairs_the_counter():
    event = EventFactory(capacity=3)
    people = [sign_up(event, n) for n in range(4)]
    registration_check_in(people[0])
    Event.objects.filter(pk=event.pk).update(seats_taken=0)
    assert seats_recount(event) == 3
    assert fresh(event).seats_taken == 3
    assert sign_up(event, 9).status == WAITLISTED


def test_a_seat_freed_after_the_event_is_given_to_nobody():
    now = timezone.now()
    event = EventFactory(capacity=1, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2))
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    mail.outbox.clear()
    with freeze_time(now + timedelta(days=2)), committed():
        registration_reject(seated, reason="Cleaning up the list")  # a marketer, after the event
    assert statuses([seated, waiting]) == ["rejected", WAITLISTED]
    assert [m.to for m in mail.outbox] == [[seated.email]]
    assert not OutgoingEmail.objects.filter(kind="events.promoted").exists()


def test_ugly_form_input_on_the_landing_page_never_breaks_it(event_page, event):
    for ugly in (
        {"work_email": "ana\x00@x.de"},
        {"first_name": "Ana\x00"},
        {"last_name": "S" * 5000},
        {"work_email": "not-an-address"},
    ):
        response = register(event_page, n=1, **ugly)
        assert response.status_code in (200, 400)
        assert "You're registered!" not in response.content.decode()
    assert Registration.objects.count() == 0 and mail.outbox == []

    response = register(
        event_page, n=2, first_name="Ana <script>alert(1)</script>", last_name="S" * 150, company="\u202eknaB"
    )
    html = response.content.decode()
    assert "You're registered!" in html and "<script>alert(1)</script>" not in html
    registration = Registration.objects.get()
    assert registration.first_name == "Ana <script>alert(1)</script>"
    assert len(registration.last_name) == 100 and registration.company == "knaB"
