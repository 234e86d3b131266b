"""Importing a season of events from a CSV file or a calendar (.ics), with their landing pages.

Two steps, like lead imports. `events_from_csv` / `events_from_ics` read a file into an ImportPreview:
every row's values and problems, nothing saved. `events_import` then creates the events of the rows
without errors and asks for all their landing pages in ONE call to landing_pages_generate. The preview
runs the checks the import runs (Event.full_clean included), so what it says is what the import does.

Rows are numbered as a spreadsheet shows them (the header is row 1, blank lines keep their number);
calendar entries by their order in the file ("event 3"). Every problem names the column (CSV) or
the calendar property (.ics) it is about. A file that cannot be imported at all (empty, binary,
too big, no title column...) raises ImportFileError with a message saying what to do.

An event that already exists (same title, same start) is skipped, so importing the same file twice
creates nothing new.
"""

import codecs
import csv
import io
import logging
import os
import re
import secrets
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from events.models import TIME_ZONES, Event
from events.services.events import landing_pages_generate
from events.signals import events_changed

logger = logging.getLogger(__name__)

PERMISSION = "events.add_event"
COLUMNS = ["title", "type", "starts_at", "ends_at", "time_zone", "venue", "address", "city", "country", "online_url",
           "capacity", "requires_approval", "registration_deadline", "summary", "topics", "reminders"]
REQUIRED_COLUMNS = ["title", "starts_at", "ends_at"]
# Names people give these columns in their own sheets, after lower-casing and spaces/dashes -> "_".
COLUMN_ALIASES = {
    "name": "title", "event": "title", "event_title": "title", "kind": "type", "event_type": "type", "format": "type",
    "start": "starts_at", "starts": "starts_at", "start_time": "starts_at", "start_date": "starts_at",
    "end": "ends_at", "ends": "ends_at", "end_time": "ends_at", "end_date": "ends_at", "timezone": "time_zone",
    "tz": "time_zone", "zone": "time_zone", "venue_name": "venue", "location": "venue", "url": "online_url",
    "join_url": "online_url", "join_link": "online_url", "stream_url": "online_url", "link": "online_url",
    "seats": "capacity", "approval": "requires_approval", "deadline": "registration_deadline",
    "registration_closes": "registration_deadline", "description": "summary", "tags": "topics", "topic": "topics",
    "reminder": "reminders",
}
# The model field a column fills, where the names differ (errors from full_clean name model fields).
MODEL_FIELDS = {"venue": "venue_name"}
COLUMN_FOR_FIELD = {model: column for column, model in MODEL_FIELDS.items()}
# In a calendar the same values come from these properties: errors name them.
ICS_PROPERTIES = {"title": "SUMMARY", "starts_at": "DTSTART", "ends_at": "DTEND", "time_zone": "DTSTART",
                  "venue": "LOCATION", "address": "LOCATION", "city": "LOCATION", "online_url": "URL",
                  "summary": "DESCRIPTION", "description": "DESCRIPTION", "topics": "CATEGORIES"}

TYPE_WORDS = {
    "in_person": Event.Type.IN_PERSON, "inperson": Event.Type.IN_PERSON, "meetup": Event.Type.IN_PERSON,
    "meet_up": Event.Type.IN_PERSON, "workshop": Event.Type.IN_PERSON, "onsite": Event.Type.IN_PERSON,
    "on_site": Event.Type.IN_PERSON, "conference": Event.Type.CONFERENCE, "summit": Event.Type.CONFERENCE,
    "webinar": Event.Type.WEBINAR, "online": Event.Type.WEBINAR, "virtual": Event.Type.WEBINAR,
    "livestream": Event.Type.WEBINAR, "live_stream": Event.Type.WEBINAR,
}
TRUE_WORDS = {"yes", "y", "true", "1", "x", "ja", "oui", "si"}
FALSE_WORDS = {"no", "n", "false", "0", "nein", "non", ""}
NO_REMINDERS = {"none", "no", "-", "0"}
# Where a stream or meeting is joined; other links in a calendar entry are usually the event's own page.
JOIN_HOSTS = ("zoom.us", "zoom.com", "teams.microsoft.com", "teams.live.com", "meet.google.com", "webex.com",
              "gotomeeting.com", "goto.com", "gotowebinar.com", "whereby.com", "youtube.com", "youtu.be",
              "vimeo.com", "livestorm.co", "on24.com", "hopin.com", "streamyard.com", "bigmarker.com",
              "demio.com", "airmeet.com", "riverside.fm", "jitsi.org", "meet.jit.si", "chime.aws")
# LOCATION values that say "online" rather than where people go.
ONLINE_PLACES = re.compile(r"^(online|virtual|remote|web|webinar|internet|zoom( meeting)?|microsoft teams( meeting)?"
                           r"|teams( meeting)?|google meet|webex( meeting)?)$", re.IGNORECASE)
URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
DATE_ONLY = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})$")
DATE_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
                "%d.%m.%Y, %H:%M"]
EXAMPLE_WHEN = "2027-03-04 18:00"
CSV_DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
TOPIC_MAX = 100  # taggit's tag name length
ALL_DAY_HOURS = (9, 17)  # an all-day calendar entry becomes a working day in the calendar's zone

READY, INVALID, SKIPPED = "ready", "invalid", "skipped"
csv.field_size_limit(1_000_000)


class ImportFileError(ValueError):
    """The file cannot be imported at all; the message says why and what to do."""


def max_bytes() -> int:
    return int(getattr(settings, "EVENT_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "EVENT_IMPORT_MAX_ROWS", 2_000))


def can_import_events(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def can_publish_pages(user) -> bool:
    """Publishing generated pages is publishing pages: only for people allowed to publish some."""
    from wagtail.permission_policies.pages import PagePermissionPolicy

    return bool(user and user.is_active and PagePermissionPolicy().user_has_permission(user, "publish"))


# -- what a check leaves ------------------------------------------------------------------------

@dataclass
class RowResult:
    """One row (CSV) or calendar entry (.ics): its values in our column names, and what is wrong."""

    number: int
    label: str  # "row 4" or "event 3"
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [(column or property, message)]: the row is not imported
    warnings: list = field(default_factory=list)  # [(column or property, message)]: imported, read this
    skip_reason: str = ""  # not imported, and that is fine (already exists, cancelled, repeats a row)

    @property
    def status(self) -> str:
        if self.errors:
            return INVALID
        return SKIPPED if self.skip_reason else READY

    @property
    def title(self) -> str:
        return self.values.get("title") or ""

    @staticmethod
    def _say(label, where, message) -> str:
        return f"{label}, {where}: {message}" if where else f"{label}: {message}"

    @property
    def error_messages(self) -> list[str]:
        return [self._say(self.label, where, message) for where, message in self.errors]

    @property
    def warning_messages(self) -> list[str]:
        return [self._say(self.label, where, message) for where, message in self.warnings]

    @property
    def type_label(self) -> str:
        kind = self.values.get("type")
        return Event.Type(kind).label if kind in Event.Type.values else ""

    @property
    def local_start(self):
        start = self.values.get("starts_at")
        return timezone.localtime(start, _zone(self.values.get("time_zone"))) if start else None

    @property
    def local_end(self):
        end = self.values.get("ends_at")
        return timezone.localtime(end, _zone(self.values.get("time_zone"))) if end else None

    @property
    def where(self) -> str:
        parts = [self.values.get(name) for name in ("venue", "address", "city")]
        return ", ".join(part for part in parts if part) or self.values.get("online_url") or ""


@dataclass
class ImportPreview:
    source: str  # "csv" or "ics"
    filename: str = ""
    rows: list[RowResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the whole file (ignored columns...)
    encoding: str = ""
    delimiter: str = ""

    def _count(self, status) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def ready(self) -> int:
        return self._count(READY)

    @property
    def invalid(self) -> int:
        return self._count(INVALID)

    @property
    def skipped(self) -> int:
        return self._count(SKIPPED)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, "")

    def error_messages(self) -> list[str]:
        return [message for row in self.rows for message in row.error_messages]

    def warning_messages(self) -> list[str]:
        return [*self.warnings, *(message for row in self.rows for message in row.warning_messages)]


@dataclass
class ImportResult:
    publish: bool = False
    created: list[Event] = field(default_factory=list)
    pages: list = field(default_factory=list)  # [(event, page, "created" / "updated" / "unchanged")]
    skipped: list = field(default_factory=list)  # [(label, title, reason)]

    @property
    def created_count(self) -> int:
        return len(self.created)

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)

    @property
    def pages_created(self) -> int:
        return sum(1 for _event, _page, what in self.pages if what == "created")


# -- reading the upload -------------------------------------------------------------------------

def read_upload(file) -> tuple[bytes, str]:
    """(bytes, file name) from an upload, an open binary file, a path or bytes; the size limit first."""
    limit = max_bytes()
    if isinstance(file, bytes | bytearray):
        data, name = bytes(file), ""
    elif isinstance(file, str | os.PathLike):
        path = Path(file)
        if path.stat().st_size > limit:
            raise ImportFileError(_too_big(path.stat().st_size))
        data, name = path.read_bytes(), path.name
    else:
        size = getattr(file, "size", None)
        if size and size > limit:
            raise ImportFileError(_too_big(size))
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)  # never more than the limit in memory, whatever the upload claims
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = os.path.basename(getattr(file, "name", "") or "")
    if len(data) > limit:
        raise ImportFileError(_too_big(len(data)))
    return data, name


def _too_big(size: int) -> str:
    return (f"The file is {size / (1024 * 1024):.1f} MB; the limit is {max_bytes() / (1024 * 1024):.0f} MB. "
            f"Split the season into smaller files.")


def _too_many(limit: int, what: str) -> str:
    return f"The file has more than {limit:,} {what}, the most one import takes: split it into smaller files."


def events_from_file(file, filename: str = "") -> ImportPreview:
    """A CSV file or a calendar, told apart by the name (.csv/.ics) or else by the content."""
    data, name = read_upload(file)
    name = filename or name
    lowered = name.lower()
    if lowered.endswith((".ics", ".ical", ".icalendar", ".ifb")):
        return events_from_ics(data, filename=name)
    if lowered.endswith((".xlsx", ".xls", ".numbers", ".ods")):
        raise ImportFileError("Spreadsheets cannot be read directly: save the sheet as CSV and upload that.")
    if data.lstrip(codecs.BOM_UTF8 + b" \r\n\t").upper().startswith(b"BEGIN:VCALENDAR"):
        return events_from_ics(data, filename=name)
    return events_from_csv(data, filename=name)


# -- CSV ----------------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise ImportFileError("The file cannot be read as text: save it again as CSV (UTF-8).") from error
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError("This is an Excel workbook or another zip file, not CSV: save the sheet as CSV "
                              "(comma or semicolon separated) and upload that.")
    if b"\x00" in data[:65536]:
        raise ImportFileError("This is not a CSV file (it holds binary data): save the sheet as CSV and upload that.")
    names = {"utf-8-sig": "UTF-8 with BOM" if data.startswith(codecs.BOM_UTF8) else "UTF-8",
             "cp1252": "Windows-1252"}
    for encoding, label in names.items():
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Control characters other than tabs and line breaks: a binary file that happened to decode.
        sample = text[:65536]
        if sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n") > max(3, len(sample) // 200):
            break
        return text, label
    raise ImportFileError("This is not a CSV file (it holds binary data): save the sheet as CSV and upload that.")


def _column_name(header: str) -> str:
    name = re.sub(r"[\s\-]+", "_", header.replace("\ufeff", "").strip().lower()).strip("_")
    return COLUMN_ALIASES.get(name, name)


def _delimiter(text: str) -> str:
    """The delimiter whose header row names the most of our columns; the Sniffer's guess breaks ties."""
    first_lines = [line for line in text.splitlines() if line.strip()][:20]
    if not first_lines:
        return ","
    try:
        guess = csv.Sniffer().sniff("\n".join(first_lines), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        guess = ","
    scores = {}
    for delimiter in CSV_DELIMITERS:
        try:
            header = next(csv.reader([first_lines[0]], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        scores[delimiter] = (len({_column_name(cell) for cell in header} & set(COLUMNS)), delimiter == guess)
    return max(scores, key=scores.get) if scores else guess


def events_from_csv(file, *, filename: str = "") -> ImportPreview:
    """Check every row of a CSV file (our columns, header names in any case); nothing is saved."""
    data, name = read_upload(file)
    if not data.strip():
        raise ImportFileError("The file is empty.")
    text, encoding = _decode(data)
    if not text.strip(" \r\n\t\ufeff,;|"):
        raise ImportFileError("The file is empty.")
    delimiter = _delimiter(text)
    preview = ImportPreview(source="csv", filename=filename or name, encoding=encoding, delimiter=delimiter)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, records, limit = None, [], max_rows()
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = cells
                continue
            records.append((number, cells))
            if len(records) > limit:
                raise ImportFileError(_too_many(limit, "rows"))
    except csv.Error as error:
        raise ImportFileError(f"The CSV file is malformed near line {reader.line_num}: {error}. "
                              f"Save it again as CSV.") from error
    if header is None:
        raise ImportFileError("The file is empty.")
    columns = _columns(header, preview)
    if not records:
        raise ImportFileError("The file has column names but no events: add one event per row under them.")

    for number, cells in records:
        row = RowResult(number=number, label=f"row {number}")
        raw = {}
        for index, cell in enumerate(cells):
            column = columns[index] if index < len(columns) else None
            if column:
                raw[column] = cell.strip()
            elif index >= len(columns) and cell.strip():  # past the header: nobody named this column
                row.warnings.append(("", f"has a value in column {index + 1}, which has no name; it is ignored."))
        _read_csv_row(row, raw)
        _check(row, "csv")
        preview.rows.append(row)
    _mark_duplicates(preview.rows)
    return preview


def _columns(header: list[str], preview: ImportPreview) -> list[str | None]:
    """Our column name for each header cell (None: ignored); the file is refused without the required ones."""
    columns, seen, unknown = [], {}, []
    for index, cell in enumerate(header):
        name = _column_name(cell)
        if name in COLUMNS:
            if name in seen:
                raise ImportFileError(f"Columns {seen[name] + 1} and {index + 1} are both '{name}': keep one of them.")
            seen[name] = index
            columns.append(name)
        else:
            columns.append(None)
            if cell.strip():
                unknown.append(cell.strip()[:40])
    if not seen:
        raise ImportFileError("The first row must hold the column names (" + ", ".join(REQUIRED_COLUMNS) + ", ...); "
                              "none of ours were found. Download the template for the columns and an example.")
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError("The file has no " + ", ".join(f"'{name}'" for name in missing)
                              + (" column" if len(missing) == 1 else " columns")
                              + ": every event needs a title, a start and an end. "
                                "Download the template for the columns and an example.")
    if unknown:
        preview.warnings.append("Not imported (not one of our columns): " + ", ".join(f"'{c}'" for c in unknown)
                                + ". Our columns: " + ", ".join(COLUMNS) + ".")
    return columns


def _read_csv_row(row: RowResult, raw: dict) -> None:
    """Turn the row's text into values, each problem named by its column."""
    values = row.values
    values["title"] = " ".join(raw.get("title", "").split())
    if not values["title"]:
        row.errors.append(("title", "empty; every event needs a title."))

    zone_text = raw.get("time_zone", "")
    zone_name = _time_zone_name(zone_text)
    if zone_name is None:
        row.errors.append(("time_zone", f"'{zone_text[:60]}' is not a time zone; use a name such as Europe/Berlin "
                                        f"or America/New_York."))
        zone_name = settings.TIME_ZONE  # still read the dates, to report their own problems
    values["time_zone"] = zone_name
    zone = _zone(zone_name)

    for column in ("starts_at", "ends_at", "registration_deadline"):
        text = raw.get(column, "")
        values[column] = None
        if not text:
            if column != "registration_deadline":
                row.errors.append((column, f"empty; give the {'start' if column == 'starts_at' else 'end'}, "
                                           f"e.g. {EXAMPLE_WHEN}."))
            continue
        try:
            values[column] = parse_when(text, zone)
        except ValueError as error:
            row.errors.append((column, str(error)))

    for column in ("venue", "address", "city", "online_url", "summary"):
        values[column] = raw.get(column, "")
    values["country"] = _country(raw.get("country", ""))

    type_text = raw.get("type", "")
    if type_text:
        values["type"] = TYPE_WORDS.get(_column_name(type_text))
        if values["type"] is None:
            row.errors.append(("type", f"'{type_text[:40]}' is not a type of event; use in_person (or meetup), "
                                       f"conference or webinar (or online)."))
    else:
        online_only = values["online_url"] and not (values["venue"] or values["address"] or values["city"])
        values["type"] = Event.Type.WEBINAR if online_only else Event.Type.IN_PERSON

    capacity = raw.get("capacity", "")
    values["capacity"] = None
    if capacity:
        try:
            values["capacity"] = _whole_number(capacity)
        except ValueError:
            row.errors.append(("capacity", f"'{capacity[:20]}' is not a number of seats; use a whole number such "
                                           f"as 120, or leave it empty for no limit."))

    approval = raw.get("requires_approval", "").lower()
    values["requires_approval"] = approval in TRUE_WORDS
    if approval not in TRUE_WORDS | FALSE_WORDS:
        row.errors.append(("requires_approval", f"'{approval[:20]}' is not yes or no; use yes, no, true, false, "
                                                f"1 or 0."))

    values["topics"] = _topics(raw.get("topics", "").split(","), row, "topics")
    reminders = raw.get("reminders", "")
    if "reminders" not in raw or not reminders:
        values["reminders"] = Event._meta.get_field("reminders").default  # empty cell: the usual reminders
    else:
        values["reminders"] = "" if reminders.lower() in NO_REMINDERS else reminders


def _time_zone_name(text: str) -> str | None:
    """The IANA name (any case; empty: the site's zone), or None for a name we do not know."""
    text = text.strip()
    if not text:
        return settings.TIME_ZONE
    if text.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    return _ZONES_BY_LOWER.get(text.lower().replace(" ", "_"))


_ZONES_BY_LOWER = {name.lower(): name for name in TIME_ZONES}


def _zone(name):
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_when(text: str, zone) -> datetime:
    """An aware datetime from ISO 8601 or "YYYY-MM-DD HH:MM" (also DD.MM.YYYY HH:MM, as German Excel saves);
    a time without an offset is a time in `zone`. ValueError says what to write instead."""
    value = " ".join(text.split())
    shown = value[:40]
    if DATE_ONLY.match(value):
        raise ValueError(f"'{shown}' is a date without a time; add the time, e.g. {EXAMPLE_WHEN}.")
    moment = None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(f"'{shown}' is not a date; use {EXAMPLE_WHEN}.")
    if not 2000 <= moment.year <= 2100:
        raise ValueError(f"'{shown}': check the year.")
    if moment.tzinfo is not None:
        return moment
    local = moment.replace(tzinfo=zone)
    # Times the clocks skip (the night summer time starts) would silently shift by an hour.
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise ValueError(f"'{shown}' does not exist in {zone.key}: the clocks go forward that night.")
    return local


def _whole_number(text: str) -> int:
    cleaned = text.strip().replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}([ ,.']\d{3})+", cleaned):  # 1,200 / 1.200 / 1 200
        cleaned = re.sub(r"[ ,.']", "", cleaned)
    elif re.fullmatch(r"\d+[.,]0+", cleaned):  # 120.0 from a spreadsheet
        cleaned = re.split(r"[.,]", cleaned)[0]
    if not cleaned.isdigit():
        raise ValueError(text)
    return int(cleaned)


def _country(text: str) -> str:
    text = text.strip()
    if len(text) == 2:
        return text.upper()
    if not text:
        return ""
    from forms.imports.validation import ALPHA3, COUNTRY_NAMES  # the names the lead import knows

    return COUNTRY_NAMES.get(text.lower()) or ALPHA3.get(text.upper()) or text


def _topics(parts, row: RowResult, where: str) -> list[str]:
    topics, seen = [], set()
    for part in parts:
        topic = " ".join(str(part).split())
        if not topic or topic.casefold() in seen:
            continue
        if len(topic) > TOPIC_MAX:
            row.warnings.append((where, f"'{topic[:30]}...' is longer than {TOPIC_MAX} characters; it is cut."))
            topic = topic[:TOPIC_MAX]
        seen.add(topic.casefold())
        topics.append(topic)
    return topics


# -- both: the model's own checks, duplicates ---------------------------------------------------

def _event(values: dict) -> Event:
    return Event(
        title=values.get("title") or "", type=values.get("type") or Event.Type.IN_PERSON,
        starts_at=values.get("starts_at"), ends_at=values.get("ends_at"),
        time_zone=values.get("time_zone") or settings.TIME_ZONE, venue_name=values.get("venue") or "",
        address=values.get("address") or "", city=values.get("city") or "", country=values.get("country") or "",
        online_url=values.get("online_url") or "", capacity=values.get("capacity"),
        requires_approval=bool(values.get("requires_approval")),
        registration_deadline=values.get("registration_deadline"), summary=values.get("summary") or "",
        description=values.get("description") or "", reminders=values.get("reminders", "24h, 1h"),
    )


def _check(row: RowResult, source: str) -> None:
    """The model's own validation (lengths, URLs, end after start, a webinar's link...), named by column."""
    failed = {where for where, _ in row.errors}
    if source == "ics":
        failed = {column for column, prop in ICS_PROPERTIES.items() if prop in failed} | failed
    exclude = [MODEL_FIELDS.get(name, name) for name in failed]
    event = _event(row.values)
    try:
        event.full_clean(exclude=exclude)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = COLUMN_FOR_FIELD.get(name, name)
            if column in failed or (name == "ends_at" and {"starts_at", "ends_at"} & failed):
                continue  # already reported, in the reader's words
            where = "" if name == NON_FIELD_ERRORS else column
            if source == "ics":
                where = ICS_PROPERTIES.get(where, where)
            row.errors.extend((where, message) for message in messages)
    if not row.errors and event.starts_at < timezone.now():
        row.warnings.append((ICS_PROPERTIES["starts_at"] if source == "ics" else "starts_at",
                             "this event is in the past; it is imported as it is."))


def _key(values: dict) -> tuple[str, datetime]:
    return (" ".join((values.get("title") or "").split()).casefold(), values.get("starts_at"))


def _mark_duplicates(rows: list[RowResult]) -> None:
    """Skip rows that repeat an earlier row or an event we already have (same title, same start)."""
    candidates = [row for row in rows if row.status == READY]
    if not candidates:
        return
    starts = {row.values["starts_at"] for row in candidates}
    existing = set()
    for start_batch in _batches(sorted(starts), 500):  # SQLite takes a limited number of parameters
        existing |= {(" ".join(title.split()).casefold(), start) for title, start in
                     Event.objects.filter(starts_at__in=start_batch).values_list("title", "starts_at")}
    first_row = {}
    for row in candidates:
        key = _key(row.values)
        if key in existing:
            row.skip_reason = "already exists (an event with this title and start)"
        elif key in first_row:
            row.skip_reason = f"repeats {first_row[key]} (same title and start)"
        else:
            first_row[key] = row.label


def _batches(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- .ics ---------------------------------------------------------------------------------------

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
        raise ImportFileError("This is not a calendar file: an .ics file starts with BEGIN:VCALENDAR. "
                              "Export the calendar again, or upload a CSV file.")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as error:  # noqa: BLE001 - icalendar raises many kinds for a broken file
        raise ImportFileError(f"The calendar cannot be read ({str(error)[:120]}): export it again.") from error
    entries = [(calendar, item) for calendar in calendars for item in calendar.walk("VEVENT")]
    if not entries:
        raise ImportFileError("The calendar holds no events (VEVENT).")
    if len(entries) > max_rows():
        raise ImportFileError(_too_many(max_rows(), "events"))

    preview = ImportPreview(source="ics", filename=filename or name, encoding="UTF-8")
    for number, (calendar, item) in enumerate(entries, start=1):
        row = RowResult(number=number, label=f"event {number}")
        _read_vevent(row, item, _calendar_zone(calendar))
        if not row.skip_reason:
            _read_details(row, item)
            _check(row, "ics")
        preview.rows.append(row)
    _mark_duplicates(preview.rows)
    return preview


def _calendar_zone(calendar) -> str:
    """The zone for floating times and all-day entries: the calendar's X-WR-TIMEZONE, else the site's."""
    return _time_zone_name(_text(calendar.get("x-wr-timezone"))) or settings.TIME_ZONE


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
        row.skip_reason = ("a changed occurrence of a repeating event (RECURRENCE-ID); only the first occurrence "
                           "of a repeating event is imported")
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
        row.warnings.append(("DTSTART", f"an all-day entry; imported as {ALL_DAY_HOURS[0]:02}:00 to "
                                        f"{ALL_DAY_HOURS[1]:02}:00 {calendar_zone}."))
    if item.get("rrule") is not None or item.get("rdate") is not None:
        first = timezone.localtime(start, _zone(zone_name))
        row.warnings.append(("RRULE", f"a repeating event: only the first occurrence ({first:%Y-%m-%d %H:%M}) is "
                                      f"imported; add the others as events of their own."))


def _read_details(row: RowResult, item) -> None:
    """Where (LOCATION, URL), what (DESCRIPTION), topics and type (CATEGORIES)."""
    values = row.values
    _read_place(row, item)
    description = _text(item.get("description"))
    summary = " ".join(description.split())
    if len(summary) > 300:
        row.warnings.append(("DESCRIPTION", "longer than 300 characters: the summary keeps the first 300, the "
                                            "event's description has all of it."))
        values["description"] = "".join(f"<p>{escape(part.strip())}</p>" for part in description.split("\n\n")
                                        if part.strip())
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
        word = TYPE_WORDS.get(_column_name(category))
        if word and chosen_type is None:
            chosen_type = word  # "Webinar" as a category says what the event is, it is no topic
        elif not word:
            topics.append(category)
    values["topics"] = _topics(topics, row, "CATEGORIES")
    online_only = values["online_url"] and not (values["venue"] or values["address"])
    values["type"] = chosen_type or (Event.Type.WEBINAR if online_only else Event.Type.IN_PERSON)
    values.update(city="", country="", capacity=None, requires_approval=False,
                  registration_deadline=None, reminders=Event._meta.get_field("reminders").default)


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
            row.warnings.append(("URL", f"'{url[:60]}' is not a join or stream link (Zoom, Teams, Meet, Webex, "
                                        f"YouTube...); it is not imported."))


def _is_join_link(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == known or host.endswith("." + known) for known in JOIN_HOSTS)


def _at_hour(day: date, hour: int, zone_name: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=_zone(zone_name))


def _moment(prop, name: str, fallback_zone: str, row: RowResult) -> tuple[datetime, str]:
    """(aware datetime, zone name to show it in) for a DTSTART/DTEND with TZID, in UTC, or floating."""
    value = prop.dt
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    if value.tzinfo is None:
        if tzid:
            row.warnings.append((name, f"time zone '{tzid[:40]}' is unknown; the time is taken as {fallback_zone}."))
        return value.replace(tzinfo=_zone(fallback_zone)), fallback_zone
    key = getattr(value.tzinfo, "key", None)
    if key == "UTC" or (value.utcoffset() == timedelta(0) and not tzid):
        return value, fallback_zone  # UTC says when, not where: shown in the calendar's (or site's) zone
    if key in TIME_ZONES:
        return value, key
    named = _time_zone_name(tzid or "")
    if named:
        return value, named
    # A zone defined in the file (Outlook's "W. Europe Standard Time"...): the moment is right, the name unknown.
    row.warnings.append((name, f"time zone '{(tzid or '')[:40]}' is not a name we know; the event is shown in "
                               f"{fallback_zone} time (the moment is unchanged)."))
    return value, fallback_zone


# -- importing ----------------------------------------------------------------------------------

def events_import(preview: ImportPreview, *, publish: bool, user) -> ImportResult:
    """Create the events of the good rows, then their landing pages (drafts, or published) in one call.

    All or nothing: if the pages cannot be made, no event is kept either, so running it again after a
    fix does not leave events without pages. Rows with errors, duplicates and cancelled entries are
    counted as skipped with their reason."""
    if publish and user is not None and not can_publish_pages(user):
        raise PermissionDenied("Publishing the landing pages needs permission to publish pages: import them as "
                               "drafts for an editor to publish.")
    result = ImportResult(publish=publish)
    started = time.perf_counter()
    with transaction.atomic():
        # Again, inside the transaction: an import (or the same file) may have run since the preview.
        for row in preview.rows:
            if row.status == SKIPPED and row.skip_reason.startswith(("already exists", "repeats")):
                row.skip_reason = ""
        _mark_duplicates(preview.rows)
        for row in preview.rows:
            if row.status == INVALID:
                result.skipped.append((row.label, row.title, "; ".join(f"{where}: {message}" if where else message
                                                                        for where, message in row.errors)))
                continue
            if row.status == SKIPPED:
                result.skipped.append((row.label, row.title, row.skip_reason))
                continue
            event = _event(row.values)
            try:
                event.full_clean()  # checked in the preview already; only a changed preview fails here
            except ValidationError as error:
                result.skipped.append((row.label, row.title, "; ".join(error.messages)))
                continue
            if row.values.get("topics"):
                event.topics.add(*row.values["topics"])  # held on the event until it is saved
            event.save()
            log(instance=event, action="wagtail.create", user=user, data={"source": f"{preview.source} import"})
            result.created.append(event)
        if result.created:
            result.pages = landing_pages_generate(result.created, publish=publish, user=user)
            ids = [event.pk for event in result.created]
            transaction.on_commit(lambda: events_changed.send(sender=Event, event_ids=ids))
    logger.info("Event import (%s, %s): %s created, %s skipped, %s pages, %.1f s", preview.source, preview.filename,
                result.created_count, result.skipped_count, len(result.pages), time.perf_counter() - started)
    return result


# -- the template -------------------------------------------------------------------------------

def template_csv() -> str:
    """Our columns and one example of each type of event (next year, so they import as they are)."""
    year = timezone.now().year + 1
    rows = [
        COLUMNS,
        ["RevOps Meetup Berlin", "in_person", f"{year}-03-04 18:00", f"{year}-03-04 21:00", "Europe/Berlin",
         "Factory Hall", "Lohmühlenstraße 65", "Berlin", "DE", "", "80", "no", f"{year}-03-03 12:00",
         "An evening of talks about revenue operations.", "RevOps, Pipeline", "24h, 1h"],
        ["Revenue Summit", "conference", f"{year}-05-12 09:00", f"{year}-05-13 17:30", "Europe/Amsterdam",
         "Beurs van Berlage", "Damrak 243", "Amsterdam", "NL", "", "400", "yes", "",
         "Two days, three tracks, one question: where does growth come from?", "AI, Banking", "7d, 24h"],
        ["Pipeline Webinar", "webinar", f"{year}-06-18 16:00", f"{year}-06-18 17:00", "America/New_York",
         "", "", "", "", "https://zoom.us/j/1234567890", "", "no", "",
         "Forty minutes on building pipeline that converts.", "Pipeline", "24h, 1h"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# -- keeping an upload between the preview and the import ---------------------------------------

UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(csv|ics)$")


def upload_root() -> Path:
    """A private folder (never under MEDIA_ROOT, no URL): EVENT_IMPORT_ROOT, else beside the lead imports'."""
    configured = getattr(settings, "EVENT_IMPORT_ROOT", None)
    if configured:
        return Path(configured)
    from forms.imports.storage import import_root

    return Path(import_root()) / "events"


def upload_keep(data: bytes, source: str) -> str:
    """Store the upload under a random name (readable only by us); returns the name."""
    uploads_purge()
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{'ics' if source == 'ics' else 'csv'}"
    descriptor = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return name


def upload_read(name: str) -> bytes:
    path = _upload_path(name)
    if path is None or not path.exists():
        raise ImportFileError("The uploaded file is no longer kept: upload it again.")
    return path.read_bytes()


def upload_delete(name: str) -> None:
    path = _upload_path(name)
    if path is not None:
        path.unlink(missing_ok=True)


def uploads_purge(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete uploads nobody went on to import (their session ended, the tab was closed)."""
    root = upload_root()
    if not root.is_dir():
        return 0
    cutoff, count = time.time() - older_than.total_seconds(), 0
    for path in root.iterdir():
        if UPLOAD_NAME.match(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            count += 1
    return count


def _upload_path(name: str) -> Path | None:
    return upload_root() / name if UPLOAD_NAME.match(name or "") else None
