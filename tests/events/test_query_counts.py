"""SQL queries on the events' hot paths do not grow with the size of an event or of a listing.

Each test measures a small case and a large one in the same state (warm: renditions made, the
visitor known) and asserts the large one needs no more queries than the small one. The messages
give both counts, so a failure says by how much a path started to query per item.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import EventFactory, EventSessionFactory, ImageFactory, SpeakerFactory, WebinarFactory

from .conftest import generated_page

pytestmark = pytest.mark.django_db

SMALL, LARGE = 1, 8  # sessions and speakers on a landing page
FEW, MANY = 1, 7  # events on the listing page and in /api/v1/events


def queries_of(client, url, *, cold=False, **params) -> tuple[int, list[str]]:
    """The queries of one GET; `cold`: with the cache emptied first (renditions then come from the database)."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [query["sql"] for query in captured.captured_queries]


def speaker(**fields):
    return SpeakerFactory(photo=ImageFactory(), **fields)


def event_with_agenda(n: int, **fields):
    """An event with n speakers of its own and n sessions, each with one more speaker; all with photos."""
    event = EventFactory(topics=["AI", "Banking"], **fields)
    event.speakers.set([speaker() for _ in range(n)])
    event.save()
    for i in range(n):
        session = EventSessionFactory(
            event=event,
            track="Main stage" if i % 2 else "Workshop room",
            starts_at=event.starts_at + timedelta(minutes=30 * i),
        )
        session.speakers.set([speaker()])
        session.save()
    return event


def assert_flat(small: tuple[int, list[str]], large: tuple[int, list[str]], what: str, record):
    """`record`: pytest's record_property, which keeps both counts in the JUnit report (--junitxml)."""
    (n_small, _), (n_large, sql) = small, large
    record("queries_small", n_small)
    record("queries_large", n_large)
    assert n_large <= n_small, (
        f"{what}: {n_small} queries for the small case, {n_large} for the large one "
        f"(+{n_large - n_small}). Queries of the large one:\n" + "\n".join(sql)
    )


# --- The landing page --------------------------------------------------------------------------
@pytest.mark.parametrize("cold", [False, True], ids=["warm-cache", "cold-cache"])
def test_the_landing_page_queries_do_not_grow_with_sessions_and_speakers(home_page, cold, record_property):
    small = generated_page(event_with_agenda(SMALL, title="Small meetup"))
    large = generated_page(event_with_agenda(LARGE, title="Large meetup"))
    for page in (small, large):
        page.hero_image = ImageFactory()
        page.save_revision().publish()
    client = Client()
    for page in (small, large):  # warm: renditions made, the visitor known
        client.get(page.url)
    counts = queries_of(client, small.url, cold=cold), queries_of(client, large.url, cold=cold)
    html = client.get(large.url).content.decode()
    assert html.count('class="event-speaker"') == 2 * LARGE and html.count('class="event-session"') == LARGE
    assert_flat(*counts, what="event landing page", record=record_property)


def test_the_landing_page_json_ld_lists_every_speaker_once(home_page):
    event = event_with_agenda(3)
    page = generated_page(event)
    html = Client().get(page.url).content.decode()
    for person in event.all_speakers():
        assert html.count(f'"name": "{person.name}"') == 1, person.name
    assert len(event.all_speakers()) == 6


# --- The events listing page -------------------------------------------------------------------
def listing_with(n: int):
    now = timezone.now()
    pages = []
    for i in range(n):
        factory = WebinarFactory if i % 2 else EventFactory
        event = factory(starts_at=now + timedelta(days=i + 1), topics=["AI"])
        pages.append(generated_page(event))
    for page in pages:
        page.hero_image = ImageFactory()
        page.save_revision().publish()
    return pages[0].get_parent()


@pytest.mark.parametrize("cold", [False, True], ids=["warm-cache", "cold-cache"])
def test_the_events_listing_queries_do_not_grow_with_events(home_page, cold, record_property):
    index = listing_with(FEW)
    client = Client()
    client.get(index.url)
    few = queries_of(client, index.url, cold=cold)
    listing_with(MANY - FEW)
    client.get(index.url)
    many = queries_of(client, index.url, cold=cold)
    assert client.get(index.url).content.decode().count('class="card__title"') == MANY
    assert_flat(few, many, what="events listing page", record=record_property)


# --- /api/v1/events ----------------------------------------------------------------------------
def api_events(n: int, *, start: int = 0):
    now = timezone.now()
    for i in range(start, start + n):
        event = event_with_agenda(2, starts_at=now + timedelta(days=i + 1))
        if i % 2 == 0:
            generated_page(event)  # the first makes the site's default registration form


@pytest.mark.parametrize("cold", [False, True], ids=["warm-cache", "cold-cache"])
def test_the_events_api_queries_do_not_grow_with_events(home_page, cold, record_property):
    client = Client()
    api_events(FEW)
    client.get("/api/v1/events")
    few = queries_of(client, "/api/v1/events", cold=cold)
    api_events(MANY - FEW, start=FEW)
    client.get("/api/v1/events")
    many = queries_of(client, "/api/v1/events", cold=cold)
    items = client.get("/api/v1/events").json()["items"]
    assert len(items) == MANY
    assert all(item["registration"]["form_id"] for item in items)
    assert all(len(item["speakers"]) == 4 and item["speakers"][0]["photo"] for item in items)
    assert all(len(item["sessions"]) == 2 and item["sessions"][0]["speaker_ids"] for item in items)
    assert sum(item["page"] is not None for item in items) == (MANY + 1) // 2
    assert_flat(few, many, what="GET /api/v1/events", record=record_property)


def test_the_events_api_detail_looks_the_registration_form_up_once(home_page, record_property):
    event, small_event = event_with_agenda(LARGE), event_with_agenda(SMALL)
    client = Client()
    for each in (event, small_event):
        generated_page(each)
        client.get(f"/api/v1/events/{each.pk}")
    small, large = (queries_of(client, f"/api/v1/events/{each.pk}") for each in (small_event, event))
    assert_flat(small, large, what="GET /api/v1/events/{id}", record=record_property)
