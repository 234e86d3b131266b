"""Reading CSV and XLSX files: encoding, delimiter, headers, rows as text. Every problem is an
ImportFileError with a message a marketer can act on; nothing here raises anything else for a bad file.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2,
blank lines keep their number but are skipped.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

CSV_DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
XLSX_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
MAX_CELL = 10_000  # characters kept of one cell; anything longer is garbage for a lead
csv.field_size_limit(1_000_000)


class ImportFileError(Exception):
    """The file cannot be imported; the message says why and what to do."""


def max_bytes() -> int:
    return int(getattr(settings, "LEAD_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "LEAD_IMPORT_MAX_ROWS", 200_000))


@dataclass
class FileInfo:
    file_format: str  # "csv" or "xlsx"
    headers: list[str]
    header_notes: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    row_count: int = 0


def file_format_for(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv") or name.endswith(".txt") or name.endswith(".tsv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".xls"):
        raise ImportFileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV.")
    raise ImportFileError("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")


# -- CSV ----------------------------------------------------------------------------------------


def detect_encoding(path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; otherwise Windows-1252, else Latin-1."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8d, ...)
            return "latin-1"


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of columns."""
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    best, best_score = ",", (0, 0)
    for delimiter in CSV_DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(row) for row in rows if row]
        if not widths or widths[0] < 2:
            continue
        consistent = sum(1 for width in widths if width == widths[0])
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_reader(path, encoding, delimiter):
    handle = open(path, encoding=encoding, newline="", errors="replace")  # closed by caller
    return handle, csv.reader(handle, delimiter=delimiter)


# -- XLSX ---------------------------------------------------------------------------------------


def _check_xlsx(path):
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(
            "This is not a valid Excel workbook (.xlsx): save it again from Excel or as CSV."
        ) from error
    if "xl/workbook.xml" not in names:
        raise ImportFileError("This is not a valid Excel workbook (.xlsx): save it again from Excel or as CSV.")
    if expanded > 10 * max_bytes():
        raise ImportFileError(
            f"The workbook unpacks to {expanded // (1024 * 1024)} MB, more than the limit of "
            f"{10 * max_bytes() // (1024 * 1024)} MB: split it or save it as CSV."
        )


def _xlsx_rows(path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            f"The workbook cannot be read ({type(error).__name__}): save it again or as CSV."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def xlsx_cell(value) -> tuple[str, str]:
    """(text, problem) for one cell: numbers without '.0', dates as ISO, formulas and errors refused."""
    if value is None:
        return "", ""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), ""
    if isinstance(value, int):
        return str(value), ""
    if isinstance(value, float | Decimal):
        if value == int(value) and abs(value) < 1e16:
            return str(int(value)), ""
        return f"{value:.15g}", ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):  # a date: spreadsheets keep dates as midnight
            return value.date().isoformat(), ""
        return value.isoformat(sep=" "), ""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat(), ""
    if isinstance(value, datetime.timedelta):
        return "", "a duration, not text"
    text = str(value)
    if text.strip() in XLSX_ERRORS:
        return "", f"a spreadsheet error ({text.strip()})"
    return text, ""


# -- both ---------------------------------------------------------------------------------------


def cell_problem(text: str) -> str:
    """A reason to refuse a text cell: a formula (=...) is never imported, whatever it computes."""
    if text.startswith("=") and len(text) > 1:
        return "a spreadsheet formula; save the sheet with values instead of formulas"
    return ""


def unique_headers(cells: list[str]) -> tuple[list[str], list[str]]:
    """Column names made unique and non-blank, and a note for each one changed."""
    headers, notes, seen = [], [], {}
    for index, cell in enumerate(cells, start=1):
        name = " ".join(str(cell or "").replace("\ufeff", "").split())[:100]
        if not name:
            name = f"Column {index}"
            notes.append(f"Column {index} has no name; it is called '{name}' here.")
        key = name.lower()
        if key in seen:
            original = name
            n = 2
            while f"{original} ({n})".lower() in seen:
                n += 1
            name = f"{original} ({n})"
            notes.append(
                f"Column {index} has the same name as column {seen[key]} ('{original}'); it is called '{name}' here."
            )
            key = name.lower()
        seen[key] = index
        headers.append(name)
    return headers, notes


def _raw_rows(path, info: FileInfo) -> Iterator[tuple[int, list[str], list[tuple[int, str]]]]:
    """(row number, cells, [(column index, problem)]) for every row, the header included."""
    if info.file_format == "csv":
        handle, reader = _csv_reader(path, info.encoding, info.delimiter)
        with handle:
            try:
                for number, cells in enumerate(reader, start=1):
                    problems = []
                    for index, text in enumerate(cells):
                        if len(text) > MAX_CELL:
                            cells[index] = text[:MAX_CELL]
                        problem = cell_problem(text)
                        if problem:
                            problems.append((index, problem))
                    yield number, cells, problems
            except csv.Error as error:
                raise ImportFileError(f"The CSV file is malformed near row {reader.line_num}: {error}.") from error
    else:
        for number, values in enumerate(_xlsx_rows(path), start=1):
            cells, problems = [], []
            for index, value in enumerate(values):
                text, problem = xlsx_cell(value)
                problem = problem or cell_problem(text)
                if problem:
                    problems.append((index, problem))
                cells.append(text[:MAX_CELL])
            yield number, cells, problems


def inspect_file(path, filename: str) -> FileInfo:
    """Check a saved upload and read its header; counts the data rows (and enforces the row limit)."""
    file_format = file_format_for(filename)
    info = FileInfo(file_format=file_format, headers=[])
    if file_format == "csv":
        info.encoding = detect_encoding(path)
        with open(path, encoding=info.encoding, errors="replace", newline="") as handle:
            sample = handle.read(64 * 1024)
        if not sample.strip():
            raise ImportFileError("The file is empty.")
        info.delimiter = "\t" if filename.lower().endswith(".tsv") else sniff_delimiter(sample)
    else:
        _check_xlsx(path)
    limit = max_rows()
    header = None
    count = 0
    for _number, cells, _problems in _raw_rows(path, info):
        if not any((cell or "").strip() for cell in cells):
            continue
        if header is None:
            header = cells
            continue
        count += 1
        if count > limit:
            raise ImportFileError(
                f"The file has more than {limit:,} rows, the most one import takes: split it into smaller files."
            )
    if header is None:
        raise ImportFileError("The file is empty.")
    while header and not (header[-1] or "").strip():
        header = header[:-1]
    if len(header) < 1:
        raise ImportFileError("The first row must hold the column names.")
    if count == 0:
        raise ImportFileError("The file has column names but no rows of data.")
    info.headers, info.header_notes = unique_headers(header)
    info.row_count = count
    return info


def iter_data_rows(path, info: FileInfo, *, start_after: int = 0) -> Iterator[tuple[int, dict, list[tuple[str, str]]]]:
    """(row number, {header: text}, [(header, problem)]) for each non-blank data row.

    Cells past the last named column are kept as "Column N" only when non-blank. `start_after` skips
    that many data rows (resuming an import).
    """
    headers = info.headers
    header_seen = False
    done = 0
    for number, cells, problems in _raw_rows(path, info):
        if not any((cell or "").strip() for cell in cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        done += 1
        if done <= start_after:
            continue
        row = {}
        for index, text in enumerate(cells):
            if index < len(headers):
                row[headers[index]] = text
            elif text.strip():
                row[f"Column {index + 1}"] = text
        named = [
            (headers[index] if index < len(headers) else f"Column {index + 1}", problem) for index, problem in problems
        ]
        for header, _ in named:
            row[header] = ""
        yield number, row, named
