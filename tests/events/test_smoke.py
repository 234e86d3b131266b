from django.core import mail

from events.models import Registration

from .conftest import register


def test_register_on_the_generated_page(event_page, event):
    response = register(event_page, n=1)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You're registered!" in html
    registration = Registration.objects.get()
    assert registration.status == "approved"
    assert registration.lead is not None
    assert [m.subject for m in mail.outbox] == ["You're registered: RevOps Meetup Berlin"]


def test_saving_a_stale_copy_of_the_event_keeps_the_seat_counter(db):
    """A marketer's edit form holds the event as loaded; registrations go on meanwhile."""
    from events.models import Event
    from events.services import registration_create
    from tests.factories import EventFactory

    event = EventFactory(capacity=5)
    stale = Event.objects.get(pk=event.pk)
    for n in range(3):
        registration_create(event, email=f"a{n}@x-corp.com")
    stale.title = "Renamed"
    stale.save()
    event.refresh_from_db()
    assert (event.seats_taken, event.title) == (3, "Renamed")
    event.topics.add("AI")
    event.save()
    assert list(Event.objects.get(pk=event.pk).topics.names()) == ["AI"]
