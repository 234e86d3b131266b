"""A season as a calendar (.ics, from Google, Outlook or Apple Calendar): every VEVENT read into a
RowResult and checked, each problem named by its calendar property. Cancelled entries and changed
occurrences are skipped; a repeating event gives its first occurrence; an all-day entry becomes a
working day in the calendar's zone.
"""

import re
from datetime import date, datetime, timedelta
from html import escape
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from events.models import Event
from events.models.event import TIME_ZONES

from .files import ImportFileError, max_rows, read_upload, too_many
from .rows import (
    TYPE_WORDS,
    ImportPreview,
    RowResult,
    check,
    column_name,
    mark_duplicates,
    time_zone_name,
    topics_from,
    zone_for,
)

# Where a stream or meeting is joined; other links in a calendar entry are usually the event's own page.
JOIN_HOSTS = (
    "zoom.us",
    "zoom.com",
    "teams.microsoft.com",
    "teams.live.com",
    "meet.google.com",
    "webex.com",
    "gotomeeting.com",
    "goto.com",
    "gotowebinar.com",
    "whereby.com",
    "youtube.com",
    "youtu.be",
    "vimeo.com",
    "livestorm.co",
    "on24.com",
    "hopin.com",
    "streamyard.com",
    "bigmarker.com",
    "demio.com",
    "airmeet.com",
    "riverside.fm",
    "jitsi.org",
    "meet.jit.si",
    "chime.aws",
)
# LOCATION values that say "online" rather than where people go.
ONLINE_PLACES = re.compile(
    r"^(online|virtual|remote|web|webinar|internet|zoom( meeting)?|microsoft teams( meeting)?"
    r"|teams( meeting)?|google meet|webex( meeting)?)$",
    re.IGNORECASE,
)
URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
ALL_DAY_HOURS = (9, 17)  # an all-day calendar entry becomes a working day in the calendar's zone


def events_from_ics(file, *, filename: str = "") -> ImportPreview:
    """Check every VEVENT of a calendar; nothing is saved. Repeating events give their first occurrence."""
    from icalendar import Calendar

    data, name = read_upload(file)
    if not data.strip():
        raise ImportFileError("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise ImportFileError(
            "This is not a calendar file: an .ics file starts with BEGIN:VCALENDAR. "
            "Export the calendar again, or upload a CSV file."
        )
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as error:  # icalendar raises many kinds for a broken file
        raise ImportFileError(f"The calendar cannot be read ({str(error)[:120]}): export it again.") from error
    entries = [(calendar, item) for calendar in calendars for item in calendar.walk("VEVENT")]
    if not entries:
        raise ImportFileError("The calendar holds no events (VEVENT).")
    if len(entries) > max_rows():
        raise ImportFileError(too_many(max_rows(), "events"))

    preview = ImportPreview(source="ics", filename=filename or name, encoding="UTF-8")
    for number, (calendar, item) in enumerate(entries, start=1):
        row = RowResult(number=number, label=f"event {number}")
        _read_vevent(row, item, _calendar_zone(calendar))
        if not row.skip_reason:
            _read_details(row, item)
            check(row, "ics")
        preview.rows.append(row)
    mark_duplicates(preview.rows)
    return preview


def _calendar_zone(calendar) -> str:
    """The zone for floating times and all-day entries: the calendar's X-WR-TIMEZONE, else the site's."""
    return time_zone_name(_text(calendar.get("x-wr-timezone"))) or settings.TIME_ZONE


def _text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def _read_vevent(row: RowResult, item, calendar_zone: str) -> None:
    values = row.values
    values["title"] = " ".join(_text(item.get("summary")).split())
    status = _text(item.get("status")).upper()
    if status == "CANCELLED":
        row.skip_reason = "cancelled in the calendar (STATUS:CANCELLED)"
        return
    if item.get("recurrence-id") is not None:
        row.skip_reason = (
            "a changed occurrence of a repeating event (RECURRENCE-ID); only the first occurrence "
            "of a repeating event is imported"
        )
        return
    for prop, message in getattr(item, "errors", []):  # properties icalendar could not read (it drops them)
        if prop in ("DTSTART", "DTEND", "DURATION"):
            row.errors.append((prop, f"{message}; use a date-time such as 20270304T180000."))
    if not values["title"]:
        row.errors.append(("SUMMARY", "missing; every event needs a title."))
    _read_times(row, item, calendar_zone)


def _read_times(row: RowResult, item, calendar_zone: str) -> None:
    """DTSTART and DTEND (or DURATION, or one hour); all-day entries become a working day."""
    values = row.values
    values["time_zone"], values["starts_at"], values["ends_at"] = calendar_zone, None, None
    start_prop, end_prop = item.get("dtstart"), item.get("dtend")
    if start_prop is None:
        if not any(prop == "DTSTART" for prop, _ in row.errors):
            row.errors.append(("DTSTART", "missing; every event needs a start."))
        return
    zone_name, all_day = calendar_zone, not isinstance(start_prop.dt, datetime)
    if all_day:
        start = _at_hour(start_prop.dt, ALL_DAY_HOURS[0], calendar_zone)
    else:
        start, zone_name = _moment(start_prop, "DTSTART", calendar_zone, row)
    values["time_zone"] = zone_name
    values["starts_at"] = start

    duration = item.get("duration")
    if end_prop is not None:
        end_value = end_prop.dt
        if all_day and not isinstance(end_value, datetime):
            # DTEND of an all-day entry is the day after the last one.
            last_day = max(start_prop.dt, end_value - timedelta(days=1))
            end = _at_hour(last_day, ALL_DAY_HOURS[1], calendar_zone)
        elif isinstance(end_value, datetime):
            end, _ = _moment(end_prop, "DTEND", zone_name, row)
        else:
            end = _at_hour(end_value, ALL_DAY_HOURS[1], zone_name)
    elif duration is not None and isinstance(duration.dt, timedelta):
        if all_day:
            last_day = start_prop.dt + max(timedelta(0), duration.dt - timedelta(days=1))
            end = _at_hour(last_day, ALL_DAY_HOURS[1], calendar_zone)
        else:
            end = start + duration.dt
    elif all_day:
        end = _at_hour(start_prop.dt, ALL_DAY_HOURS[1], calendar_zone)
    else:
        end = start + timedelta(hours=1)
        row.warnings.append(("DTEND", "missing (and no DURATION); the event is taken to last one hour."))
    values["ends_at"] = end
    if all_day:
        row.warnings.append(
            (
                "DTSTART",
                f"an all-day entry; imported as {ALL_DAY_HOURS[0]:02}:00 to {ALL_DAY_HOURS[1]:02}:00 {calendar_zone}.",
            )
        )
    if item.get("rrule") is not None or item.get("rdate") is not None:
        first = timezone.localtime(start, zone_for(zone_name))
        row.warnings.append(
            (
                "RRULE",
                f"a repeating event: only the first occurrence ({first:%Y-%m-%d %H:%M}) is "
                f"imported; add the others as events of their own.",
            )
        )


def _read_details(row: RowResult, item) -> None:
    """Where (LOCATION, URL), what (DESCRIPTION), topics and type (CATEGORIES)."""
    values = row.values
    _read_place(row, item)
    description = _text(item.get("description"))
    summary = " ".join(description.split())
    if len(summary) > 300:
        row.warnings.append(
            (
                "DESCRIPTION",
                "longer than 300 characters: the summary keeps the first 300, the event's description has all of it.",
            )
        )
        values["description"] = "".join(
            f"<p>{escape(part.strip())}</p>" for part in description.split("\n\n") if part.strip()
        )
    values["summary"] = summary[:300]
    if not values["online_url"]:
        values["online_url"] = next((url for url in URL_PATTERN.findall(description) if _is_join_link(url)), "")

    categories = []
    listed = item.get("categories")
    for prop in listed if isinstance(listed, list) else [listed] if listed is not None else []:
        categories.extend(str(category) for category in getattr(prop, "cats", [prop]))
    chosen_type = None
    topics = []
    for category in categories:
        word = TYPE_WORDS.get(column_name(category))
        if word and chosen_type is None:
            chosen_type = word  # "Webinar" as a category says what the event is, it is no topic
        elif not word:
            topics.append(category)
    values["topics"] = topics_from(topics, row, "CATEGORIES")
    online_only = values["online_url"] and not (values["venue"] or values["address"])
    values["type"] = chosen_type or (Event.Type.WEBINAR if online_only else Event.Type.IN_PERSON)
    values.update(
        city="",
        country="",
        capacity=None,
        requires_approval=False,
        registration_deadline=None,
        reminders=Event._meta.get_field("reminders").default,
    )


def _read_place(row: RowResult, item) -> None:
    """LOCATION: a link (the event is online), "Online"/"Zoom" (nothing to show), or venue, address."""
    values = row.values
    location = " ".join(_text(item.get("location")).split())
    values["venue"] = values["address"] = values["online_url"] = ""
    if URL_PATTERN.fullmatch(location):
        values["online_url"] = location
    elif location and not ONLINE_PLACES.match(location):
        venue, _, address = location.partition(",")
        values["venue"], values["address"] = venue.strip(), address.strip()
    url = _text(item.get("url"))
    if url and not values["online_url"]:
        if _is_join_link(url):
            values["online_url"] = url
        else:
            row.warnings.append(
                (
                    "URL",
                    f"'{url[:60]}' is not a join or stream link (Zoom, Teams, Meet, Webex, "
                    f"YouTube...); it is not imported.",
                )
            )


def _is_join_link(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == known or host.endswith("." + known) for known in JOIN_HOSTS)


def _at_hour(day: date, hour: int, zone_name: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone_for(zone_name))


def _moment(prop, name: str, fallback_zone: str, row: RowResult) -> tuple[datetime, str]:
    """(aware datetime, zone name to show it in) for a DTSTART/DTEND with TZID, in UTC, or floating."""
    value = prop.dt
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    if value.tzinfo is None:
        if tzid:
            row.warnings.append((name, f"time zone '{tzid[:40]}' is unknown; the time is taken as {fallback_zone}."))
        return value.replace(tzinfo=zone_for(fallback_zone)), fallback_zone
    key = getattr(value.tzinfo, "key", None)
    if key == "UTC" or (value.utcoffset() == timedelta(0) and not tzid):
        return value, fallback_zone  # UTC says when, not where: shown in the calendar's (or site's) zone
    if key in TIME_ZONES:
        return value, key
    named = time_zone_name(tzid or "")
    if named:
        return value, named
    # A zone defined in the file (Outlook's "W. Europe Standard Time"...): the moment is right, the name unknown.
    row.warnings.append(
        (
            name,
            f"time zone '{(tzid or '')[:40]}' is not a name we know; the event is shown in "
            f"{fallback_zone} time (the moment is unchanged).",
        )
    )
    return value, fallback_zone
