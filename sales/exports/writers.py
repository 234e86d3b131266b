"""CSV and XLSX writers: streamed a batch at a time, safe to open in Excel.

- CSV: UTF-8 with a byte-order mark (without it Excel reads "Zoë" as "ZoÃ«"), the csv module's
  quoting (commas, quotes and line breaks inside a cell survive), CRLF line ends.
- XLSX: XlsxWriter makes the workbook (styles, the bold heading row frozen at the top, the sheet's
  name); the data rows are written here as the sheet's XML, a batch at a time, to a temporary file
  packed into the workbook at the end: the sheet is never held in memory, whatever its length, and a
  row costs one class test and one f-string per cell. (Rows of 20 cells, CPU, packing included:
  XlsxWriter's constant_memory write_row ~97 us a row, its typed writes ~81, openpyxl's write-only
  sheet ~154, these ~14: the issue's bar, a million rows in under 60 s, leaves ~40 us a row to the
  writer once the rows are read and converted.) Strings are inline (no shared table), cleaned of what
  XML cannot hold and capped at 32,767 UTF-16 units; dates and times are Excel's day numbers with a
  date format.
- Both: text a spreadsheet would run as a formula gets a leading apostrophe (core.spreadsheets, the
  product's one rule: = + - @, also after leading spaces, tabs or line breaks; =HYPERLINK(...),
  +cmd|...). Numbers stay numbers: -2 is a number, "-2+3" is text and gets the apostrophe.
- Dates and times in the site's time zone (TIME_ZONE), empty cells for nothing.

Each writer offers one converter per kind of cell (`cell_converters`); the column registry composes
them with each column's reading once per export, so converting a row makes no type tests (the XLSX
sheet's writer tests each cell's class once, to write it as a number, a date or text).
"""

import csv
import io
import math
import re
import shutil
import tempfile
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings

from core.spreadsheets import NEEDS_A_LOOK, neutralise

# The first characters after which a text cell is handed to `neutralise` (the rest skip the call).
FORMULA_STARTS = NEEDS_A_LOOK
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's sheet size, less the heading row
XLSX_MAX_CELL = 32_767  # characters in one Excel cell
# Characters XML 1.0 (and so XLSX) cannot hold (and lone surrogates, which UTF-8 cannot): removed.
XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
BOM = "\ufeff"
# zlib's fastest: the sheet of a million people (1.1 GB of XML) packs in 2.4 s of CPU instead of 8.4 s at
# the default level, for a file 20% larger (123 MB instead of 102; the CSV is 198 MB).
XLSX_COMPRESS_LEVEL = 1
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"


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

    def text(value):
        # The formula rule only, as for CSV: the sheet's writer makes any text fit for XML and Excel
        # (xlsx_text), in its one pass over the cell.
        if value.__class__ is not str:
            value = _as_text(value)
        return neutralise(value) if value[:1] in starts else value

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


def within_a_cell(text: str, limit: int = XLSX_MAX_CELL) -> str:
    """At most `limit` characters as Excel counts them (UTF-16: "🚀" is two); a pair cut in two is dropped."""
    text = text[:limit]
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) > 2 * limit:
        text = encoded[: 2 * limit].decode("utf-16-le", "ignore")
    return text


def sheet_title(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\, no ' at either end."""
    cleaned = " ".join(re.sub(r"[\[\]:*?/\\]", " ", XLSX_ILLEGAL.sub("", title)).split())
    return within_a_cell(cleaned, 31).strip(" '") or "Export"


class TooManyRowsForExcel(ValueError):
    pass


def write_xlsx(
    fileobj, headings: list[str], batches: Iterable[list], *, title: str = "Export", progress: Callable | None = None
) -> int:
    """Write converted rows as a workbook to a binary file object (a temporary or private file).

    XlsxWriter makes the workbook around the rows (styles, the frozen heading row, the sheet's name);
    the rows are written here, straight to a temporary file as XML, a batch at a time (see the module's
    docstring for why), then packed with the rest."""
    workbook = _workbook_around(headings, title)
    with tempfile.TemporaryFile() as sheet_rows:
        rows = _write_sheet_rows(sheet_rows, len(headings), batches, workbook.styles, progress)
        last_cell = f"{_column_letters(max(len(headings), 1))[-1]}{rows + 1}"
        _pack(fileobj, workbook, sheet_rows, f'<dimension ref="A1:{last_cell}"/>')
    return rows


@dataclass
class _Workbook:
    """An XlsxWriter workbook holding the heading row, cut open where the data rows go."""

    parts: list[tuple[str, bytes]]  # every part of the package, in order; the sheet's is b""
    sheet: str  # the sheet's part name
    head: str  # the sheet's XML up to the end of the heading row
    tail: str  # the rest, from </sheetData> on
    styles: dict  # the style numbers of a moment and of a day


SHEET_PART = "xl/worksheets/sheet1.xml"
_PROBE_ROW = re.compile(r'<row r="2"[^>]*>(.*?)</row>')
_DIMENSION = re.compile(r"<dimension [^>]*/>")


def _workbook_around(headings: list[str], title: str) -> _Workbook:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet(sheet_title(title))
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, [escape_formula(heading) for heading in headings], workbook.add_format({"bold": True}))
    # A second row, so the file says which style numbers it gave a moment's and a day's format; cut out below.
    sheet.write_datetime(1, 0, datetime(2000, 1, 1), workbook.add_format({"num_format": DATETIME_FORMAT}))
    sheet.write_datetime(1, 1, date(2000, 1, 1), workbook.add_format({"num_format": DATE_FORMAT}))
    workbook.close()
    with zipfile.ZipFile(buffer) as package:
        parts = [(name, b"" if name == SHEET_PART else package.read(name)) for name in package.namelist()]
        xml = package.read(SHEET_PART).decode("utf-8")
    probe = _PROBE_ROW.search(xml)
    styles = re.findall(r'<c r="[AB]2" s="(\d+)"', probe.group(1)) if probe else []
    if len(styles) != 2 or not _DIMENSION.search(xml):
        raise RuntimeError("XlsxWriter's sheet is not laid out as write_xlsx expects: check its version.")
    return _Workbook(
        parts, SHEET_PART, xml[: probe.start()], xml[probe.end() :], {"moment": styles[0], "day": styles[1]}
    )


def _column_letters(count: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ...: the first `count` columns' names."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


# Text the sheet's writer must look at (xlsx_text): what XML escapes (& < >) or cannot hold, a CR, and
# what Excel would read as an escape of its own (_x0041_ is "A").
_NEEDS_A_LOOK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x")
_EXCEL_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
EXCEL_EPOCH = datetime(1899, 12, 31)


def xlsx_text(text: str) -> str:
    """Text as an XLSX cell holds it: without what XML cannot hold, line breaks as LF (Excel's; XML would
    turn a bare CR into one anyway), a formula neutralised (again: it may have started after a removed
    character), at most 32,767 UTF-16 units, escaped for XML and for Excel."""
    if XLSX_ILLEGAL.search(text):
        text = XLSX_ILLEGAL.sub("", text)
    if text[:1] in FORMULA_STARTS:
        text = neutralise(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > XLSX_MAX_CELL // 2:
        text = within_a_cell(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _EXCEL_ESCAPE.sub(r"_x005F\1", text) if "_x" in text else text


def excel_serial(moment: datetime) -> float:
    """A naive datetime as Excel's day number (whole days since 1899-12-31, the time as a fraction);
    from March 1900 one more, for the 29 February 1900 Excel believes in."""
    delta = moment - EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial >= 60 else serial


def _write_sheet_rows(output, width: int, batches: Iterable[list], styles: dict, progress: Callable | None) -> int:
    """The rows as the sheet's XML (<row> elements, cells with inline strings) to a binary file.

    The export's hot loop: a test of the cell's class and an f-string per cell; text is looked at once
    (one search) and only text that needs it goes through xlsx_text. The converters have neutralised
    formulas and made moments local."""
    letters = _column_letters(width)
    moment_style, tz = styles["moment"], export_timezone()
    needs_a_look, long_text = _NEEDS_A_LOOK.search, XLSX_MAX_CELL // 2
    # Row by row into the file's buffer: a batch's XML is never held whole (a few MB a batch).
    text = io.TextIOWrapper(output, encoding="utf-8", newline="")
    write = text.write
    number = 1  # the heading row's
    for batch in batches:
        if number - 1 + len(batch) > XLSX_MAX_ROWS:
            raise TooManyRowsForExcel(
                f"Excel holds at most {XLSX_MAX_ROWS:,} rows in a sheet; export this list as CSV or narrow its filters."
            )
        for row in batch:
            number += 1
            at = str(number)
            cells = []
            add = cells.append
            for letter, value in zip(letters, row, strict=False):
                kind = value.__class__
                if kind is str:
                    if not value:
                        continue
                    if needs_a_look(value) is not None or len(value) > long_text:
                        value = xlsx_text(value)
                        if not value:
                            continue
                    if value[0] <= " " or value[-1] <= " ":  # XML would drop a blank at either end
                        add(f'<c r="{letter}{at}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>')
                    else:
                        add(f'<c r="{letter}{at}" t="inlineStr"><is><t>{value}</t></is></c>')
                elif value is None:
                    continue
                elif kind is int:
                    add(f'<c r="{letter}{at}"><v>{value}</v></c>')
                elif kind is datetime and value.tzinfo is None and value >= EXCEL_EPOCH:
                    add(f'<c r="{letter}{at}" s="{moment_style}"><v>{excel_serial(value):.16G}</v></c>')
                else:
                    add(_other_cell(f"{letter}{at}", value, styles, tz))
            write(f'<row r="{at}">{"".join(cells)}</row>')
        # Let the batch go before the next one is converted (the for loop would hold it until then).
        batch = row = cells = None
        if progress is not None:
            progress(number - 1)
    text.flush()
    text.detach()
    return number - 1


def _other_cell(ref: str, value, styles: dict, tz) -> str:
    """Cells the hot loop leaves: other numbers, booleans, days, moments with a zone, anything else as text."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal) and value.is_finite() or isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value if isinstance(value, Decimal) else repr(value)}</v></c>'
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz).replace(tzinfo=None)
        if value >= EXCEL_EPOCH:
            return f'<c r="{ref}" s="{styles["moment"]}"><v>{excel_serial(value):.16G}</v></c>'
    elif isinstance(value, date) and value >= EXCEL_EPOCH.date():
        day = excel_serial(datetime(value.year, value.month, value.day))
        return f'<c r="{ref}" s="{styles["day"]}"><v>{day:.0f}</v></c>'
    # Before Excel's first day, NaN, anything else: as text.
    text = xlsx_text(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>' if text else ""


def _pack(fileobj, workbook: _Workbook, sheet_rows, dimension: str):
    """The package (a zip), the sheet's part streamed from the rows' file between its head and its tail."""
    head = _DIMENSION.sub(dimension, workbook.head, count=1).encode("utf-8")
    tail = workbook.tail.encode("utf-8")
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESS_LEVEL) as package:
        for name, data in workbook.parts:
            if name != workbook.sheet:
                package.writestr(name, data)
                continue
            size = len(head) + sheet_rows.tell() + len(tail)
            # ZIP64 records only for a sheet past 2 GB, as zipfile decides for a file it packs itself.
            with package.open(name, "w", force_zip64=size * 1.05 > zipfile.ZIP64_LIMIT) as sheet:
                sheet.write(head)
                sheet_rows.seek(0)
                shutil.copyfileobj(sheet_rows, sheet, 1 << 16)
                sheet.write(tail)
