"""The Events listing as door staff and sales meet it (issue 15): soonest event first, Check-in only where
people are expected, a card per event on a phone; the door-staff role (the door and nothing else, addresses
masked) and "Register someone" for the sales roles on the published events; the early check-in notice."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from events.admin_views.door import door_notice
from events.models import Event, Registration
from sales.roles import DOOR_STAFF, MARKETER, SALES_MANAGER, SALES_REP, roles_ensure
from tests.factories import EventFactory, RegistrationFactory, WebinarFactory

from .conftest import committed

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TITLE = re.compile(r'id="snippet_(\d+)_title">([^<]+)<')


def url(name, *args):
    return reverse(Event.snippet_viewset.get_url_name(name), args=args)


def titles(html: str) -> list[str]:
    """The events in the listing, top to bottom."""
    return [title.strip() for _pk, title in TITLE.findall(html)]


def refused(response) -> bool:
    """Wagtail's "permission denied" (a redirect to the dashboard), a 403 or a "not found"."""
    if response.status_code == 302:
        return response["Location"] == "/admin/"
    return response.status_code in (403, 404)


@pytest.fixture
def role_user(django_user_model):
    groups = roles_ensure()

    def make(username, role):
        user = django_user_model.objects.create_user(
            username, f"{username}@signalpage.test", "pw-123-secret", first_name=username.capitalize()
        )
        user.groups.add(groups[role])
        return user

    return make


@pytest.fixture
def door_staff(client, role_user):
    client.force_login(role_user("dora", DOOR_STAFF))
    return client


@pytest.fixture
def rep(client, role_user):
    user = role_user("sara", SALES_REP)
    client.force_login(user)
    return user


def at(days=0, hours=0):
    return (timezone.now() + timedelta(days=days, hours=hours)).replace(microsecond=0)


@pytest.fixture
def season(home_page):
    """An event in every state, created in an order that is not their dates'."""
    return {
        "long_ago": EventFactory(title="Long ago", starts_at=at(-60), ends_at=at(-60, 3), status=Event.Status.FINISHED),
        "in_a_month": EventFactory(title="In a month", starts_at=at(30), ends_at=at(30, 3)),
        "live": EventFactory(title="Live now", starts_at=at(hours=-1), ends_at=at(hours=2)),
        "last_week": EventFactory(title="Last week", starts_at=at(-7), ends_at=at(-7, 3)),  # over by the clock
        "in_two_days": EventFactory(title="In two days", starts_at=at(2), ends_at=at(2, 3)),
        "cancelled": EventFactory(
            title="Called off", starts_at=at(10), ends_at=at(10, 3), status=Event.Status.CANCELLED
        ),
        "draft": EventFactory(title="Not announced", starts_at=at(20), ends_at=at(20, 3), status=Event.Status.DRAFT),
    }


# --- The listing ------------------------------------------------------------------------------------


def test_the_listing_puts_the_soonest_event_first_then_the_past_latest_first(admin_client, season):
    assert titles(admin_client.get(url("list")).content.decode()) == [
        "Live now",
        "In two days",
        "Called off",
        "Not announced",
        "In a month",
        "Last week",
        "Long ago",
    ]
    # A column's sort still wins, and so does the When filter.
    by_start = titles(admin_client.get(url("list"), {"ordering": "-starts_at"}).content.decode())
    assert by_start == ["In a month", "Not announced", "Called off", "In two days", "Live now", "Last week", "Long ago"]
    assert titles(admin_client.get(url("list"), {"when": "past"}).content.decode()) == ["Last week", "Long ago"]
    assert titles(admin_client.get(url("list"), {"when": "upcoming"}).content.decode())[:2] == [
        "Live now",
        "In two days",
    ]


def test_check_in_is_offered_only_where_people_are_expected(admin_client, season):
    html = admin_client.get(url("list")).content.decode()
    offered = {name for name, event in season.items() if url("check_in", event.pk) in html}
    assert offered == {"live", "in_two_days", "in_a_month"}  # not cancelled, finished (by status or clock), draft


def test_register_someone_is_offered_while_registration_is_open(client, rep, season):
    html = client.get(url("list")).content.decode()
    offered = {name for name, event in season.items() if url("register_someone", event.pk) in html}
    # In person: registration closes at the start, so not for the live one either.
    assert offered == {"in_two_days", "in_a_month"}
    live_webinar = WebinarFactory(title="Webinar on air", starts_at=at(hours=-1), ends_at=at(hours=1))
    assert url("register_someone", live_webinar.pk) in client.get(url("list")).content.decode()


def test_on_a_phone_each_event_is_a_card_with_its_date_labelled(admin_client, season):
    html = admin_client.get(url("list")).content.decode()
    assert 'class="listing sp-events"' in html and "events/events.css" in html
    assert 'class="sp-events__when" data-label="Starts (local time)"' in html
    assert 'data-label="Seats taken"' in html
    live = season["live"]
    assert f"{live.local_start:%a %d %b %Y, %H:%M} (Europe/Berlin)" in html
    assert 'sp-events__status--live">Live</span>' in html
    # The door's button has an icon Wagtail has ("tick" is not one: it left a blank square).
    assert "#icon-check" in html and "#icon-tick" not in html


# --- Door staff -------------------------------------------------------------------------------------


def test_door_staff_see_the_published_events_and_the_door_nothing_else(door_staff, season):
    assert door_staff.get("/admin/").status_code == 200
    listing = door_staff.get(url("list"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Not announced" not in titles(html) and titles(html)[0] == "Live now"
    assert url("check_in", season["live"].pk) in html
    # No editing: no link to the editor, no bulk checkboxes, no page editor, no registrations listing.
    assert url("edit", season["live"].pk) not in html and "data-bulk-action-checkbox" not in html
    assert 'data-label="Landing page"' not in html and "Edit page" not in html
    assert reverse(Registration.snippet_viewset.get_url_name("list")) + "?" not in html
    assert url("register_someone", season["live"].pk) not in html

    door = door_staff.get(url("check_in", season["live"].pk))
    assert door.status_code == 200
    assert url("edit", season["live"].pk) not in door.content.decode()  # not even in the breadcrumbs
    assert door_staff.get(url("check_in", season["draft"].pk)).status_code == 404

    event = season["live"]
    for forbidden in (
        url("edit", event.pk),
        url("add"),
        url("register_someone", event.pk),
        reverse(Registration.snippet_viewset.get_url_name("list")),
        reverse(Registration.snippet_viewset.get_url_name("list")) + "?status=pending",
        "/admin/events/speakers/",
        "/admin/events/emails/",
        "/admin/events/import/",
        "/admin/pages/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/snippets/cms/topic/",
        "/admin/leads/person/",
        "/admin/leads/company/",
        "/admin/leads/lead/",
        "/admin/leads/interaction/",
        "/admin/sales/lead-lists/",
        "/admin/sales/exports/",
        "/admin/sales/audit-log/",
        "/admin/outbox/",
        "/admin/forms/consent-records/",
        "/admin/snippets/personalization/segment/",
        "/admin/users/",
    ):
        assert refused(door_staff.get(forbidden)), forbidden


def test_the_door_staff_menu_has_the_events_only(door_staff, home_page):
    html = door_staff.get("/admin/").content.decode()
    assert url("list") in html
    for other in (
        "Registrations",
        "Approval queue",
        "Speakers",
        "Event emails",
        "Import events",
        "Lead store",
        "Sales",
    ):
        assert f'"label": "{other}"' not in html, other


def test_door_staff_check_in_with_addresses_masked_and_find_people_by_full_address(door_staff, home_page):
    event = EventFactory(starts_at=at(hours=1), ends_at=at(hours=4))
    ana = RegistrationFactory(
        event=event,
        first_name="Ana",
        last_name="Silva",
        company="Meridian Bank",
        email="ana.silva@meridian-bank.de",
        email_key="ana.silva@meridian-bank.de",
    )

    def search(query):
        return door_staff.get(
            url("check_in", event.pk), {"q": query}, HTTP_HX_TARGET="check-in-results", **HTMX
        ).content.decode()

    found = search("silva")
    assert "Ana Silva" in found and "a***@meridian-bank.de" in found and "ana.silva@" not in found
    assert "Ana Silva" not in search("ana.sil")  # a masked address is not spelled out letter by letter
    assert "Ana Silva" in search("ana.silva@meridian-bank.de")

    with committed():
        checked = door_staff.post(url("check_in_registration", event.pk, ana.pk), **HTMX).content.decode()
    assert "Checked in ✓" in checked and "ana.silva@" not in checked
    ana.refresh_from_db()
    assert ana.status == Registration.Status.ATTENDED and ana.checked_in_by.username == "dora"


# --- The early check-in notice ------------------------------------------------------------------------


BERLIN = ZoneInfo("Europe/Berlin")


def event_on(day: datetime, **fields) -> Event:
    return Event(
        title="Summit",
        starts_at=day,
        ends_at=day + timedelta(hours=8),
        time_zone="Europe/Berlin",
        status=fields.pop("status", Event.Status.SCHEDULED),
        **fields,
    )


@pytest.mark.parametrize(
    ("starts", "notice"),
    [
        (
            datetime(2027, 3, 12, 9, tzinfo=BERLIN),
            "This event is on 12 March, 3 weeks away: you are checking in early.",
        ),
        (
            datetime(2027, 2, 26, 9, tzinfo=BERLIN),
            "This event is on 26 February, 7 days away: you are checking in early.",
        ),
        (datetime(2027, 5, 19, 9, tzinfo=BERLIN), "This event is on 19 May, 3 months away: you are checking in early."),
        (
            datetime(2028, 1, 20, 9, tzinfo=BERLIN),
            "This event is on 20 January 2028, 11 months away: you are checking in early.",
        ),
        (datetime(2027, 2, 22, 9, tzinfo=BERLIN), ""),  # three days ahead: the door is being set up
        (datetime(2027, 2, 19, 18, tzinfo=BERLIN), ""),  # tonight
    ],
)
def test_the_door_says_when_the_event_is_weeks_away(starts, notice):
    now = datetime(2027, 2, 19, 10, tzinfo=BERLIN)
    assert door_notice(event_on(starts), now=now) == notice


def test_the_door_says_when_the_event_is_over_cancelled_or_a_draft():
    now = timezone.now()
    over = event_on(now - timedelta(days=2))
    assert door_notice(over).startswith("This event ended on ")
    assert door_notice(event_on(now + timedelta(days=1), status=Event.Status.CANCELLED)) == (
        "This event is cancelled: nobody is expected at the door."
    )
    assert "draft" in door_notice(event_on(now + timedelta(days=1), status=Event.Status.DRAFT))


def test_the_check_in_screen_shows_the_notice_and_still_checks_in(door_staff, home_page):
    event = EventFactory(starts_at=at(21), ends_at=at(21, 3))
    registration = RegistrationFactory(event=event, first_name="Early")
    html = door_staff.get(url("check_in", event.pk)).content.decode()
    assert 'class="sp-door__notice" role="note">This event is on ' in html
    assert "3 weeks away: you are checking in early." in html
    with committed():
        door_staff.post(url("check_in_registration", event.pk, registration.pk))
    registration.refresh_from_db()
    assert registration.checked_in_at is not None  # a warning, never a stop

    soon = EventFactory(starts_at=at(hours=2), ends_at=at(hours=5))
    assert "sp-door__notice" not in door_staff.get(url("check_in", soon.pk)).content.decode()


# --- "Register someone" for the sales roles --------------------------------------------------------------


@pytest.mark.parametrize("role", [SALES_REP, SALES_MANAGER])
def test_the_sales_roles_register_someone_on_the_published_events(client, role_user, season, role):
    seller = role_user("seller", role)
    client.force_login(seller)
    html = client.get(url("list")).content.decode()
    assert "Not announced" not in titles(html) and "Long ago" in titles(html)
    assert url("check_in", season["live"].pk) not in html and url("edit", season["in_a_month"].pk) not in html

    event = season["in_a_month"]
    with committed():
        response = client.post(
            url("register_someone", event.pk),
            {"email": "kim.lee@northwind.example", "first_name": "Kim", "last_name": "Lee", "company": "Northwind"},
        )
    assert response.status_code == 200 and "Kim Lee: Registered" in response.content.decode()
    registration = Registration.objects.get(event=event)
    assert registration.source == Registration.Source.SALES and registration.registered_by == seller

    # Not a draft, not the door, not the event's editor or its registrations.
    assert client.get(url("register_someone", season["draft"].pk)).status_code == 404
    for forbidden in (
        url("check_in", event.pk),
        url("edit", event.pk),
        url("add"),
        reverse(Registration.snippet_viewset.get_url_name("list")),
        "/admin/events/speakers/",
    ):
        assert refused(client.get(forbidden)), forbidden


def test_people_who_work_on_events_still_see_drafts(client, role_user, season):
    client.force_login(role_user("mia", MARKETER))
    html = client.get(url("list")).content.decode()
    assert "Not announced" in titles(html) and url("edit", season["draft"].pk) in html
    assert "data-bulk-action-checkbox" in html


def test_a_group_with_only_the_door_right_finds_the_events_too(client, django_user_model, home_page):
    """An administrator's own door group (the permission alone, as docs/events.md says) gets the listing."""
    from django.contrib.auth.models import Permission

    group = Group.objects.create(name="Our door team")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="check_in_registration")
    )
    user = django_user_model.objects.create_user("porter", "porter@signalpage.test", "pw-123-secret")
    user.groups.add(group)
    client.force_login(user)
    event = EventFactory(title="Open house")
    html = client.get(url("list")).content.decode()
    assert "Open house" in titles(html) and url("check_in", event.pk) in html
