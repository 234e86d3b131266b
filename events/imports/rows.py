"""What a row becomes, whichever file it came from: our column names, a RowResult with the row's values
and problems, the value readers (dates, numbers, countries, topics), the model's own checks named by
column, and duplicates (same title, same start).

The readers (spreadsheet.py, ics.py) fill a RowResult's values in our column names; `check` then runs
Event.full_clean and names each problem by the column (CSV) or calendar property (.ics) it is about.
"""

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from events.models import Event
from events.models.event import TIME_ZONES
from forms.imports.parsing import DELIMITER_NAMES

COLUMNS = [
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
REQUIRED_COLUMNS = ["title", "starts_at", "ends_at"]
# Names people give these columns in their own sheets, after lower-casing and spaces/dashes -> "_".
COLUMN_ALIASES = {
    "name": "title",
    "event": "title",
    "event_title": "title",
    "kind": "type",
    "event_type": "type",
    "format": "type",
    "start": "starts_at",
    "starts": "starts_at",
    "start_time": "starts_at",
    "start_date": "starts_at",
    "end": "ends_at",
    "ends": "ends_at",
    "end_time": "ends_at",
    "end_date": "ends_at",
    "timezone": "time_zone",
    "tz": "time_zone",
    "zone": "time_zone",
    "venue_name": "venue",
    "location": "venue",
    "url": "online_url",
    "join_url": "online_url",
    "join_link": "online_url",
    "stream_url": "online_url",
    "link": "online_url",
    "seats": "capacity",
    "approval": "requires_approval",
    "deadline": "registration_deadline",
    "registration_closes": "registration_deadline",
    "description": "summary",
    "tags": "topics",
    "topic": "topics",
    "reminder": "reminders",
}
# The model field a column fills, where the names differ (errors from full_clean name model fields).
MODEL_FIELDS = {"venue": "venue_name"}
COLUMN_FOR_FIELD = {model: column for column, model in MODEL_FIELDS.items()}
# In a calendar the same values come from these properties: errors name them.
ICS_PROPERTIES = {
    "title": "SUMMARY",
    "starts_at": "DTSTART",
    "ends_at": "DTEND",
    "time_zone": "DTSTART",
    "venue": "LOCATION",
    "address": "LOCATION",
    "city": "LOCATION",
    "online_url": "URL",
    "summary": "DESCRIPTION",
    "description": "DESCRIPTION",
    "topics": "CATEGORIES",
}

TYPE_WORDS = {
    "in_person": Event.Type.IN_PERSON,
    "inperson": Event.Type.IN_PERSON,
    "meetup": Event.Type.IN_PERSON,
    "meet_up": Event.Type.IN_PERSON,
    "workshop": Event.Type.IN_PERSON,
    "onsite": Event.Type.IN_PERSON,
    "on_site": Event.Type.IN_PERSON,
    "conference": Event.Type.CONFERENCE,
    "summit": Event.Type.CONFERENCE,
    "webinar": Event.Type.WEBINAR,
    "online": Event.Type.WEBINAR,
    "virtual": Event.Type.WEBINAR,
    "livestream": Event.Type.WEBINAR,
    "live_stream": Event.Type.WEBINAR,
}
DATE_ONLY = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})$")
DATE_FORMATS = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y, %H:%M",
]
EXAMPLE_WHEN = "2027-03-04 18:00"
TOPIC_MAX = 100  # taggit's tag name length

READY, INVALID, SKIPPED = "ready", "invalid", "skipped"


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
        return timezone.localtime(start, zone_for(self.values.get("time_zone"))) if start else None

    @property
    def local_end(self):
        end = self.values.get("ends_at")
        return timezone.localtime(end, zone_for(self.values.get("time_zone"))) if end else None

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


# -- reading values -----------------------------------------------------------------------------


def column_name(header: str) -> str:
    """Our name for a header cell (or a type word): lower case, spaces and dashes as "_", aliases resolved."""
    name = re.sub(r"[\s\-]+", "_", header.replace("\ufeff", "").strip().lower()).strip("_")
    return COLUMN_ALIASES.get(name, name)


def time_zone_name(text: str) -> str | None:
    """The IANA name (any case; empty: the site's zone), or None for a name we do not know."""
    text = text.strip()
    if not text:
        return settings.TIME_ZONE
    if text.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    return _ZONES_BY_LOWER.get(text.lower().replace(" ", "_"))


_ZONES_BY_LOWER = {name.lower(): name for name in TIME_ZONES}


def zone_for(name):
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


def whole_number(text: str) -> int:
    cleaned = text.strip().replace("\u00a0", " ")
    if re.fullmatch(r"\d{1,3}([ ,.']\d{3})+", cleaned):  # 1,200 / 1.200 / 1 200
        cleaned = re.sub(r"[ ,.']", "", cleaned)
    elif re.fullmatch(r"\d+[.,]0+", cleaned):  # 120.0 from a spreadsheet
        cleaned = re.split(r"[.,]", cleaned)[0]
    if not cleaned.isdigit():
        raise ValueError(text)
    return int(cleaned)


def country_code(text: str) -> str:
    text = text.strip()
    if len(text) == 2:
        return text.upper()
    if not text:
        return ""
    from forms.imports.validation import ALPHA3, COUNTRY_NAMES  # the names the lead import knows

    return COUNTRY_NAMES.get(text.lower()) or ALPHA3.get(text.upper()) or text


def topics_from(parts, row: RowResult, where: str) -> list[str]:
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


# -- the model's own checks, duplicates ---------------------------------------------------------


def event_from(values: dict) -> Event:
    return Event(
        title=values.get("title") or "",
        type=values.get("type") or Event.Type.IN_PERSON,
        starts_at=values.get("starts_at"),
        ends_at=values.get("ends_at"),
        time_zone=values.get("time_zone") or settings.TIME_ZONE,
        venue_name=values.get("venue") or "",
        address=values.get("address") or "",
        city=values.get("city") or "",
        country=values.get("country") or "",
        online_url=values.get("online_url") or "",
        capacity=values.get("capacity"),
        requires_approval=bool(values.get("requires_approval")),
        registration_deadline=values.get("registration_deadline"),
        summary=values.get("summary") or "",
        description=values.get("description") or "",
        reminders=values.get("reminders", "24h, 1h"),
    )


def check(row: RowResult, source: str) -> None:
    """The model's own validation (lengths, URLs, end after start, a webinar's link...), named by column."""
    failed = {where for where, _ in row.errors}
    if source == "ics":
        failed = {column for column, prop in ICS_PROPERTIES.items() if prop in failed} | failed
    exclude = [MODEL_FIELDS.get(name, name) for name in failed]
    event = event_from(row.values)
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
        row.warnings.append(
            (
                ICS_PROPERTIES["starts_at"] if source == "ics" else "starts_at",
                "this event is in the past; it is imported as it is.",
            )
        )


def _key(values: dict) -> tuple[str, datetime]:
    return (" ".join((values.get("title") or "").split()).casefold(), values.get("starts_at"))


def mark_duplicates(rows: list[RowResult]) -> None:
    """Skip rows that repeat an earlier row or an event we already have (same title, same start)."""
    candidates = [row for row in rows if row.status == READY]
    if not candidates:
        return
    starts = {row.values["starts_at"] for row in candidates}
    existing = set()
    for start_batch in _batches(sorted(starts), 500):  # SQLite takes a limited number of parameters
        existing |= {
            (" ".join(title.split()).casefold(), start)
            for title, start in Event.objects.filter(starts_at__in=start_batch).values_list("title", "starts_at")
        }
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
        yield items[start : start + size]
