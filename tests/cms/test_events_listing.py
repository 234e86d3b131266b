"""The public events listing: the words visitors use, a picture on every card, when, where and seats, and
filtering in place with htmx that works without JavaScript."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from events.models import Event
from tests.events.conftest import generated_page
from tests.factories import EventFactory, ImageFactory, WebinarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(home_page):
    now = timezone.now().replace(microsecond=0)
    pages = {
        "webinar": generated_page(
            WebinarFactory(title="Pipeline forecasting with AI", starts_at=now + timedelta(days=2))
        ),
        "meetup": generated_page(
            EventFactory(
                title="RevOps Meetup Berlin",
                venue_name="Factory Görlitzer Park",
                starts_at=now + timedelta(days=5),
                capacity=40,
            )
        ),
        "summit": generated_page(
            EventFactory(
                title="Revenue Summit",
                type=Event.Type.CONFERENCE,
                city="Amsterdam",
                venue_name="Beurs van Berlage",
                starts_at=now + timedelta(days=9),
                capacity=300,
            )
        ),
        "full": generated_page(
            EventFactory(title="Lead scoring workshop", capacity=5, starts_at=now + timedelta(days=12))
        ),
        "cancelled": generated_page(
            EventFactory(title="Banking roundtable", status=Event.Status.CANCELLED, starts_at=now + timedelta(days=15))
        ),
    }
    Event.objects.filter(title="Lead scoring workshop").update(seats_taken=5)
    return pages


def cards(html: str) -> dict[str, str]:
    """Each card's text by its title."""
    found = re.findall(r'<article class="card card--event">(.*?)</article>', html, re.S)
    return {re.search(r'class="card__link"[^>]*>([^<]+)<', card).group(1): card for card in found}


def test_cards_say_type_when_where_and_seats_in_visitors_words(listing):
    html = Client().get(listing["webinar"].get_parent().url).content.decode()
    shown = cards(html)

    assert list(shown) == [
        "Pipeline forecasting with AI",
        "RevOps Meetup Berlin",
        "Revenue Summit",
        "Lead scoring workshop",
        "Banking roundtable",
    ]
    assert 'class="card__eyebrow">Webinar<' in shown["Pipeline forecasting with AI"]
    assert 'class="card__eyebrow">Meetup or workshop<' in shown["RevOps Meetup Berlin"]
    assert 'class="card__eyebrow">Conference<' in shown["Revenue Summit"]
    assert "In person (meetup, workshop)" not in html and "(sessions and tracks)" not in html
    assert ">Online<" in shown["Pipeline forecasting with AI"]
    assert ">Factory Görlitzer Park, Berlin<" in shown["RevOps Meetup Berlin"]
    assert ">Beurs van Berlage, Amsterdam<" in shown["Revenue Summit"]
    assert "40 seats left" in shown["RevOps Meetup Berlin"] and "300 seats left" in shown["Revenue Summit"]
    assert "Full: join the waitlist" in shown["Lead scoring workshop"]
    assert "badge--cancelled" in shown["Banking roundtable"] and "seats left" not in shown["Banking roundtable"]
    when = (
        r'<time datetime="[^"]+">\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d</time> '
        r'<abbr class="muted" title="Europe/Berlin">'
    )
    assert re.search(when, shown["Revenue Summit"])


def test_every_card_has_a_picture_its_hero_or_its_types(listing):
    listing["summit"].hero_image = ImageFactory()
    listing["summit"].save_revision().publish()

    shown = cards(Client().get(listing["webinar"].get_parent().url).content.decode())

    assert "/static/img/events/webinar.svg" in shown["Pipeline forecasting with AI"]
    assert "/static/img/events/meetup.svg" in shown["RevOps Meetup Berlin"]
    assert re.search(r'<img src="/media/images/[^"]+fill-800x450[^"]*"', shown["Revenue Summit"])
    for card in shown.values():  # sized, so nothing shifts while the pictures load
        assert re.search(r'<img [^>]*width="\d+" height="\d+" alt="" loading="lazy"', card)


def test_the_event_page_says_its_type_in_visitors_words(listing):
    html = Client().get(listing["meetup"].url).content.decode()
    assert "· Meetup or workshop</p>" in html and "In person (meetup, workshop)" not in html


def test_htmx_gets_the_results_region_and_the_same_url_a_whole_page(listing):
    url = listing["webinar"].get_parent().url
    fragment = Client().get(url, {"type": "conference"}, HTTP_HX_REQUEST="true")
    whole = Client().get(url, {"type": "conference"})

    html = fragment.content.decode()
    assert html.lstrip().startswith('<section class="results" id="results"') and "<html" not in html
    assert list(cards(html)) == ["Revenue Summit"] and 'id="results-status" hx-swap-oob="innerHTML"' in html
    assert "1 event matches your filters" in html
    assert "<html" in whole.content.decode() and list(cards(whole.content.decode())) == ["Revenue Summit"]
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in whole["Vary"]


def test_the_filters_are_one_compact_form_that_works_without_javascript(listing):
    html = Client().get(listing["webinar"].get_parent().url).content.decode()
    form = re.search(r'<form class="filters filters--events".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'hx-get="' in form and 'hx-target="#results"' in form
    assert re.findall(r'<label class="field__label" for="id_(\w+)">', form) == ["when", "type", "topic", "city"]
    types = form.split('name="type"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>', types) == [
        ("", "All types"),
        ("webinar", "Webinar"),
        ("in_person", "Meetup or workshop"),
        ("conference", "Conference"),
    ]
    assert ">Apply filters</button>" in form
