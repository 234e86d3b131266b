"""A report's numbers as a table: shown under its chart (the accessible reading of the picture) and
downloaded as CSV. One shape for every report, so every report has both."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | count | rate (0..1) | money | days | share (0..1 of credit)


@dataclass
class Table:
    name: str  # the CSV's `table=` parameter and file name
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""  # what the numbers mean, shown under the table
    links: dict = field(default_factory=dict)  # (row index, column key) -> URL: a number's drill-down

    def cell(self, row: dict, column: Column):
        return row.get(column.key)

    def csv_rows(self):
        yield [column.label for column in self.columns]
        for row in self.rows:
            yield [_csv_value(row.get(column.key), column.kind) for column in self.columns]

    def display_rows(self):
        """[(cells, ...)] with each cell as (text, kind, link) for the template."""
        for index, row in enumerate(self.rows):
            yield [
                (_display(row.get(column.key), column.kind), column.kind, self.links.get((index, column.key)))
                for column in self.columns
            ]


def _csv_value(value, kind):
    if value is None:
        return ""
    if kind in ("rate", "share") and isinstance(value, (int, float, Decimal)):
        return f"{float(value):.4f}"
    if kind == "money" and isinstance(value, (int, float, Decimal)):
        return f"{Decimal(value):.2f}"
    if kind == "days" and isinstance(value, (int, float, Decimal)):
        return f"{float(value):.1f}"
    return value


def _display(value, kind) -> str:
    if value is None or value == "":
        return "–"
    if kind == "count":
        return f"{int(value):,}"
    if kind in ("rate", "share"):
        return f"{float(value) * 100:.1f}%"
    if kind == "money":
        return f"{Decimal(value):,.0f}"
    if kind == "days":
        return f"{float(value):.1f}"
    return str(value)
