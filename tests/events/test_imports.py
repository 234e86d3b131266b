"""Importing a season of events (CSV, .ics): the preview's per-row errors, the import with its landing
pages, robustness against what marketers upload, the admin flow and the management command."""

import codecs
import csv
import io
import re
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cms.models import EventPage
from events import imports
from events.admin_imports import PreviewView, ResultView, RunView, TemplateDownloadView, UploadView
from events.imports import ImportFileError, events_from_csv, events_from_file, events_from_ics, events_import
from events.models import Event
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year + 1
BERLIN = ZoneInfo("Europe/Berlin")
HEADER = [
    "title",
    "type",
    "starts_at",
    "ends_at",
    "time_zone",
    "venue",
    "address",
    "city",
    "country",
    "online_url",
    "capacity",
    "requires_approval",
    "registration_deadline",
    "summary",
    "topics",
    "reminders",
]
SEASON = [
    [
        "RevOps Meetup Berlin",
        "meetup",
        f"{YEAR}-03-04 18:00",
        f"{YEAR}-03-04 21:00",
        "Europe/Berlin",
        "Factory Hall",
        "Lohmühlenstraße 65",
        "Berlin",
        "de",
        "",
        "80",
        "yes",
        f"{YEAR}-03-03 12:00",
        "Talks about revenue.",
        "RevOps, Pipeline",
        "",
    ],
    [
        "Revenue Summit",
        "conference",
        f"{YEAR}-05-12 09:00",
        f"{YEAR}-05-13T17:30:00+02:00",
        "Europe/Amsterdam",
        "Beurs van Berlage",
        "Damrak 243",
        "Amsterdam",
        "NL",
        "",
        "1,200",
        "no",
        "",
        "Two days, three tracks.",
        "AI, Banking",
        "7d, 24h",
    ],
    [
        "Pipeline Webinar",
        "online",
        f"{YEAR}-06-18 16:00",
        f"{YEAR}-06-18 17:00",
        "",
        "",
        "",
        "",
        "",
        "https://zoom.us/j/1234567890",
        "",
        "",
        "",
        "Forty minutes on pipeline.",
        "",
        "none",
    ],
]


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


def row(**changes) -> list[str]:
    """The meetup row with some columns changed."""
    values = dict(zip(HEADER, SEASON[0], strict=True))
    values.update(changes)
    return [values[name] for name in HEADER]


def ics(*events: str, extra: str = "") -> bytes:
    """A calendar of VEVENTs, each given as its property lines (indentation and line ends do not matter)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", *extra.splitlines()]
    for n, event in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{n}@test",
            "DTSTAMP:20260101T000000Z",
            *(line.strip() for line in event.strip().splitlines()),
            "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def spring_forward(year) -> date:
    """The night Europe/Berlin skips 02:00-03:00: the last Sunday of March."""
    day = date(year, 3, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.EVENT_IMPORT_ROOT = tmp_path / "event-imports"
    return settings.EVENT_IMPORT_ROOT


def user_with(username, *, can_add=True, superuser=False):
    users = get_user_model().objects
    if superuser:
        return users.create_superuser(username, f"{username}@example.org", "pw-import-123")
    user = users.create_user(username, f"{username}@example.org", "pw-import-123")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    if can_add:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="events", codename="add_event"))
    return user


# -- CSV: the happy path ------------------------------------------------------------------------


def test_a_season_becomes_events_and_draft_landing_pages_with_one_call_for_the_pages(home_page):
    preview = events_from_csv(csv_bytes(SEASON), filename="season.csv")
    assert (preview.ready, preview.invalid, preview.skipped) == (3, 0, 0), preview.error_messages()
    assert Event.objects.count() == 0  # the preview saves nothing

    with mock.patch(
        "events.imports.importing.landing_pages_generate", wraps=imports.importing.landing_pages_generate
    ) as generate:
        result = events_import(preview, publish=False, user=None)
    assert generate.call_count == 1 and len(generate.call_args.args[0]) == 3
    assert result.created_count == 3 and result.skipped_count == 0 and result.pages_created == 3

    meetup, summit, webinar = Event.objects.order_by("starts_at")
    assert meetup.type == Event.Type.IN_PERSON and meetup.country == "DE" and meetup.requires_approval
    assert meetup.local_start == datetime(YEAR, 3, 4, 18, 0, tzinfo=BERLIN) and meetup.time_zone == "Europe/Berlin"
    assert meetup.registration_deadline == datetime(YEAR, 3, 3, 12, 0, tzinfo=BERLIN)
    assert sorted(meetup.topics.names()) == ["Pipeline", "RevOps"] and meetup.reminders == "24h, 1h"
    assert summit.type == Event.Type.CONFERENCE and summit.capacity == 1200 and summit.reminders == "7d, 24h"
    assert summit.ends_at == datetime(YEAR, 5, 13, 15, 30, tzinfo=ZoneInfo("UTC"))  # the offset as given
    assert webinar.type == Event.Type.WEBINAR and webinar.time_zone == "UTC" and webinar.reminders == ""
    assert webinar.capacity is None and not webinar.requires_approval

    pages = EventPage.objects.filter(event__in=[meetup, summit, webinar])
    assert pages.count() == 3 and not any(page.live for page in pages)
    assert all(page.has_unpublished_changes for page in pages)  # drafts waiting for review


def test_publish_makes_the_landing_pages_live(home_page):
    result = events_import(events_from_csv(csv_bytes(SEASON)), publish=True, user=user_with("boss", superuser=True))
    assert result.created_count == 3
    pages = EventPage.objects.all()
    assert pages.count() == 3 and all(page.live for page in pages)
    assert {page.owner.username for page in pages} == {"boss"}


def test_importing_the_same_file_twice_creates_nothing_new(home_page):
    data = csv_bytes(SEASON)
    events_import(events_from_csv(data), publish=False, user=None)
    again = events_from_csv(data)
    assert again.ready == 0 and again.skipped == 3
    assert {r.skip_reason for r in again.rows} == {"already exists (an event with this title and start)"}
    result = events_import(again, publish=False, user=None)
    assert result.created_count == 0 and result.skipped_count == 3
    assert Event.objects.count() == 3 and EventPage.objects.count() == 3


def test_the_same_event_twice_in_one_file_is_imported_once(home_page):
    preview = events_from_csv(csv_bytes([SEASON[0], row(title="  revops meetup   BERLIN ")]))
    assert [r.skip_reason for r in preview.rows] == ["", "repeats row 2 (same title and start)"]
    assert events_import(preview, publish=False, user=None).created_count == 1


def test_an_existing_event_imported_since_the_preview_is_skipped_at_import(home_page):
    preview = events_from_csv(csv_bytes(SEASON[:1]))
    EventFactory(title="RevOps Meetup Berlin", starts_at=datetime(YEAR, 3, 4, 18, 0, tzinfo=BERLIN))
    result = events_import(preview, publish=False, user=None)
    assert result.created_count == 0 and result.skipped[0][2].startswith("already exists")


# -- CSV: errors named by row and column --------------------------------------------------------


def test_every_problem_names_its_row_and_column_and_only_good_rows_are_imported(home_page):
    rows = [
        row(starts_at="next friday"),
        row(title="Backwards", ends_at=f"{YEAR}-03-04 17:00"),
        row(title="Party", type="party"),
        row(title="Lost", time_zone="Mars/Olympus"),
        row(title="Crowded", capacity="lots"),
        row(title="Empty room", capacity="0"),
        row(title="Silent webinar", type="webinar", venue="", address="", city=""),
        row(title="Nowhere", venue="", address="", city=""),
        row(title="Day only", starts_at=f"{YEAR}-03-04"),
        row(title="Approve?", requires_approval="maybe"),
        row(title="Bad link", online_url="zoom meeting"),
        row(title="Spring forward", starts_at=f"{spring_forward(YEAR)} 02:30", ends_at=f"{spring_forward(YEAR)} 04:00"),
        row(title="Fine after all"),
        row(title="", reminders="soon"),
    ]
    preview = events_from_csv(csv_bytes(rows))
    errors = {r.number: r.error_messages for r in preview.rows}
    assert errors[2] == ["row 2, starts_at: 'next friday' is not a date; use 2027-03-04 18:00."]
    assert errors[3] == ["row 3, ends_at: The end must be after the start."]
    assert errors[4] == [
        "row 4, type: 'party' is not a type of event; use in_person (or meetup), conference or webinar (or online)."
    ]
    assert errors[5] == [
        "row 5, time_zone: 'Mars/Olympus' is not a time zone; use a name such as Europe/Berlin or America/New_York."
    ]
    assert errors[6] == [
        "row 6, capacity: 'lots' is not a number of seats; use a whole number such as 120, or leave "
        "it empty for no limit."
    ]
    assert errors[7] == ["row 7, capacity: A capacity of 0 lets nobody in: leave it empty for no limit."]
    assert errors[8] == ["row 8, online_url: A webinar needs its stream or join link."]
    assert errors[9] == ["row 9, venue: Say where it happens: a venue, an address, or a join link for online events."]
    assert errors[10] == [
        f"row 10, starts_at: '{YEAR}-03-04' is a date without a time; add the time, e.g. 2027-03-04 18:00."
    ]
    assert errors[11] == ["row 11, requires_approval: 'maybe' is not yes or no; use yes, no, true, false, 1 or 0."]
    assert errors[12] == ["row 12, online_url: Enter a valid URL."]
    assert errors[13] == [
        f"row 13, starts_at: '{spring_forward(YEAR)} 02:30' does not exist in Europe/Berlin: the "
        f"clocks go forward that night."
    ]
    assert errors[14] == []
    assert errors[15][0] == "row 15, title: empty; every event needs a title."
    assert errors[15][1].startswith("row 15, reminders: “soon” is not an offset")
    assert Event.objects.count() == 0

    result = events_import(preview, publish=False, user=None)
    assert [event.title for event in result.created] == ["Fine after all"]
    reasons = {label: reason for label, _title, reason in result.skipped}
    assert reasons["row 2"] == "starts_at: 'next friday' is not a date; use 2027-03-04 18:00."
    assert len(reasons) == 13 and Event.objects.count() == 1


def test_too_long_values_and_unknown_columns(home_page):
    header = [*HEADER, "Notes", "internal id"]
    preview = events_from_csv(csv_bytes([[*row(title="T" * 201), "x", "1"]], header=header))
    assert preview.warnings == [
        "Not imported (not one of our columns): 'Notes', 'internal id'. Our columns: " + ", ".join(HEADER) + "."
    ]
    assert preview.rows[0].error_messages == [
        "row 2, title: Ensure this value has at most 200 characters (it has 201)."
    ]


def test_formula_like_values_are_just_text(home_page):
    title = '=HYPERLINK("http://evil.example","Click")'
    preview = events_from_csv(csv_bytes([row(title=title, summary="+49 30 1234", topics="@AI, -Banking")]))
    events_import(preview, publish=False, user=None)
    event = Event.objects.get()
    assert event.title == title and event.summary == "+49 30 1234"
    assert sorted(event.topics.names()) == ["-Banking", "@AI"]


# -- CSV: whatever people upload ----------------------------------------------------------------


def test_bom_semicolons_windows_encoding_blank_lines_and_header_case(home_page):
    header = ["Title", "Type", "Starts At", "Ends-At", "TIME ZONE", "Venue", "Address", "City"]
    rows = [
        [
            "Café Köln Meetup",
            "In Person",
            f"04.03.{YEAR} 18:00",
            f"04.03.{YEAR} 21:00",
            "europe/berlin",
            "Brauhaus Früh",
            "Am Hof 12–18",
            "Köln",
        ]
    ]
    windows = csv_bytes(rows, header=header, delimiter=";", encoding="cp1252").replace(b"\r\n", b"\r\n\r\n;;\r\n", 1)
    preview = events_from_csv(windows)
    assert preview.encoding == "Windows-1252" and preview.delimiter_name == "semicolon"
    [only] = preview.rows
    assert only.status == "ready" and only.number == 4  # blank lines keep their number
    assert only.values["title"] == "Café Köln Meetup" and only.values["address"] == "Am Hof 12–18"
    assert only.values["time_zone"] == "Europe/Berlin" and only.values["type"] == Event.Type.IN_PERSON

    with_bom = codecs.BOM_UTF8 + csv_bytes(rows, header=header, delimiter=";")
    preview = events_from_csv(with_bom)
    assert preview.encoding == "UTF-8 with BOM" and preview.rows[0].values["title"] == "Café Köln Meetup"
    assert preview.ready == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n\r\n  \r\n", "The file is empty."),
        (b";;;\r\n", "The file is empty."),
        (",".join(HEADER).encode() + b"\r\n\r\n", "The file has column names but no events"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "This is not a CSV file (it holds binary data)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook or another zip file"),
        (bytes(range(1, 32)) * 50, "This is not a CSV file (it holds binary data)"),
        (b"hello world\r\nfoo bar\r\n", "The first row must hold the column names"),
        (b"title,venue\r\nMeetup,Hall\r\n", "The file has no 'starts_at', 'ends_at' column"),
        (b"title,Title,starts_at,ends_at\r\na,b,c,d\r\n", "Columns 1 and 2 are both 'title'"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_reason(content, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        events_from_csv(content)


def test_oversized_and_overlong_files_are_refused(settings):
    big = SimpleUploadedFile("season.csv", b"x" * (5 * 1024 * 1024 + 1))
    with pytest.raises(ImportFileError, match=r"The file is 5\.0 MB; the limit is 5 MB"):
        events_from_file(big)
    many = csv_bytes([row(title=f"Meetup {n}") for n in range(10_001)])
    with pytest.raises(ImportFileError, match="more than 2,000 rows, the most one import takes"):
        events_from_csv(many)
    settings.EVENT_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportFileError, match="more than 2 events"):
        events_from_ics(ics(*[f"SUMMARY:E{n}\r\nDTSTART:{YEAR}0304T180000Z" for n in range(3)]))
    with pytest.raises(ImportFileError, match="save the sheet as CSV"):
        events_from_file(b"whatever", "season.xlsx")


def test_the_template_imports_as_it_is(home_page):
    data = ("\ufeff" + imports.template_csv()).encode()
    preview = events_from_file(data, "event-import-template.csv")
    assert preview.ready == 3, preview.error_messages()
    assert {r.values["type"] for r in preview.rows} == {"in_person", "conference", "webinar"}


# -- .ics ---------------------------------------------------------------------------------------


def test_calendar_entries_with_tzid_utc_all_day_and_missing_ends(home_page):
    data = ics(
        f"""SUMMARY:RevOps Meetup Berlin
    DTSTART;TZID=Europe/Berlin:{YEAR}0304T180000
    DTEND;TZID=Europe/Berlin:{YEAR}0304T210000
    LOCATION:Factory Hall\\, Lohmühlenstraße 65\\, Berlin
    CATEGORIES:RevOps,Pipeline
    DESCRIPTION:An evening of talks.""",
        f"""SUMMARY:Pipeline Webinar
    DTSTART:{YEAR}0618T140000Z
    DTEND:{YEAR}0618T150000Z
    LOCATION:https://zoom.us/j/1234567890
    CATEGORIES:Webinar,AI""",
        f"""SUMMARY:Revenue Summit
    DTSTART;VALUE=DATE:{YEAR}0512
    DTEND;VALUE=DATE:{YEAR}0514
    LOCATION:Beurs van Berlage\\, Amsterdam
    CATEGORIES:Conference""",
        f"""SUMMARY:Office hours
    DTSTART;TZID=America/New_York:{YEAR}0701T100000
    LOCATION:Online
    URL:https://meet.google.com/abc-defg-hij""",
        f"""SUMMARY:Breakfast briefing
    DTSTART:{YEAR}0702T080000
    DURATION:PT90M
    LOCATION:Hotel Adlon""",
    )
    preview = events_from_ics(data, filename="season.ics")
    assert preview.ready == 5, preview.error_messages()
    meetup, webinar, summit, office, breakfast = (r.values for r in preview.rows)

    assert meetup["starts_at"] == datetime(YEAR, 3, 4, 18, tzinfo=BERLIN) and meetup["time_zone"] == "Europe/Berlin"
    assert (meetup["venue"], meetup["address"]) == ("Factory Hall", "Lohmühlenstraße 65, Berlin")
    assert meetup["topics"] == ["RevOps", "Pipeline"] and meetup["summary"] == "An evening of talks."

    utc = ZoneInfo("UTC")
    assert webinar["starts_at"] == datetime(YEAR, 6, 18, 14, tzinfo=utc) and webinar["type"] == "webinar"
    assert webinar["online_url"] == "https://zoom.us/j/1234567890" and webinar["topics"] == ["AI"]

    default = ZoneInfo(timezone.get_default_timezone_name())
    assert summit["type"] == "conference" and summit["venue"] == "Beurs van Berlage"
    assert summit["starts_at"] == datetime(YEAR, 5, 12, 9, tzinfo=default)
    assert summit["ends_at"] == datetime(YEAR, 5, 13, 17, tzinfo=default)  # DTEND is the day after
    assert any("all-day entry" in message for message in preview.rows[2].warning_messages)

    assert office["ends_at"] - office["starts_at"] == timedelta(hours=1)
    assert office["time_zone"] == "America/New_York" and office["type"] == "webinar"
    assert office["online_url"] == "https://meet.google.com/abc-defg-hij" and office["venue"] == ""
    assert preview.rows[3].warning_messages == [
        "event 4, DTEND: missing (and no DURATION); the event is taken to last one hour."
    ]
    assert breakfast["ends_at"] - breakfast["starts_at"] == timedelta(minutes=90)  # floating: the default zone
    assert breakfast["starts_at"] == datetime(YEAR, 7, 2, 8, tzinfo=default)

    result = events_import(preview, publish=False, user=None)
    assert result.created_count == 5 and EventPage.objects.count() == 5
    assert events_import(events_from_ics(data), publish=False, user=None).created_count == 0


def test_cancelled_entries_are_skipped_and_repeating_ones_give_their_first_occurrence(home_page):
    data = ics(
        f"""SUMMARY:Weekly demo
    DTSTART;TZID=Europe/Berlin:{YEAR}0301T170000
    DTEND;TZID=Europe/Berlin:{YEAR}0301T180000
    RRULE:FREQ=WEEKLY;COUNT=10
    URL:https://teams.microsoft.com/l/meetup-join/abc""",
        f"""SUMMARY:Moved demo
    RECURRENCE-ID;TZID=Europe/Berlin:{YEAR}0308T170000
    DTSTART;TZID=Europe/Berlin:{YEAR}0309T170000
    DTEND;TZID=Europe/Berlin:{YEAR}0309T180000""",
        f"""SUMMARY:Called off
    STATUS:CANCELLED
    DTSTART:{YEAR}0401T170000Z""",
        """SUMMARY:No start
    LOCATION:Somewhere""",
        """SUMMARY:Broken start
    DTSTART:tomorrow
    LOCATION:Somewhere""",
        f"""SUMMARY:Info only
    DTSTART:{YEAR}0501T170000Z
    URL:https://example.com/events/info""",
    )
    preview = events_from_ics(data)
    weekly, moved, cancelled, no_start, broken, info = preview.rows
    assert weekly.status == "ready" and weekly.values["type"] == "webinar"
    assert weekly.warning_messages == [
        f"event 1, RRULE: a repeating event: only the first occurrence ({YEAR}-03-01 "
        f"17:00) is imported; add the others as events of their own."
    ]
    assert moved.status == "skipped" and "RECURRENCE-ID" in moved.skip_reason
    assert cancelled.status == "skipped" and cancelled.skip_reason == "cancelled in the calendar (STATUS:CANCELLED)"
    assert no_start.error_messages == ["event 4, DTSTART: missing; every event needs a start."]
    assert broken.error_messages[0].startswith("event 5, DTSTART: Wrong date format tomorrow")
    assert info.error_messages == [
        "event 6, LOCATION: Say where it happens: a venue, an address, or a join link for online events."
    ]
    assert any(
        message.startswith("event 6, URL: 'https://example.com/events/info' is not a join or stream link")
        for message in info.warning_messages
    )

    result = events_import(preview, publish=False, user=None)
    assert [event.title for event in result.created] == ["Weekly demo"]
    assert result.skipped_count == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "The calendar holds no events"),
        (b"SUMMARY:not a calendar\r\n", "This is not a calendar file"),
        (b"BEGIN:VCALENDAR\r\n\x00\x01garbage\r\n", "The calendar cannot be read"),
        (b"", "The file is empty."),
    ],
)
def test_calendars_that_cannot_be_imported(content, message):
    with pytest.raises(ImportFileError, match=message):
        events_from_ics(content)


def test_a_file_is_read_as_a_calendar_by_its_name_or_its_content():
    calendar = ics(f"SUMMARY:A\r\nDTSTART:{YEAR}0304T180000Z\r\nLOCATION:Hall")
    assert events_from_file(calendar, "season.ics").source == "ics"
    assert events_from_file(calendar, "export.txt").source == "ics"
    assert events_from_file(csv_bytes(SEASON), "season.csv").source == "csv"


# -- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def importer(client):
    client.force_login(user_with("importer"))
    return client


def test_admin_upload_preview_then_confirm(importer, home_page, private_root):
    page = importer.get(reverse("event_imports:upload"))
    assert page.status_code == 200
    assert "Generate landing pages as drafts" in page.content.decode()
    assert "publish them at once" not in page.content.decode()  # this user may not publish pages

    data = csv_bytes([*SEASON, row(title="Broken", starts_at="next friday")])
    response = importer.post(
        reverse("event_imports:upload"), {"file": SimpleUploadedFile("season.csv", data), "pages": "draft"}
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    assert len(list(private_root.iterdir())) == 1  # kept privately until the import

    preview = importer.get(preview_url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "starts_at: &#x27;next friday&#x27; is not a date" in html and "Pipeline Webinar" in html
    assert "Import 3 events" in html
    assert f"{YEAR}-03-04 18:00" in html  # in the event's own zone (Europe/Berlin), not the admin's
    assert Event.objects.count() == 0 and EventPage.objects.count() == 0  # nothing saved by the preview

    done = importer.post(preview_url + "run/", {"pages": "draft"}, follow=True)
    html = done.content.decode()
    assert done.status_code == 200 and "3 events imported, 1 rows skipped." in html
    assert Event.objects.count() == 3 and EventPage.objects.filter(live=False).count() == 3
    assert "(draft)" in html and "Broken" in html
    assert list(private_root.iterdir()) == []  # the upload is deleted once imported
    # Sent again (back button): the import does not run twice.
    assert importer.post(preview_url + "run/", {"pages": "draft"}).status_code == 302
    assert Event.objects.count() == 3


def test_admin_publishes_for_people_who_may_publish(client, home_page):
    client.force_login(user_with("editor", superuser=True))
    response = client.post(
        reverse("event_imports:upload"),
        {"file": SimpleUploadedFile("season.csv", csv_bytes(SEASON)), "pages": "publish"},
    )
    preview_url = response["Location"]
    assert re.search(r'value="publish"[^>]*checked', client.get(preview_url).content.decode())
    done = client.post(preview_url + "run/", {"pages": "publish"}, follow=True)
    assert "(live" in done.content.decode()
    assert EventPage.objects.filter(live=True).count() == 3


def test_admin_imports_a_calendar(importer, home_page):
    data = ics(f"""SUMMARY:Weekly demo
        DTSTART;TZID=Europe/Berlin:{YEAR}0301T170000
        DTEND;TZID=Europe/Berlin:{YEAR}0301T180000
        RRULE:FREQ=WEEKLY;COUNT=10
        URL:https://teams.microsoft.com/l/meetup-join/abc""")
    response = importer.post(
        reverse("event_imports:upload"), {"file": SimpleUploadedFile("season.ics", data), "pages": "draft"}
    )
    html = importer.get(response["Location"]).content.decode()
    assert "RRULE: a repeating event: only the first occurrence" in html and f"{YEAR}-03-01 17:00" in html
    importer.post(response["Location"] + "run/", {"pages": "draft"})
    assert Event.objects.get().online_url == "https://teams.microsoft.com/l/meetup-join/abc"


def test_admin_refuses_a_bad_file_on_the_upload_form(importer):
    response = importer.post(
        reverse("event_imports:upload"),
        {"file": SimpleUploadedFile("season.csv", b"hello world\r\n"), "pages": "draft"},
    )
    assert response.status_code == 400
    assert "The first row must hold the column names" in response.content.decode()


def test_admin_template_download(importer):
    response = importer.get(reverse("event_imports:template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == HEADER


def test_admin_needs_the_add_event_permission(client, home_page):
    owner = user_with("owner")
    client.force_login(owner)
    response = client.post(
        reverse("event_imports:upload"), {"file": SimpleUploadedFile("season.csv", csv_bytes(SEASON)), "pages": "draft"}
    )
    preview_url = response["Location"]

    # The views raise PermissionDenied; Wagtail's admin turns that into its "Sorry, you do not have
    # permission" redirect to the dashboard.
    client.force_login(user_with("viewer", can_add=False))
    dashboard = reverse("wagtailadmin_home")
    for url in (reverse("event_imports:upload"), reverse("event_imports:template"), preview_url):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, dashboard), url
    response = client.post(preview_url + "run/", {"pages": "draft"})
    assert (response.status_code, response["Location"]) == (302, dashboard)

    # Someone else who may import still cannot use another person's upload.
    client.force_login(user_with("colleague"))
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url + "run/", {"pages": "draft"}).status_code == 404
    assert Event.objects.count() == 0


@pytest.mark.parametrize("view", [UploadView, TemplateDownloadView, PreviewView, RunView, ResultView])
def test_every_view_raises_permission_denied_without_add_event(rf, view):
    request = rf.post("/admin/events/import/")
    request.user = user_with("viewer", can_add=False)
    request.session = {}
    with pytest.raises(PermissionDenied):
        view.as_view()(request, **({} if view in (UploadView, TemplateDownloadView) else {"token": "a" * 32}))


def test_the_publish_choice_is_refused_to_people_who_may_not_publish(home_page):
    with pytest.raises(PermissionDenied, match="needs permission to publish pages"):
        events_import(events_from_csv(csv_bytes(SEASON)), publish=True, user=user_with("marketer"))
    assert Event.objects.count() == 0


def test_menu_item_is_shown_to_importers_only(rf):
    from events.admin_imports import import_menu_item

    item = import_menu_item()
    request = rf.get("/admin/")
    request.user = user_with("importer")
    assert item.is_shown(request)
    request.user = user_with("nobody", can_add=False)
    assert not item.is_shown(request)


# -- the management command ---------------------------------------------------------------------


def test_command_dry_run_prints_problems_and_saves_nothing(tmp_path, home_page):
    path = tmp_path / "season.csv"
    path.write_bytes(csv_bytes([*SEASON, row(title="Broken", capacity="lots")]))
    out = io.StringIO()
    call_command("import_events", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "row 5, capacity: 'lots' is not a number of seats" in text
    assert "4 rows: 3 to import, 1 with errors, 0 skipped." in text and "Dry run: nothing was saved." in text
    assert Event.objects.count() == 0

    out = io.StringIO()
    call_command("import_events", str(path), "--publish", stdout=out)
    assert "Created 3 events and 3 landing pages (published); skipped 1." in out.getvalue()
    assert EventPage.objects.filter(live=True).count() == 3

    out = io.StringIO()
    call_command("import_events", str(path), stdout=out)
    assert "Created 0 events and 0 landing pages (drafts); skipped 4." in out.getvalue()


def test_command_refuses_files_it_cannot_import(tmp_path):
    empty = tmp_path / "season.ics"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="The file is empty."):
        call_command("import_events", str(empty))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_events", str(tmp_path / "missing.csv"))
