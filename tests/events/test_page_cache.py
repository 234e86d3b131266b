"""An event's landing page comes from the page output cache (events.page_holes).

Kept: everything but the registration panel and the seats left, which are filled for each request. The
cache key holds the event's row as it is now (saved, open, closed, full), so what the page says about
registration is never older than the request.
"""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from cms.models import EventPage
from events.models import Event, Registration
from events.services import registration_cancel
from tests.factories import EventFactory, SpeakerFactory

from .conftest import committed, generated_page, hidden_inputs, register, sign_up

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def availability(page_html: str) -> str:
    for block in JSON_LD.findall(page_html):
        data = json.loads(block)
        for item in data if isinstance(data, list) else [data]:
            if item.get("@type") == "Event":
                return item["offers"]["availability"].rsplit("/", 1)[-1]
    raise AssertionError("no Event in the page's JSON-LD")


@pytest.fixture
def cached(home_page, settings):
    """A meetup with 3 seats, its page published, the page kept in the output cache by a first visitor."""
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600  # count what serving costs, not the statistics
    event = EventFactory(title="RevOps Meetup Berlin", capacity=3, summary="Pipeline reviews that work")
    page = generated_page(event)
    Client().get(page.url)  # the first render creates the site settings (a new content epoch)
    html(Client().get(page.url))
    # Changed behind the cache's back (no publish, no event save): a page from the cache does not show it.
    EventPage.objects.filter(pk=page.pk).update(title="Changed without publishing")
    return page


def test_a_visitor_gets_the_kept_page_with_their_own_form(cached, django_assert_max_num_queries):
    visitor = Client()
    visitor.get(cached.url)  # the visitor cookie
    # Who the cookie belongs to, the event's row, which registration form: nothing of the page itself.
    with django_assert_max_num_queries(4):
        page = html(visitor.get(cached.url))
    assert "Changed without publishing" not in page and "RevOps Meetup Berlin" in page
    assert 'name="work_email"' in page and 'name="csrfmiddlewaretoken"' in page
    assert "sp-hole" not in page  # every hole filled
    assert "3 of 3 left" in page


def test_the_seats_left_are_live_while_the_page_is_kept(cached):
    sign_up(cached.event, 1)
    page = html(Client().get(cached.url))
    assert "2 of 3 left" in page and "Changed without publishing" not in page


def test_registering_from_the_kept_page_and_coming_back(cached):
    ana = Client()
    response = register(cached, client=ana, n=1)
    assert "You're registered!" in html(response)
    assert Registration.objects.filter(event=cached.event).count() == 1
    # Ana sees her registration; a stranger sees the form; both from the kept page.
    again = html(ana.get(cached.url))
    assert "You're already registered" in again and 'name="work_email"' not in again
    assert "Changed without publishing" not in again
    stranger = html(Client().get(cached.url))
    assert 'name="work_email"' in stranger and "already registered" not in stranger
    assert "2 of 3 left" in stranger


def test_a_full_event_says_so_everywhere_at_once(cached):
    assert availability(html(Client().get(cached.url))) == "InStock"
    for n in range(3):
        sign_up(cached.event, n)
    page = html(Client().get(cached.url))
    assert "Full: join the waitlist" in page and "Register for the waitlist" in page
    assert availability(page) == "SoldOut"
    # A seat freed: the page is open again at once.
    with committed():
        registration_cancel(Registration.objects.filter(event=cached.event).first())
    page = html(Client().get(cached.url))
    assert "1 of 3 left" in page and availability(page) == "InStock"


def test_registration_closing_by_the_clock_shows_at_once(cached):
    deadline = timezone.now() + timedelta(days=1)
    event = cached.event
    event.registration_deadline = deadline
    event.save()
    assert 'name="work_email"' in html(Client().get(cached.url))
    with freeze_time(deadline + timedelta(minutes=1)):
        page = html(Client().get(cached.url))
    assert "Registration has closed." in page and 'name="work_email"' not in page
    assert 'href="#register"' not in page


def test_saving_the_event_shows_at_once(cached):
    event = cached.event
    event.summary = "Now with a forecasting workshop"
    event.save()
    page = html(Client().get(cached.url))
    assert "Now with a forecasting workshop" in page


def test_a_speakers_own_edit_shows_at_once(home_page):
    speaker = SpeakerFactory(name="Dr. Mia Wong", bio="Ten years of pipeline reviews.")
    event = EventFactory()
    event.speakers.set([speaker])
    event.save()
    page = generated_page(event)
    assert "Ten years of pipeline reviews." in html(Client().get(page.url))
    assert "Ten years of pipeline reviews." in html(Client().get(page.url))
    with committed():
        speaker.bio = "Now at Northwind."
        speaker.save()
    assert "Now at Northwind." in html(Client().get(page.url))


def test_a_cancelled_event_is_shown_cancelled_and_a_draft_is_gone(cached):
    event = cached.event
    event.status = Event.Status.CANCELLED
    event.save()
    page = html(Client().get(cached.url))
    assert "This event has been cancelled." in page and 'name="work_email"' not in page
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DRAFT)
    assert Client().get(cached.url).status_code == 404


def test_a_page_with_an_invite_link_is_not_kept_but_works(cached):
    page = html(Client().get(cached.url + "?invite=not-a-real-token"))
    assert 'name="work_email"' in page and "sp-hole" not in page
    assert "Changed without publishing" in page  # rendered from the database, not the kept page


def test_the_registration_form_is_in_the_page_without_javascript(cached):
    """The kept page carries the whole form: a POST without htmx answers with the whole page."""
    client = Client()
    data = {**hidden_inputs(html(client.get(cached.url))), "work_email": "lea@meridian-bank.de"}
    data.update(first_name="Lea", last_name="Kim", company="Meridian Bank")
    with committed():
        response = client.post(cached.url, data)
    assert "You're registered!" in html(response) and "<html" in html(response)


def test_each_visitor_gets_their_own_tokens_and_attribution_from_the_kept_panel(cached):
    """An anonymous visitor's panel is kept too (with marks): the tokens and the campaign are still theirs."""
    lea, omar = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    lea_inputs = hidden_inputs(html(lea.get(cached.url + "?utm_source=linkedin")))
    omar_inputs = hidden_inputs(html(omar.get(cached.url)))
    assert lea_inputs["sp_utm_source"] == "linkedin" and omar_inputs.get("sp_utm_source", "") == ""
    assert lea_inputs["csrfmiddlewaretoken"] != omar_inputs["csrfmiddlewaretoken"]
    assert "sphole" not in str(lea_inputs) + str(omar_inputs)
    # Omar's token does not pass with Lea's cookie; each registers with their own.
    data = {"work_email": "lea@meridian-bank.de", "first_name": "Lea", "last_name": "Kim", "company": "Meridian"}
    assert lea.post(cached.url, {**omar_inputs, **data}).status_code == 403
    with committed():
        assert "You're registered!" in html(lea.post(cached.url, {**lea_inputs, **data}))
    registration = Registration.objects.get(event=cached.event)
    assert (registration.email, registration.lead.utm_source) == ("lea@meridian-bank.de", "linkedin")


# --- The events listing ------------------------------------------------------------------------------
@pytest.fixture
def listing(home_page, settings):
    """Two upcoming meetups on the listing, kept in the output cache by a first visitor."""
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600
    soon = EventFactory(title="Banking meetup Munich", capacity=5, topics=["Banking"])
    later = EventFactory(
        title="AI meetup Berlin", capacity=5, topics=["AI"], starts_at=timezone.now() + timedelta(days=20)
    )
    pages = [generated_page(event) for event in (soon, later)]
    index = pages[0].get_parent().specific
    Client().get(index.url)  # the first render creates the site settings (a new content epoch)
    html(Client().get(index.url))
    EventPage.objects.filter(pk=pages[0].pk).update(title="Changed without publishing")
    return {"index": index, "soon": soon, "later": later}


def test_the_listing_comes_from_the_cache(listing, django_assert_max_num_queries):
    visitor = Client()
    visitor.get(listing["index"].url)  # the visitor cookie
    with django_assert_max_num_queries(2):  # who the cookie belongs to, the events' state
        page = html(visitor.get(listing["index"].url))
    assert "Banking meetup Munich" in page and "Changed without publishing" not in page
    filtered = html(Client().get(listing["index"].url, {"topic": "ai"}))
    assert "AI meetup Berlin" in filtered and "Banking meetup Munich" not in filtered


def test_the_listings_seats_and_endings_are_never_older_than_the_request(listing):
    sign_up(listing["soon"], 1)
    assert "4 seats left" in html(Client().get(listing["index"].url))  # rendered again for the new count
    with freeze_time(listing["soon"].ends_at + timedelta(minutes=1)):
        upcoming = html(Client().get(listing["index"].url))
    assert "Munich" not in upcoming and "AI meetup Berlin" in upcoming
