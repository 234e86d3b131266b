"""CSV and XLSX writers: streamed a batch at a time, safe to open in Excel.

- CSV: UTF-8 with a byte-order mark (without it Excel reads "Zoë" as "ZoÃ«"), the csv module's
  quoting (commas, quotes and line breaks inside a cell survive), CRLF line ends.
- XLSX: openpyxl's write-only workbook, which writes rows to a temporary file as they come: the
  sheet is never held in memory, whatever its length. Strings are written inline (no shared table).
- Both: text a spreadsheet would run as a formula gets a leading apostrophe (core.spreadsheets, the
  product's one rule: = + - @, also after leading spaces, tabs or line breaks; =HYPERLINK(...),
  +cmd|...). Numbers stay numbers: -2 is a number, "-2+3" is text and gets the apostrophe.
- Dates and times in the site's time zone (TIME_ZONE), empty cells for nothing.

Each writer offers one converter per kind of cell (`cell_converters`); the column registry composes
them with each column's reading once per export, so the hot loop makes no type tests.
"""

import csv
import io
import re
import zoneinfo
from collections.abc import Callable, Iterable

from django.conf import settings

from core.spreadsheets import NEEDS_A_LOOK, neutralise

# The first characters after which a text cell is handed to `neutralise` (the rest skip the call).
FORMULA_STARTS = NEEDS_A_LOOK
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's sheet size, less the heading row
XLSX_MAX_CELL = 32_767  # characters in one Excel cell
# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them.
XLSX_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
BOM = "\ufeff"


def escape_formula(text: str) -> str:
    """'=SUM(A1)' -> "'=SUM(A1)"; everything else unchanged."""
    return neutralise(text)


def export_timezone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _as_text(value) -> str:
    return "" if value is None else str(value)


def csv_converters(tz=None) -> dict[str, Callable | None]:
    tz = tz or export_timezone()
    starts = FORMULA_STARTS

    def text(value):
        if value.__class__ is not str:
            value = _as_text(value)
        return neutralise(value) if value[:1] in starts else value

    def moment(value):
        if value is None:
            return ""
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(tz).replace(tzinfo=None)
        return value.isoformat(" ", "seconds") if hasattr(value, "hour") else value.isoformat()

    # Numbers go to the csv module as they are (None is written as an empty cell).
    return {"text": text, "number": None, "moment": moment, "safe": None}


def xlsx_converters(tz=None) -> dict[str, Callable | None]:
    tz = tz or export_timezone()
    starts = FORMULA_STARTS
    illegal = XLSX_ILLEGAL

    def text(value):
        if value.__class__ is not str:
            value = _as_text(value)
        if not value:
            return None
        if illegal.search(value):
            value = illegal.sub("", value)
        if value[:1] in starts:
            value = neutralise(value)
        if "\r" in value:  # XML turns a bare CR into LF anyway; Excel's line break in a cell is LF
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value[:XLSX_MAX_CELL]

    def moment(value):
        # Excel has no time zones: the site's local time, as in the CSV.
        if value is not None and getattr(value, "tzinfo", None) is not None:
            return value.astimezone(tz).replace(tzinfo=None)
        return value

    return {"text": text, "number": None, "moment": moment, "safe": None}


def cell_converters(file_format: str) -> dict[str, Callable | None]:
    return xlsx_converters() if file_format == "xlsx" else csv_converters()


def write_csv(stream, headings: list[str], batches: Iterable[list], progress: Callable | None = None) -> int:
    """Write converted rows to a text stream (opened with newline=""); returns the number of rows."""
    stream.write(BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([escape_formula(heading) for heading in headings])
    rows = 0
    for batch in batches:
        writer.writerows(batch)
        rows += len(batch)
        if progress is not None:
            progress(rows)
    return rows


def csv_chunks(headings: list[str], batches: Iterable[list]):
    """The file as bytes, one chunk per batch, for a StreamingHttpResponse."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([escape_formula(heading) for heading in headings])
    yield buffer.getvalue().encode("utf-8")  # the headings at once: the download starts
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


def sheet_title(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", XLSX_ILLEGAL.sub("", title)).strip().strip("'")
    return cleaned[:31] or "Export"


class TooManyRowsForExcel(ValueError):
    pass


def write_xlsx(
    fileobj, headings: list[str], batches: Iterable[list], *, title: str = "Export", progress: Callable | None = None
) -> int:
    """Write converted rows as a workbook to a binary file object (a temporary or private file)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=escape_formula(heading))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    append = sheet.append
    for batch in batches:
        if rows + len(batch) > XLSX_MAX_ROWS:
            raise TooManyRowsForExcel(
                f"Excel holds at most {XLSX_MAX_ROWS:,} rows in a sheet; export this list as CSV or narrow its filters."
            )
        for row in batch:
            append(row)
        rows += len(batch)
        if progress is not None:
            progress(rows)
    workbook.save(fileobj)
    return rows
