"""Events, speakers, sessions and registrations, as a marketer (or a visitor) would make them."""

from datetime import timedelta

import factory
from django.utils import timezone

from events.models import Event, EventSession, Registration, Speaker


class SpeakerFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Speaker {n}")
    job_title = "Head of Research"
    company = "Northwind"

    class Meta:
        model = Speaker


class EventFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Revenue meetup {n}")
    type = Event.Type.IN_PERSON
    status = Event.Status.SCHEDULED
    summary = "An evening of talks about revenue operations."
    starts_at = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=10)).replace(microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    time_zone = "Europe/Berlin"
    venue_name = "Factory Hall"
    address = "Lohmühlenstraße 65"
    city = "Berlin"
    country = "DE"
    capacity = 100

    class Meta:
        model = Event
        skip_postgeneration_save = True

    @factory.post_generation
    def topics(event, create, extracted, **kwargs):
        if extracted:
            event.topics.add(*extracted)
            event.save()


class WebinarFactory(EventFactory):
    title = factory.Sequence(lambda n: f"Pipeline webinar {n}")
    type = Event.Type.WEBINAR
    venue_name = address = city = ""
    online_url = "https://www.youtube.com/watch?v=abcdefgh123"
    capacity = None
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))


class EventSessionFactory(factory.django.DjangoModelFactory):
    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Talk {n}")
    starts_at = factory.LazyAttribute(lambda o: o.event.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=45))

    class Meta:
        model = EventSession


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row as the services would leave it (use the services to test their rules)."""

    event = factory.SubFactory(EventFactory)
    email = factory.Sequence(lambda n: f"guest{n}@example-corp.com")
    email_key = factory.LazyAttribute(lambda o: o.email.lower())
    first_name = factory.Sequence(lambda n: f"Guest{n}")
    last_name = "Example"
    company = "Example Corp"
    status = Registration.Status.APPROVED

    class Meta:
        model = Registration
