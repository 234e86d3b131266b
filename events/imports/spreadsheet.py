"""A season as a CSV file: the encoding and delimiter (the lead import's detection), our columns by
name in any case or alias, every row read into a RowResult and checked; and the template to start from.
"""

import csv
import io
import tempfile

from django.conf import settings
from django.utils import timezone

from events.models import Event
from forms.imports.parsing import CSV_DELIMITERS, detect_encoding, sniff_delimiter

from .files import ImportFileError, max_rows, read_upload, too_many
from .rows import (
    COLUMNS,
    EXAMPLE_WHEN,
    REQUIRED_COLUMNS,
    TYPE_WORDS,
    ImportPreview,
    RowResult,
    check,
    column_name,
    country_code,
    mark_duplicates,
    parse_when,
    time_zone_name,
    topics_from,
    whole_number,
    zone_for,
)

TRUE_WORDS = {"yes", "y", "true", "1", "x", "ja", "oui", "si"}
FALSE_WORDS = {"no", "n", "false", "0", "nein", "non", ""}
NO_REMINDERS = {"none", "no", "-", "0"}
# The encodings detect_encoding chooses, as the preview names them. Its last resort, Latin-1, is not
# here: bytes that Windows-1252 leaves undefined mean a binary file (or not a Western one) to us.
ENCODING_LABELS = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
NOT_CSV = "This is not a CSV file (it holds binary data): save the sheet as CSV and upload that."
csv.field_size_limit(1_000_000)


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
                raise ImportFileError(too_many(limit, "rows"))
    except csv.Error as error:
        raise ImportFileError(
            f"The CSV file is malformed near line {reader.line_num}: {error}. Save it again as CSV."
        ) from error
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
        _read_row(row, raw)
        check(row, "csv")
        preview.rows.append(row)
    mark_duplicates(preview.rows)
    return preview


# -- the file -----------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    """Text and its encoding's name: whatever the lead import would choose, binary data refused."""
    encoding = _detect_encoding(data)
    if encoding == "utf-16":
        try:
            return data.decode("utf-16"), ENCODING_LABELS[encoding]
        except UnicodeDecodeError as error:
            raise ImportFileError("The file cannot be read as text: save it again as CSV (UTF-8).") from error
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "This is an Excel workbook or another zip file, not CSV: save the sheet as CSV "
            "(comma or semicolon separated) and upload that."
        )
    if b"\x00" in data[:65536] or encoding not in ENCODING_LABELS:
        raise ImportFileError(NOT_CSV)
    text = data.decode(encoding)
    # Control characters other than tabs and line breaks: a binary file that happened to decode.
    sample = text[:65536]
    if sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n") > max(3, len(sample) // 200):
        raise ImportFileError(NOT_CSV)
    return text, ENCODING_LABELS[encoding]


def _detect_encoding(data: bytes) -> str:
    """forms.imports.parsing.detect_encoding reads a saved file: the upload is written where Django
    keeps uploads while it receives them (FILE_UPLOAD_TEMP_DIR), readable by us only, gone at once."""
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR, suffix=".csv") as handle:
        handle.write(data)
        handle.flush()
        return detect_encoding(handle.name)


def _delimiter(text: str) -> str:
    """The delimiter whose header row names the most of our columns; the lead import's guess breaks ties
    (sniff_delimiter: the one giving the first lines the same, largest number of columns)."""
    first_lines = [line for line in text.splitlines() if line.strip()][:20]
    if not first_lines:
        return ","
    guess = sniff_delimiter("\n".join(first_lines))
    scores = {}
    for delimiter in CSV_DELIMITERS:
        try:
            header = next(csv.reader([first_lines[0]], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        scores[delimiter] = (len({column_name(cell) for cell in header} & set(COLUMNS)), delimiter == guess)
    return max(scores, key=scores.get) if scores else guess


def _columns(header: list[str], preview: ImportPreview) -> list[str | None]:
    """Our column name for each header cell (None: ignored); the file is refused without the required ones."""
    columns, seen, unknown = [], {}, []
    for index, cell in enumerate(header):
        name = column_name(cell)
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
        raise ImportFileError(
            "The first row must hold the column names (" + ", ".join(REQUIRED_COLUMNS) + ", ...); "
            "none of ours were found. Download the template for the columns and an example."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError(
            "The file has no "
            + ", ".join(f"'{name}'" for name in missing)
            + (" column" if len(missing) == 1 else " columns")
            + ": every event needs a title, a start and an end. "
            "Download the template for the columns and an example."
        )
    if unknown:
        preview.warnings.append(
            "Not imported (not one of our columns): "
            + ", ".join(f"'{c}'" for c in unknown)
            + ". Our columns: "
            + ", ".join(COLUMNS)
            + "."
        )
    return columns


# -- a row --------------------------------------------------------------------------------------


def _read_row(row: RowResult, raw: dict) -> None:
    """Turn the row's text into values, each problem named by its column."""
    values = row.values
    values["title"] = " ".join(raw.get("title", "").split())
    if not values["title"]:
        row.errors.append(("title", "empty; every event needs a title."))

    zone_text = raw.get("time_zone", "")
    zone_name = time_zone_name(zone_text)
    if zone_name is None:
        row.errors.append(
            (
                "time_zone",
                f"'{zone_text[:60]}' is not a time zone; use a name such as Europe/Berlin or America/New_York.",
            )
        )
        zone_name = settings.TIME_ZONE  # still read the dates, to report their own problems
    values["time_zone"] = zone_name
    zone = zone_for(zone_name)

    for column in ("starts_at", "ends_at", "registration_deadline"):
        text = raw.get(column, "")
        values[column] = None
        if not text:
            if column != "registration_deadline":
                row.errors.append(
                    (column, f"empty; give the {'start' if column == 'starts_at' else 'end'}, e.g. {EXAMPLE_WHEN}.")
                )
            continue
        try:
            values[column] = parse_when(text, zone)
        except ValueError as error:
            row.errors.append((column, str(error)))

    for column in ("venue", "address", "city", "online_url", "summary"):
        values[column] = raw.get(column, "")
    values["country"] = country_code(raw.get("country", ""))

    type_text = raw.get("type", "")
    if type_text:
        values["type"] = TYPE_WORDS.get(column_name(type_text))
        if values["type"] is None:
            row.errors.append(
                (
                    "type",
                    f"'{type_text[:40]}' is not a type of event; use in_person (or meetup), "
                    f"conference or webinar (or online).",
                )
            )
    else:
        online_only = values["online_url"] and not (values["venue"] or values["address"] or values["city"])
        values["type"] = Event.Type.WEBINAR if online_only else Event.Type.IN_PERSON

    capacity = raw.get("capacity", "")
    values["capacity"] = None
    if capacity:
        try:
            values["capacity"] = whole_number(capacity)
        except ValueError:
            row.errors.append(
                (
                    "capacity",
                    f"'{capacity[:20]}' is not a number of seats; use a whole number such "
                    f"as 120, or leave it empty for no limit.",
                )
            )

    approval = raw.get("requires_approval", "").lower()
    values["requires_approval"] = approval in TRUE_WORDS
    if approval not in TRUE_WORDS | FALSE_WORDS:
        row.errors.append(
            ("requires_approval", f"'{approval[:20]}' is not yes or no; use yes, no, true, false, 1 or 0.")
        )

    values["topics"] = topics_from(raw.get("topics", "").split(","), row, "topics")
    reminders = raw.get("reminders", "")
    if "reminders" not in raw or not reminders:
        values["reminders"] = Event._meta.get_field("reminders").default  # empty cell: the usual reminders
    else:
        values["reminders"] = "" if reminders.lower() in NO_REMINDERS else reminders


# -- the template -------------------------------------------------------------------------------


def template_csv() -> str:
    """Our columns and one example of each type of event (next year, so they import as they are)."""
    year = timezone.now().year + 1
    rows = [
        COLUMNS,
        [
            "RevOps Meetup Berlin",
            "in_person",
            f"{year}-03-04 18:00",
            f"{year}-03-04 21:00",
            "Europe/Berlin",
            "Factory Hall",
            "Lohmühlenstraße 65",
            "Berlin",
            "DE",
            "",
            "80",
            "no",
            f"{year}-03-03 12:00",
            "An evening of talks about revenue operations.",
            "RevOps, Pipeline",
            "24h, 1h",
        ],
        [
            "Revenue Summit",
            "conference",
            f"{year}-05-12 09:00",
            f"{year}-05-13 17:30",
            "Europe/Amsterdam",
            "Beurs van Berlage",
            "Damrak 243",
            "Amsterdam",
            "NL",
            "",
            "400",
            "yes",
            "",
            "Two days, three tracks, one question: where does growth come from?",
            "AI, Banking",
            "7d, 24h",
        ],
        [
            "Pipeline Webinar",
            "webinar",
            f"{year}-06-18 16:00",
            f"{year}-06-18 17:00",
            "America/New_York",
            "",
            "",
            "",
            "",
            "https://zoom.us/j/1234567890",
            "",
            "no",
            "",
            "Forty minutes on building pipeline that converts.",
            "Pipeline",
            "24h, 1h",
        ],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
