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

The parts: files (limits, reading an upload), rows (our columns, a row's values and checks,
duplicates), spreadsheet (CSV, with the lead import's encoding and delimiter detection; the
template), ics (calendars), importing (events_import), storage (the upload kept between preview and
import, in the lead imports' private store).
"""

import codecs

from .files import ImportFileError, max_bytes, max_rows, read_upload
from .ics import events_from_ics
from .importing import ImportResult, events_import
from .rows import COLUMNS, ImportPreview, RowResult, parse_when
from .spreadsheet import events_from_csv, template_csv
from .storage import upload_delete, upload_keep, upload_read, uploads_purge

__all__ = [
    "COLUMNS",
    "ImportFileError",
    "ImportPreview",
    "ImportResult",
    "RowResult",
    "events_from_csv",
    "events_from_file",
    "events_from_ics",
    "events_import",
    "max_bytes",
    "max_rows",
    "parse_when",
    "read_upload",
    "template_csv",
    "upload_delete",
    "upload_keep",
    "upload_read",
    "uploads_purge",
]

CALENDAR_SUFFIXES = (".ics", ".ical", ".icalendar", ".ifb")
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".numbers", ".ods")


def events_from_file(file, filename: str = "") -> ImportPreview:
    """A CSV file or a calendar, told apart by the name (.csv/.ics) or else by the content."""
    data, name = read_upload(file)
    name = filename or name
    lowered = name.lower()
    if lowered.endswith(CALENDAR_SUFFIXES):
        return events_from_ics(data, filename=name)
    if lowered.endswith(SPREADSHEET_SUFFIXES):
        raise ImportFileError("Spreadsheets cannot be read directly: save the sheet as CSV and upload that.")
    if data.lstrip(codecs.BOM_UTF8 + b" \r\n\t").upper().startswith(b"BEGIN:VCALENDAR"):
        return events_from_ics(data, filename=name)
    return events_from_csv(data, filename=name)
