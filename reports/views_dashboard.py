"""The dashboard screen: the numbers of reports.dashboard as tiles with sparklines, a trend line, bars
and tables (every chart's numbers are in a table, and every table has its CSV)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from . import charts
from .dashboard import dashboard_figures
from .drilldown import sales_list_url
from .tables import Column, Table
from .views_base import ReportView

# The stage a people tile counts, as the sales list's journey filter names it (None: the cohort).
TILE_REACHED = {
    "new_people": None,
    "mqls": "mql",
    "sqls": "sql",
    "opportunities": "opportunity",
    "customers": "customer",
}


def drill_url(period, key: str, channel: str | None = None) -> str | None:
    """The sales people list showing exactly the people a people number counts: the new people of the
    period (its cohort), or those who first reached a stage in it; None for numbers that are no people."""
    if key not in TILE_REACHED:
        return None
    reached = TILE_REACHED[key]
    extra = None if channel is None else {"channel": channel}
    return sales_list_url(None, period, reached, cohort=reached is None, extra=extra)


def format_amount(value) -> str:
    """Whole units: the tile's label names the currency."""
    return f"{value:,.0f}"


def format_change(change) -> tuple[str, str]:
    """(text, css class) of a tile's change against the previous period."""
    if change is None:
        return "new", "rp-change-none"
    if abs(change) < 0.0005:
        return "±0%", "rp-change-flat"
    arrow, css = ("▲", "rp-change-up") if change > 0 else ("▼", "rp-change-down")
    return f"{arrow} {abs(change) * 100:.0f}%" if abs(change) < 100 else f"{arrow} {abs(change):.0f}×", css


def tile_cards(figures: dict, period) -> list[dict]:
    """The tiles as the template shows them: number, change, sparkline, drill-down link."""
    cards = []
    currency = figures["currency"]
    for tile in figures["tiles"]:
        money = tile["kind"] == "money"
        change_text, change_class = format_change(tile["change"])
        values = [value for _, value in tile["trend"]]
        cards.append(
            {
                **tile,
                "label": f"{tile['label']} ({currency})" if money else tile["label"],
                "value_text": format_amount(tile["value"]) if money else f"{tile['value']:,}",
                "previous_text": format_amount(tile["previous"]) if money else f"{tile['previous']:,}",
                "change_text": change_text,
                "change_class": change_class,
                "sparkline": charts.sparkline(values, title=f"{tile['label']} per {figures['period']['bucket']}"),
                "link": drill_url(period, tile["key"]),
            }
        )
    return cards


def figures_tables(figures: dict, period) -> list[Table]:
    currency = figures["currency"]
    counts = [tile for tile in figures["tiles"] if tile["kind"] == "count"]
    money = [tile for tile in figures["tiles"] if tile["kind"] == "money"]
    compare = [Column("period", "This period", "count"), Column("previous", "Period before", "count")]
    numbers = Table(
        "numbers",
        "People and visitors",
        [Column("label", "Number"), *compare, Column("change", "Change", "rate")],
        [{"label": t["label"], "period": t["value"], "previous": t["previous"], "change": t["change"]} for t in counts],
        note="Visitors are distinct over the whole period. People reached each stage for the first time in it.",
    )
    for index, tile in enumerate(counts):
        if tile["key"] in TILE_REACHED:
            numbers.links[(index, "period")] = drill_url(period, tile["key"])
    revenue = Table(
        "revenue",
        f"Pipeline and revenue ({currency})",
        [
            Column("label", "Number"),
            Column("period", f"This period ({currency})", "money"),
            Column("previous", f"Period before ({currency})", "money"),
            Column("change", "Change", "rate"),
        ],
        [{"label": t["label"], "period": t["value"], "previous": t["previous"], "change": t["change"]} for t in money],
        note="Pipeline: deals opened in the period and not lost. Won revenue: deals won with their close date in it.",
    )
    trends = _trends_table(figures)
    channels = Table(
        "channels",
        "New people and MQLs by channel",
        [Column("channel", "Channel"), Column("people", "New people", "count"), Column("mqls", "MQLs", "count")],
        [{**row, "channel": row["channel"] or "(unknown)"} for row in figures["channels"]],
        note="By the channel each person first came through. MQLs: people who reached MQL in the period.",
    )
    for index, row in enumerate(figures["channels"]):
        channels.links[(index, "people")] = drill_url(period, "new_people", row["channel"])
        channels.links[(index, "mqls")] = drill_url(period, "mqls", row["channel"])
    content = Table(
        "content",
        "Downloads and form fills",
        [
            Column("label", "Content or form"),
            Column("downloads", "Downloads", "count"),
            Column("form_fills", "Form fills", "count"),
            Column("people", "People", "count"),
        ],
        figures["content"],
        note="Content downloads and form submissions in the period, by the people you see.",
    )
    events = Table(
        "events",
        "Upcoming events",
        [
            Column("title", "Event"),
            Column("starts", "Starts"),
            Column("registered", "Registered", "count"),
            Column("capacity", "Seats", "count"),
            Column("fill_rate", "Full", "rate"),
            Column("pending", "Awaiting approval", "count"),
            Column("waitlisted", "Waitlisted", "count"),
        ],
        [{**row, "starts": f"{timezone.localtime(row['starts_at']):%d %b %Y %H:%M}"} for row in figures["events"]],
        note="Registered: approved or attended registrations (seats taken). Empty seats: no limit.",
    )
    registrations = reverse("wagtailsnippets_events_registration:list")
    for index, row in enumerate(figures["events"]):  # the title, not a count: the list has every status
        events.links[(index, "title")] = f"{registrations}?event={row['id']}"
    return [numbers, revenue, trends, channels, content, events]


def _trends_table(figures: dict) -> Table:
    """The numbers behind every sparkline and the trend line: one row per bucket of the period."""
    tiles = figures["tiles"]
    columns = [Column("bucket", "From")]
    columns += [Column(t["key"], t["label"], "money" if t["kind"] == "money" else "count") for t in tiles]
    columns += [
        Column("previous_bucket", "Period before, from"),
        Column("previous_people", "New people before", "count"),
    ]
    previous = figures["trend"]["previous"]
    rows = []
    for index, (bucket, _) in enumerate(tiles[0]["trend"] if tiles else []):
        row = {"bucket": bucket.isoformat()}
        for tile in tiles:
            row[tile["key"]] = tile["trend"][index][1]
        if index < len(previous):
            row["previous_bucket"], row["previous_people"] = previous[index][0].isoformat(), previous[index][1]
        rows.append(row)
    return Table("trends", f"Per {figures['period']['bucket']}", columns, rows)


def figures_charts(figures: dict) -> dict:
    bucket = figures["period"]["bucket"]
    trend = figures["trend"]
    line = charts.line_chart(
        [
            charts.Series("This period", [(f"{day:%d %b}", value) for day, value in trend["current"]]),
            charts.Series("Period before", [(f"{day:%d %b}", value) for day, value in trend["previous"]], dashed=True),
        ],
        title=f"New people per {bucket}",
    )
    channel_bars = charts.bar_chart(
        [(row["channel"] or "(unknown)", row["people"]) for row in figures["channels"]], title="New people by channel"
    )
    mql_bars = charts.bar_chart(
        [(row["channel"] or "(unknown)", row["mqls"]) for row in figures["channels"]], title="MQLs by channel"
    )
    content_bars = charts.bar_chart(
        [(row["label"], row["downloads"] + row["form_fills"]) for row in figures["content"]],
        title="Downloads and form fills by content",
    )
    return {"trend": line, "channels": channel_bars, "mqls": mql_bars, "content": content_bars}


class DashboardView(ReportView):
    title = "Dashboard"
    template_name = "reports/dashboard.html"
    uses_filters = False  # the dashboard is the overview; the funnel and channel reports filter

    def report(self, request, period, filters) -> dict:
        figures = dashboard_figures(request.user, period)
        tables = figures_tables(figures, period)
        return {
            "figures": figures,
            "cards": tile_cards(figures, period),
            "charts": figures_charts(figures),
            "tables": tables,
            "table_by_name": {table.name: table for table in tables},
        }
