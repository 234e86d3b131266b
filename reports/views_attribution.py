"""The attribution report (issue 18 item 5): the period's conversions credited to channels, campaigns,
content items and events by the model the marketer picks, as bar charts with their tables and CSV.

Only the screen lives here: the rules are reports/attribution/crediting.py, the numbers
reports/attribution/selectors.py. People are scoped like the sales lists (a rep sees their own
people's conversions) and filtered by the journey filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from . import charts
from .attribution.conversions import AMOUNTS, CONVERSIONS, NEW_PERSON
from .attribution.crediting import DEFAULT_HALF_LIFE_DAYS, DEFAULT_MODEL, MODEL_RULES, MODELS, TIME_DECAY
from .attribution.rollup import attribution_for
from .attribution.selectors import DIMENSIONS, NOT_THIS
from .models import KEPT_ATTRIBUTION
from .periods import ReportInputError
from .tables import Column, Table
from .views_base import ReportView

# Time decay's half-lives: the ones the credit rollup keeps, so every choice answers at once.
HALF_LIVES = sorted(days for model, days in KEPT_ATTRIBUTION if model == TIME_DECAY)
CHART_BARS = 10
TABLE_NAMES = {"channel": "channels", "campaign": "campaigns", "content": "content", "event": "events"}


@dataclass(frozen=True)
class AttributionChoice:
    model: str
    half_life_days: int
    focus: str  # the conversion the charts show

    def query(self) -> dict[str, str]:
        params = {"model": self.model, "conversion": self.focus}
        if self.model == TIME_DECAY:
            params["half_life"] = str(self.half_life_days)
        return params


def choice_from_request(params) -> AttributionChoice:
    """The model, half-life and charted conversion a query string asks for; a wrong one names its field."""
    model = (params.get("model") or "").strip() or DEFAULT_MODEL
    if model not in MODELS:
        raise ReportInputError("model", f"must be one of {', '.join(MODELS)}")
    raw = (params.get("half_life") or "").strip() or str(DEFAULT_HALF_LIFE_DAYS)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and int(raw) in HALF_LIVES):
        raise ReportInputError("half_life", f"must be one of {', '.join(map(str, HALF_LIVES))} days")
    focus = (params.get("conversion") or "").strip() or NEW_PERSON
    if focus not in CONVERSIONS:
        raise ReportInputError("conversion", f"must be one of {', '.join(CONVERSIONS)}")
    return AttributionChoice(model, int(raw), focus)


class CreditTable(Table):
    """A Table whose "credit" columns hold fractions of conversions (shown with two decimals, six in the CSV)."""

    def csv_rows(self):
        yield [column.label for column in self.columns]
        for row in self.rows:
            yield [_csv(row.get(column.key), column) for column in self.columns]

    def display_rows(self):
        for index, cells in enumerate(super().display_rows()):
            yield [
                (f"{Decimal(self.rows[index].get(column.key) or 0):,.2f}", "count", link)
                if column.kind == "credit"
                else (text, kind, link)
                for column, (text, kind, link) in zip(self.columns, cells, strict=True)
            ]


def _csv(value, column):
    if column.kind == "credit":
        return f"{Decimal(value or 0):.6f}"
    if column.kind == "money":
        return f"{Decimal(value or 0):.2f}"
    return "" if value is None else value


def _columns(first_label: str) -> list[Column]:
    columns = [Column("label", first_label)]
    for kind, label in CONVERSIONS.items():
        columns.append(Column(kind, label, "credit"))
        if kind in AMOUNTS:
            columns.append(Column(f"{kind}_amount", f"{AMOUNTS[kind]} ({settings.REPORT_CURRENCY})", "money"))
    return columns


def _rows(result, dimension: str, focus: str) -> list[dict]:
    rows = []
    for credit_row in result.table_rows(dimension, focus):
        row = {"label": credit_row.label}
        for kind in CONVERSIONS:
            row[kind] = credit_row.credit.get(kind, Decimal(0))
            if kind in AMOUNTS:
                row[f"{kind}_amount"] = credit_row.amount.get(kind, Decimal(0))
        rows.append(row)
    return rows


def _summary(result) -> Table:
    columns = [
        Column("label", "Conversion"),
        Column("count", "Conversions", "count"),
        Column("amount", "Amount", "money"),
    ]
    rows = [
        {
            "label": label,
            "count": result.conversions.get(kind, 0),
            "amount": result.amounts.get(kind, Decimal(0)) if kind in AMOUNTS else None,
        }
        for kind, label in CONVERSIONS.items()
    ]
    return Table(
        "conversions",
        "Conversions in the period",
        columns,
        rows,
        note=f"Every table below shares exactly these conversions and amounts ({settings.REPORT_CURRENCY}).",
    )


class AttributionView(ReportView):
    title = "Attribution"
    template_name = "reports/attribution.html"
    default_period = "90d"

    def report(self, request, period, filters) -> dict:
        choice = choice_from_request(request.GET)
        result, from_rollup = attribution_for(
            request.user, period, filters, model=choice.model, half_life_days=choice.half_life_days
        )
        model_label = MODELS[choice.model]
        if choice.model == TIME_DECAY:
            model_label = f"{model_label}, half-life {choice.half_life_days} days"
        focus_label = CONVERSIONS[choice.focus]
        tables, sections = [_summary(result)], []
        for dimension, label in DIMENSIONS.items():
            rows = _rows(result, dimension, choice.focus)
            table = CreditTable(
                TABLE_NAMES[dimension],
                f"Credit per {label.lower()}",
                _columns(label),
                rows,
                note=(
                    f"{model_label}. A cell is the conversions (and amount) credited to this {label.lower()}; "
                    "each column sums to the conversions of the period above."
                ),
            )
            # The chart leaves out what is not of this kind ("(not an event)": most of the credit, always);
            # the table keeps it, so its columns still add up.
            skip = NOT_THIS.get(dimension, (None, None))[1]
            bars = [
                (row["label"], float(row[choice.focus])) for row in rows if row[choice.focus] and row["label"] != skip
            ]
            bars = bars[:CHART_BARS]
            chart = charts.bar_chart(bars, title=f"{focus_label} credited per {label.lower()} ({model_label})")
            tables.append(table)
            sections.append({"table": table, "chart": chart})
        return {
            "tables": tables,
            "summary": tables[0],
            "sections": sections,
            "choice": choice,
            "models": MODELS,
            "conversions": CONVERSIONS,
            "model_label": model_label,
            "model_rule": MODEL_RULES[choice.model],
            "from_rollup": from_rollup,
            "half_lives": HALF_LIVES,
            # The CSV links and the period form keep the model: the shell's `query` knows period and filters only.
            "report_query": {**period.query(), **filters.query(), **choice.query()},
        }
