"""Registrants' signed links (ticket, cancellation, stream), the calendar file, and the landing pages
generated from events: generation, keeping them in step, rendering, the listing and the API."""

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from icalendar import Calendar
from wagtail.models import Page

from cms.event_pages import event_pages_sync
from cms.models import EventIndexPage, EventPage, HomePage
from events import links
from events.models import Event, Registration
from events.services import event_saved, landing_pages_generate, registration_approve, registration_cancel
from forms.models import FormPurpose, LeadFormPage
from leads.models import Interaction
from outbox.models import OutgoingEmail
from tests.factories import EventFactory, EventSessionFactory, LeadFormPageFactory, SpeakerFactory, WebinarFactory

from .conftest import committed, delivery_kinds, fresh, generated_page, path_of, register, sign_up

pytestmark = pytest.mark.django_db

START = datetime(2030, 3, 12, 17, 0, tzinfo=UTC)  # 18:00 in Berlin, 13:00 in New York
QR = "<title>Ticket QR code</title>"  # the inline SVG of the ticket (the page has other icons)


def html_of(response):
    return response.content.decode()


def ticket_path(registration):
    return path_of(links.ticket_url(registration))


def cancel_path(registration):
    return path_of(links.cancel_url(registration))


def watch_path(registration):
    return path_of(links.watch_url(registration))


# --- The ticket ---------------------------------------------------------------------------------
def test_an_approved_ticket_shows_the_qr_code():
    event = EventFactory(title="RevOps Meetup Berlin", capacity=3)
    registration = sign_up(event, 1, first_name="Ana", last_name="Silva", company="Meridian Bank")
    response = Client().get(ticket_path(registration))
    assert response.status_code == 200
    html = html_of(response)
    assert 'data-ticket-status="approved"' in html and QR in html and "<svg" in html
    assert "Ana Silva" in html and "Meridian Bank" in html
    assert links.cancel_url(registration) in html and links.calendar_url(event) in html
    assert "Join online" not in html  # not an online event
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize("status", ["pending", "waitlisted", "cancelled"])
def test_a_ticket_without_a_seat_shows_no_qr_code(status):
    event = EventFactory(capacity=1, requires_approval=status == "pending")
    if status == "waitlisted":
        sign_up(event, 0)
    registration = sign_up(event, 1)
    old = ticket_path(registration)
    if status == "cancelled":
        registration_cancel(registration)
    response = Client().get(old)
    assert response.status_code == 200
    html = html_of(response)
    assert QR not in html
    assert f'data-ticket-status="{status}"' in html


def test_a_webinar_ticket_links_to_the_stream():
    webinar = WebinarFactory()
    registration = sign_up(webinar, 1)
    html = html_of(Client().get(ticket_path(registration)))
    assert "Join online" in html
    assert unescape(links.watch_url(registration)) in unescape(html)
    assert webinar.online_url not in html


def tampered_tokens(registration):
    """Every way a link can be broken: by a copy and paste gone wrong, or on purpose."""
    ticket, cancel = links.ticket_token(registration), links.cancel_token(registration)
    value, signature = ticket.rsplit(":", 1)
    middle = len(signature) // 2
    flipped = "B" if signature[middle] == "A" else "A"
    return {
        "one character of the signature": f"{value}:{signature[:middle]}{flipped}{signature[middle + 1 :]}",
        "one character of the secret": ticket[: -len(signature) - 2]
        + ("x" if ticket[-len(signature) - 2] != "x" else "y")
        + ticket[-len(signature) - 1 :],
        "another id": f"{registration.pk + 1}{ticket[len(str(registration.pk)) :]}",
        "truncated": ticket[:-6],
        "without its signature": value,
        "the cancellation token": cancel,
        "10k characters": ticket + "a" * 10_000,
        "junk": "%00<script>",
        "unicode": "1.ünïcödé:☃",
        "colons": "::::",
    }


BAD = [
    "one character of the signature",
    "one character of the secret",
    "another id",
    "truncated",
    "without its signature",
    "the cancellation token",
    "10k characters",
    "junk",
    "unicode",
    "colons",
]


@pytest.mark.parametrize("how", BAD)
def test_a_tampered_ticket_link_is_refused(how):
    event = EventFactory(capacity=3)
    registration, _other = sign_up(event, 1), sign_up(event, 2)
    token = tampered_tokens(registration)[how]
    response = Client().get(f"/e/tickets/{token}/")
    assert response.status_code == 403
    assert "This ticket is not valid" in html_of(response)
    assert QR not in html_of(response)


def test_the_ticket_of_a_deleted_registration_is_refused():
    registration = sign_up(EventFactory(), 1)
    ticket, cancel = ticket_path(registration), cancel_path(registration)
    registration.delete()
    for response, title in (
        (Client().get(ticket), "This ticket is not valid"),
        (Client().get(cancel), "This cancellation link is not valid"),
        (Client().post(cancel), "This cancellation link is not valid"),
    ):
        assert response.status_code == 403 and title in html_of(response), title
        assert QR not in html_of(response)
    assert not Registration.objects.exists(), "a refused cancellation registers nobody anew"


def test_a_ticket_token_cannot_cancel():
    registration = sign_up(EventFactory(), 1)
    response = Client().post(f"/e/cancel/{links.ticket_token(registration)}/")
    assert response.status_code == 403
    assert fresh(registration).status == "approved"


# --- Cancelling ----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", BAD)
def test_a_tampered_cancellation_link_is_refused(how):
    event = EventFactory(capacity=3)
    registration = sign_up(event, 1)
    token = tampered_tokens(registration)[how]
    if how == "the cancellation token":  # the other way round: a ticket token used to cancel
        token = links.ticket_token(registration)
    for response in (Client().get(f"/e/cancel/{token}/"), Client().post(f"/e/cancel/{token}/")):
        assert response.status_code == 403
        assert "This cancellation link is not valid" in html_of(response)
    assert fresh(registration).status == "approved"


def test_opening_the_cancellation_link_changes_nothing():
    event = EventFactory(capacity=1)
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    for _ in range(3):  # mail scanners follow links, some of them several times
        with committed():
            response = Client().get(cancel_path(seated))
        assert response.status_code == 200
    html = html_of(response)
    assert "Yes, cancel my registration" in html and 'name="csrfmiddlewaretoken"' in html
    assert seated.email in html
    assert (fresh(seated).status, fresh(waiting).status) == ("approved", "waitlisted")
    assert delivery_kinds(seated) == ["confirmation"] and delivery_kinds(waiting) == ["waitlisted"]
    assert fresh(event).seats_taken == 1
    assert Client().put(cancel_path(seated)).status_code == 405


def test_cancelling_needs_the_csrf_token():
    event = EventFactory(capacity=1)
    seated, waiting = sign_up(event, 1), sign_up(event, 2)
    browser = Client(enforce_csrf_checks=True)
    refused = browser.post(cancel_path(seated))
    assert refused.status_code == 403
    assert fresh(seated).status == "approved"

    form = browser.get(cancel_path(seated))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_of(form)).group(1)
    with committed():
        done = browser.post(cancel_path(seated), {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert "Your registration is cancelled" in html_of(done)
    assert (fresh(seated).status, fresh(waiting).status) == ("cancelled", "approved")
    # The link again: nothing left to cancel, and nothing changes.
    again = browser.post(cancel_path(fresh(seated)), {"csrfmiddlewaretoken": token})
    assert again.status_code == 200
    assert "there is nothing to cancel" in html_of(again)
    assert delivery_kinds(seated) == ["confirmation", "cancelled"]


def test_nothing_can_be_cancelled_once_the_event_is_over():
    event = EventFactory(capacity=1, starts_at=START, ends_at=START + timedelta(hours=2))
    with freeze_time(START - timedelta(days=2)):
        seated, waiting = sign_up(event, 1), sign_up(event, 2)
    with freeze_time(START + timedelta(hours=3)):
        client = Client()
        assert "there is nothing to cancel" in html_of(client.get(cancel_path(seated)))
        with committed():
            response = client.post(cancel_path(seated))
    assert response.status_code == 200
    assert "Your registration is cancelled" not in html_of(response)
    assert (fresh(seated).status, fresh(waiting).status) == ("approved", "waitlisted")
    assert not OutgoingEmail.objects.filter(kind__in=["events.cancelled", "events.promoted"]).exists()


# --- The calendar file -----------------------------------------------------------------------------
def test_the_calendar_file_has_the_start_in_the_event_time_zone():
    event = EventFactory(
        title="RevOps Meetup: New York!",
        starts_at=START,
        ends_at=START + timedelta(hours=3),
        time_zone="America/New_York",
        venue_name="Pier 17",
        address="89 South St",
        city="New York",
    )
    response = Client().get(f"/e/{event.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="revops-meetup-new-york.ics"'
    calendar = Calendar.from_ical(response.content)
    [item] = calendar.walk("VEVENT")
    assert item["dtstart"].params["TZID"] == "America/New_York"
    start = item.decoded("dtstart")
    assert (start.hour, start.minute, start.utcoffset()) == (13, 0, timedelta(hours=-4))  # daylight time
    assert start == event.starts_at
    assert item.decoded("dtend") == event.ends_at
    assert str(item["summary"]) == "RevOps Meetup: New York!"
    assert str(item["location"]) == "Pier 17, 89 South St, New York"
    assert str(item["uid"]) == f"event-{event.pk}@testserver"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_the_calendar_file_of_a_cancelled_event_says_so():
    event = EventFactory(status=Event.Status.CANCELLED, time_zone="UTC")
    calendar = Calendar.from_ical(Client().get(f"/e/{event.pk}/calendar.ics").content)
    [item] = calendar.walk("VEVENT")
    assert str(item["status"]) == "CANCELLED"
    assert item.decoded("dtstart") == event.starts_at


def test_draft_and_unknown_events_have_no_calendar_file_or_stream():
    draft = EventFactory(status=Event.Status.DRAFT)
    draft_webinar = WebinarFactory(status=Event.Status.DRAFT)
    client = Client()
    assert client.get(f"/e/{draft.pk}/calendar.ics").status_code == 404
    assert client.get(f"/e/{draft_webinar.pk}/watch/").status_code == 404
    assert client.get("/e/999999/calendar.ics").status_code == 404
    assert client.get("/e/999999/watch/").status_code == 404
    assert client.get(f"/e/{EventFactory().pk}/watch/").status_code == 404  # no stream


# --- The webinar stream ---------------------------------------------------------------------------------
STREAM = "https://www.youtube.com/watch?v=abcdefgh123"
EMBED = "https://www.youtube-nocookie.com/embed/abcdefgh123"


@pytest.fixture
def webinar(home_page):
    event = WebinarFactory(
        title="Pipeline webinar",
        online_url=STREAM,
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        stream_preview_seconds=0,
    )
    generated_page(event)
    return event


def test_the_stream_is_gated_without_a_ticket(webinar):
    with freeze_time(START - timedelta(days=1)):
        html = html_of(Client().get(f"/e/{webinar.pk}/watch/"))
    assert "This stream is for registered attendees." in html
    assert "abcdefgh123" not in html and "<iframe" not in html
    assert f"{webinar.landing_page.url}#register" in html


@pytest.mark.parametrize("how", ["pending", "waitlisted", "tampered", "another event"])
def test_a_ticket_that_admits_nobody_keeps_the_gate(webinar, how):
    with freeze_time(START - timedelta(days=1)):
        if how in ("pending", "waitlisted"):
            webinar.requires_approval = how == "pending"
            webinar.capacity = 1
            webinar.save()
            if how == "waitlisted":
                sign_up(webinar, 0)
            token = links.ticket_token(sign_up(webinar, 1))
        elif how == "tampered":
            token = links.ticket_token(sign_up(webinar, 1))[:-3] + "abc"
        else:
            token = links.ticket_token(sign_up(WebinarFactory(), 1))
        response = Client().get(f"/e/{webinar.pk}/watch/", {"t": token})
    assert response.status_code == 200
    html = html_of(response)
    assert "This stream is for registered attendees." in html and "abcdefgh123" not in html


def test_an_approved_ticket_shows_the_stream(webinar):
    with freeze_time(START - timedelta(days=1)):
        registration = sign_up(webinar, 1)
        response = Client().get(watch_path(registration))
    html = html_of(response)
    assert f'<iframe src="{EMBED}"' in html
    assert f'href="{STREAM}"' in unescape(html)
    assert "The stream starts" in html  # a day early
    assert response["Referrer-Policy"] == "no-referrer"
    assert fresh(registration).status == "approved"  # watching a day early is not attending


def test_a_preview_shows_the_player_then_the_form(webinar):
    webinar.stream_preview_seconds = 90
    webinar.save()
    with freeze_time(START + timedelta(minutes=5)):
        html = html_of(Client().get(f"/e/{webinar.pk}/watch/"))
    assert 'data-preview-seconds="90"' in html
    assert f'<iframe src="{EMBED}"' in html and "data-preview-player" in html
    assert "data-preview-gate" in html and "Register to keep watching" in html
    assert STREAM not in unescape(html)  # the embed, never the stream's own link
    assert "Open the stream" not in html


def test_watching_live_checks_the_registrant_in_once(webinar):
    with freeze_time(START - timedelta(days=2)):
        registration = sign_up(webinar, 1)
    client = Client()
    with freeze_time(START - timedelta(hours=1)):
        assert "data-attendance" not in html_of(client.get(watch_path(registration)))
        assert client.post(watch_path(registration)).status_code == 204  # an hour early: not yet
    assert fresh(registration).checked_in_at is None
    with freeze_time(START + timedelta(minutes=10)):
        html = html_of(client.get(watch_path(registration)))
        assert fresh(registration).checked_in_at is None  # opening the link is not attending (link scanners)
        assert "data-attendance" in html  # the open page says so
        assert client.post(watch_path(registration)).status_code == 204
        assert client.post(watch_path(registration)).status_code == 204
        assert Client().post(f"/e/{webinar.pk}/watch/").status_code == 403  # nobody's beacon counts nothing
    registration.refresh_from_db()
    assert registration.status == "attended"
    assert registration.checked_in_at == START + timedelta(minutes=10)
    assert Interaction.objects.filter(type="event_attended", object_id=str(webinar.pk)).count() == 1


def test_watching_the_recording_afterwards_is_not_attending(webinar):
    with freeze_time(START - timedelta(days=2)):
        registration = sign_up(webinar, 1)
    with freeze_time(START + timedelta(hours=2)):
        html = html_of(Client().get(watch_path(registration)))
    assert f'<iframe src="{EMBED}"' in html
    assert fresh(registration).checked_in_at is None


def test_a_browser_that_registered_is_let_in_without_the_ticket(webinar):
    client = Client()
    with freeze_time(START - timedelta(days=1)):
        response = register(webinar.landing_page, client, n=5)
        assert "You're registered!" in html_of(response)
        html = html_of(client.get(f"/e/{webinar.pk}/watch/"))
        other = html_of(Client().get(f"/e/{webinar.pk}/watch/"))
    assert f'<iframe src="{EMBED}"' in html
    assert "abcdefgh123" not in other


# --- Generating landing pages --------------------------------------------------------------------------
def test_generating_one_page_makes_the_listing_and_the_form(home_page):
    assert not EventIndexPage.objects.exists()
    event = EventFactory(title="RevOps Meetup Berlin", starts_at=START)
    with committed():
        [(same, page, what)] = event_pages_sync([event])
    assert (same, what) == (event, "created")
    index = EventIndexPage.objects.get()
    assert index.live and index.get_parent().specific == home_page
    page.refresh_from_db()
    assert page.get_parent().specific == index and page.event == event
    assert page.live is False and page.title == "RevOps Meetup Berlin"
    assert page.slug == "revops-meetup-berlin-2030-03-12"
    assert page.faq  # the default questions for the event's type
    form = LeadFormPage.objects.get(purpose=FormPurpose.REGISTRATION)
    assert form.live is False and form.send_confirmation is False
    assert [(f.maps_to, f.required) for f in form.form_fields.order_by("sort_order")] == [
        ("first_name", True),
        ("last_name", True),
        ("email", True),
        ("company", True),
        ("job_title", False),
    ]
    assert Client().get(page.url).status_code == 404  # a draft until someone publishes it
    assert links.event_page_url(fresh(event)) == links.calendar_url(event)  # no live page to link to yet


def test_generating_published_pages_in_bulk(home_page):
    events = [EventFactory(title=f"Roadshow stop {n}") for n in range(5)]
    with committed():
        results = landing_pages_generate(events, publish=True)
    assert [what for _, _, what in results] == ["created"] * 5
    assert EventIndexPage.objects.count() == 1
    assert LeadFormPage.objects.filter(purpose=FormPurpose.REGISTRATION).count() == 1
    pages = EventPage.objects.filter(event__in=events)
    assert pages.count() == 5 and all(page.live for page in pages)
    assert all(Client().get(page.url).status_code == 200 for page in pages)
    assert links.event_page_url(fresh(events[0])) == pages.get(event=events[0]).get_full_url()

    revisions = {page.pk: page.latest_revision_id for page in pages}
    with committed():
        again = event_pages_sync(events, publish=True)
    assert [what for _, _, what in again] == ["unchanged"] * 5
    assert {page.pk: page.latest_revision_id for page in EventPage.objects.filter(event__in=events)} == revisions
    # More events later: the same listing, the same form.
    with committed():
        event_pages_sync([EventFactory()])
    assert EventIndexPage.objects.count() == 1
    assert LeadFormPage.objects.filter(purpose=FormPurpose.REGISTRATION).count() == 1


def test_an_event_with_its_own_form_gets_no_default_form(home_page):
    index = generated_page(EventFactory()).get_parent()
    LeadFormPage.objects.all().delete()
    own = LeadFormPageFactory(parent=index, purpose=FormPurpose.REGISTRATION, title="VIP dinner form")
    event = EventFactory(registration_form=own)
    page = generated_page(event)
    assert list(LeadFormPage.objects.values_list("title", flat=True)) == ["VIP dinner form"]
    assert page.specific.registration_form == own


def test_same_titled_events_get_unique_slugs(home_page):
    first, second, third = (EventFactory(title="Data Breakfast", starts_at=START) for _ in range(3))
    conference = EventFactory(title="Data Breakfast", starts_at=START + timedelta(days=40), type="conference")
    event_pages_sync([first, second])
    event_pages_sync([third, conference])
    slugs = [EventPage.objects.get(event=e).slug for e in (first, second, third, conference)]
    assert slugs == [
        "data-breakfast-2030-03-12",
        "data-breakfast-2030-03-12-1",
        "data-breakfast-2030-03-12-2",
        "data-breakfast-2030",
    ]
    untitled = EventFactory(title="!!!", starts_at=START)
    assert generated_page(untitled).slug == "2030-03-12"


def test_a_new_event_title_reaches_the_page_until_an_editor_renames_it(home_page):
    event = EventFactory(title="Data Breakfast")
    page = generated_page(event)
    event.title = "Data Breakfast Munich"
    event.save()
    with committed():
        [(_, _, what)] = event_pages_sync([event])
    assert what == "updated"
    page.refresh_from_db()
    assert (page.title, page.draft_title, page.live, page.has_unpublished_changes) == (
        "Data Breakfast Munich",
        "Data Breakfast Munich",
        True,
        False,
    )

    page = page.specific
    page.title = "Breakfast with the data team"
    page.save_revision().publish()
    event.title = "Data Breakfast Munich (new date)"
    event.save()
    with committed():
        event_pages_sync([event])
    page.refresh_from_db()
    assert page.title == "Breakfast with the data team"
    assert page.synced_title == "Data Breakfast Munich (new date)"


def test_an_editors_unpublished_draft_survives_a_sync(home_page):
    event = EventFactory(title="Data Breakfast")
    page = generated_page(event).specific
    page.intro = "<p>Croissants from 8:30.</p>"
    page.save_revision()  # saved, not published
    event.title = "Data Breakfast Munich"
    event.save()
    with committed():
        [(_, _, what)] = event_pages_sync([event])
    assert what == "updated"
    live = EventPage.objects.get(pk=page.pk)
    assert live.live and live.has_unpublished_changes
    assert live.title == "Data Breakfast" and live.intro == ""  # what visitors see is unchanged
    draft = live.get_latest_revision_as_object()
    assert draft.intro == "<p>Croissants from 8:30.</p>" and draft.title == "Data Breakfast Munich"
    assert "Croissants" not in html_of(Client().get(live.url))


def test_saving_an_event_brings_its_page_in_step(home_page):
    event = EventFactory(title="Data Breakfast")
    page = generated_page(event)
    event.title = "Data Brunch"
    event.save()
    with committed():
        event_saved(event, previous={"status": event.status, "capacity": event.capacity})
    page.refresh_from_db()
    assert page.title == "Data Brunch" and page.live
    assert "Data Brunch" in html_of(Client().get(page.url))


# --- The landing page ----------------------------------------------------------------------------
def json_ld(html, type_):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [data for data in map(json.loads, blocks) if data.get("@type") == type_]


@pytest.fixture
def conference(home_page):
    event = EventFactory(
        title="Banking Data Summit",
        type="conference",
        starts_at=START,
        ends_at=START + timedelta(hours=8),
        capacity=200,
        city="Frankfurt",
        address="Messe 1",
    )
    keynote_speaker, workshop_speaker, host = (
        SpeakerFactory(name=name) for name in ("Dr. Mia Wong", "Jonas Berg", "Lena Roth")
    )
    event.speakers.add(host)
    event.save()
    sessions = [
        ("Main stage", "Opening keynote", 0, keynote_speaker),
        ("Workshops", "Hands-on: lead scoring", 60, workshop_speaker),
        ("Main stage", "Panel: open banking", 120, None),
        ("Workshops", "Hands-on: attribution", 30, None),
    ]
    for track, title, minutes, speaker in sessions:
        session = EventSessionFactory(
            event=event, track=track, title=title, starts_at=START + timedelta(minutes=minutes)
        )
        if speaker:
            session.speakers.add(speaker)
            session.speakers.commit()  # see test_session_speakers_saved_with_the_event_are_kept
    return event


def test_the_page_shows_the_agenda_by_track_the_speakers_and_json_ld(conference):
    page = generated_page(conference)
    response = Client().get(page.url)
    assert response.status_code == 200
    html = html_of(response)
    tracks = html.split('<div class="event-agenda__track">')[1:]
    assert len(tracks) == 2
    assert "<h3>Main stage</h3>" in tracks[0] and "<h3>Workshops</h3>" in tracks[1]
    titles = [re.findall(r'event-session__title">([^<]+)<', track) for track in tracks]
    assert titles == [["Opening keynote", "Panel: open banking"], ["Hands-on: attribution", "Hands-on: lead scoring"]]
    speakers = re.findall(r'event-speaker__name">([^<]+)<', html)
    assert speakers == ["Lena Roth", "Dr. Mia Wong", "Jonas Berg"]  # the event's, then the sessions'
    assert '<p class="muted">Dr. Mia Wong</p>' in tracks[0] and '<p class="muted">Jonas Berg</p>' in tracks[1]

    [data] = json_ld(html, "Event")
    assert data["name"] == "Banking Data Summit"
    assert data["startDate"] == "2030-03-12T18:00:00+01:00"
    assert data["endDate"] == "2030-03-13T02:00:00+01:00"
    assert data["location"]["@type"] == "Place" and data["location"]["address"]["addressLocality"] == "Frankfurt"
    assert data["eventAttendanceMode"].endswith("OfflineEventAttendanceMode")
    assert sorted(p["name"] for p in data["performer"]) == ["Dr. Mia Wong", "Jonas Berg", "Lena Roth"]
    assert data["url"] == page.get_full_url()

    text = unescape(html)
    assert f"/e/{conference.pk}/calendar.ics" in text
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in text
    assert "dates=20300312T170000Z/20300313T010000Z" in text.replace("%2F", "/")
    assert "https://outlook.office.com/calendar/0/deeplink/compose?" in text
    assert "200 of 200 left" in html
    assert 'name="work_email"' in html


def test_pages_show_times_in_the_event_time_zone(conference):
    page = generated_page(conference)
    registration = sign_up(conference, 1)
    html = html_of(Client().get(page.url))
    assert "Tuesday 12 March 2030, 18:00" in html  # the hero
    assert '<time datetime="2030-03-12T18:00:00+01:00">18:00</time>' in html  # the agenda
    ticket = html_of(Client().get(ticket_path(registration)))
    assert "Tuesday 12 March 2030, 18:00 (Europe/Berlin)" in ticket
    assert "Tuesday 12 March 2030, 18:00?" in html_of(Client().get(cancel_path(registration)))
    card = html_of(Client().get(page.get_parent().url))
    assert '<time datetime="2030-03-12T18:00:00+01:00">Tue 12 Mar 2030, 18:00</time>' in card


def test_session_speakers_saved_with_the_event_are_kept(home_page):
    from events.models import EventSession

    speaker = SpeakerFactory(name="Dr. Mia Wong")
    event = EventFactory()
    session = EventSession(title="Keynote", starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1))
    session.speakers = [speaker]
    event.sessions = [session]
    event.save()
    assert list(EventSession.objects.get(event=event).speakers.all()) == [speaker]
    assert event.all_speakers() == [speaker]


def test_the_page_of_a_cancelled_or_full_event(home_page):
    full = EventFactory(capacity=1)
    sign_up(full, 1)
    html = html_of(Client().get(generated_page(full).url))
    assert "Full: join the waitlist" in html and "Register for the waitlist" in html
    [data] = json_ld(html, "Event")
    assert data["offers"]["availability"] == "https://schema.org/SoldOut"

    cancelled = EventFactory(status=Event.Status.CANCELLED)
    html = html_of(Client().get(generated_page(cancelled).url))
    assert "This event has been cancelled." in html
    [data] = json_ld(html, "Event")
    assert data["eventStatus"] == "https://schema.org/EventCancelled"


def test_a_webinar_page_never_shows_the_stream(webinar):
    page = webinar.landing_page
    with freeze_time(START - timedelta(days=1)):
        html = html_of(Client().get(page.url))
    assert "abcdefgh123" not in html
    [data] = json_ld(html, "Event")
    assert data["location"]["@type"] == "VirtualLocation"
    assert data["eventAttendanceMode"].endswith("OnlineEventAttendanceMode")


def test_registration_needing_approval_on_the_page(home_page):
    event = EventFactory(requires_approval=True, capacity=2)
    page = generated_page(event)
    assert "Request a place" in html_of(Client().get(page.url))
    response = register(page, n=1)
    assert "we've got your request" in html_of(response)
    registration = Registration.objects.get()
    assert registration.status == "pending"
    registration_approve(registration)
    assert fresh(registration).status == "approved"


# --- The listing ----------------------------------------------------------------------------------
@pytest.fixture
def listing(home_page):
    now = timezone.now()
    events = {
        "webinar": WebinarFactory(title="AI for underwriting", starts_at=now + timedelta(days=3), topics=["AI"]),
        "berlin": EventFactory(
            title="Banking meetup Berlin", starts_at=now + timedelta(days=5), city="Berlin", topics=["Banking"]
        ),
        "munich": EventFactory(
            title="Banking meetup Munich", starts_at=now + timedelta(days=1), city="Munich", topics=["Banking", "AI"]
        ),
        "past": EventFactory(
            title="Last year's summit",
            starts_at=now - timedelta(days=30),
            city="Berlin",
            ends_at=now - timedelta(days=30) + timedelta(hours=2),
        ),
    }
    for event in events.values():
        generated_page(event)
    draft = EventFactory(title="Secret launch", status=Event.Status.DRAFT)
    generated_page(draft)
    return EventIndexPage.objects.get()


def titles_listed(response):
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a [^>]*href="[^"]*">([^<]+)</a>', html_of(response))


def test_the_listing_shows_upcoming_events_by_default(listing):
    client = Client()
    assert titles_listed(client.get(listing.url)) == [
        "Banking meetup Munich",
        "AI for underwriting",
        "Banking meetup Berlin",
    ]
    assert titles_listed(client.get(listing.url, {"when": "past"})) == ["Last year&#x27;s summit"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"type": "webinar"}, ["AI for underwriting"]),
        ({"topic": "ai"}, ["Banking meetup Munich", "AI for underwriting"]),
        ({"topic": "banking", "city": "Berlin"}, ["Banking meetup Berlin"]),
        ({"city": "Berlin", "when": "past"}, ["Last year&#x27;s summit"]),
        ({"type": "conference"}, []),
    ],
)
def test_the_listing_filters(listing, query, expected):
    assert titles_listed(Client().get(listing.url, query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"type": "concert"},
        {"topic": "<script>alert(1)</script>"},
        {"city": "Atlantis"},
        {"when": "yesterday"},
        {"page": "abc"},
        {"page": "99999"},
        {"page": "-1"},
        {"city": "x" * 5000},
    ],
)
def test_the_listing_ignores_junk_filters(listing, query):
    response = Client().get(listing.url, query)
    assert titles_listed(response) == ["Banking meetup Munich", "AI for underwriting", "Banking meetup Berlin"]
    assert "<script>alert(1)</script>" not in html_of(response)


@pytest.mark.parametrize("query, name", [({"topic": "\x00"}, "topic"), ({"city": "x" * 10_001}, "city")])
def test_a_filter_no_listing_takes_is_a_400_naming_it(listing, query, name):
    """Control characters and absurd lengths are refused at the edge (core.edge), before the listing reads them."""
    response = Client().get(listing.url, query)
    assert response.status_code == 400 and f"{name}: " in response.content.decode()


def test_the_listing_never_shows_drafts(listing):
    assert "Secret launch" not in html_of(Client().get(listing.url))
    assert "Secret launch" not in html_of(Client().get(listing.url, {"when": "past"}))


# --- The content API ---------------------------------------------------------------------------------
def test_the_api_gives_the_event_but_never_the_stream(webinar):
    webinar.online_url = "https://zoom.example.com/j/123456?pwd=s3cret"
    webinar.recording_url = "https://video.example.com/recording"
    webinar.save()
    page = webinar.landing_page
    with freeze_time(START - timedelta(days=1)):
        response = Client().get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200
    data = response.json()
    event = data["event"]
    assert (event["id"], event["title"], event["type"]) == (webinar.pk, "Pipeline webinar", "webinar")
    assert event["starts_at"] == START.isoformat()
    assert event["local_start"] == "2030-03-12T18:00:00+01:00"
    assert event["registration"]["open"] is True
    assert event["recording_url"] == ""  # not before the event
    assert "zoom.example.com" not in response.content.decode() and "s3cret" not in response.content.decode()
    assert "online_url" not in json.dumps(data)


def test_the_api_lists_no_draft_event_page(home_page):
    page = generated_page(EventFactory(), publish=False)
    assert Client().get(f"/api/v2/pages/{page.pk}/").status_code == 404
    assert Page.objects.filter(pk=page.pk).exists()
    assert HomePage.objects.count() == 1
