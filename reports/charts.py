"""Charts for the report screens: inline SVG written on the server.

Why not a chart library: the admin works offline and under a strict Content-Security-Policy, the
numbers already exist on the server, and an SVG string is testable without a browser (the tests
parse it and measure the bars). So no JavaScript, no CDN, nothing to keep up to date.

Every function is pure: data in, a <figure> out (a SafeString with every piece of text escaped).
Colours are CSS classes (reports/static/reports/reports.css maps them onto Wagtail's admin palette,
which follows dark mode) with a presentation attribute as fallback for where the CSS is absent
(an email, a saved page). No style="" attribute: the public site's CSP forbids them.

Each chart is a picture of numbers the page also shows in its Table (the accessible reading); the
SVG still carries role="img", an aria-label and a <title>/<desc>, so a screen reader hears what
the chart is about and where to find the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

VALUE_KINDS = ("count", "money", "rate", "share", "days")
LABEL_LIMIT = 60  # characters of a label or title kept; longer ones end with an ellipsis
WIDTH = 640  # viewBox width of the big charts; CSS scales them to their column

# Fallback colours (Wagtail 8's light palette) for the series classes rp-c0..rp-c5.
PALETTE = ("#007d7e", "#2e1f5e", "#1f7e9a", "#e9b04d", "#cd4444", "#1d7c38")
INK = "#333333"
MUTED = "#6f6f6f"
GRID = "#e0e0e0"


@dataclass
class Series:
    label: str
    points: list[tuple[str, float]] = field(default_factory=list)  # (x label, value), in x order
    dashed: bool = False  # e.g. the previous period, drawn behind the current one


# -- formatting ---------------------------------------------------------------------------------------


def cut(text, limit: int = LABEL_LIMIT) -> str:
    """The text as str, at most `limit` characters (the last one an ellipsis when cut)."""
    text = "" if text is None else str(text)
    text = " ".join(text.split())  # no newlines or runs of spaces inside an SVG <text>
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value) -> float:
    """A finite float: None, NaN and non-numbers count as 0, infinities as the largest float."""
    if isinstance(value, Decimal):
        value = float(value) if value.is_finite() else (0.0 if value.is_nan() else float(value))
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(value):
        return 0.0
    if math.isinf(value):
        return math.copysign(1e300, value)
    return value


def format_value(value: float, kind: str = "count") -> str:
    """How a number reads on a chart, the way reports.tables shows it in the table beside it."""
    value = number(value)
    if kind in ("rate", "share"):
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.1f} d"
    if abs(value) >= 1e15:
        return f"{value:.2e}"
    if kind == "count" and value != int(value):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def short_value(value: float, kind: str = "count") -> str:
    """An axis label: 1.2k, 3.4M (rates and days as in format_value)."""
    value = number(value)
    if kind in ("rate", "share", "days"):
        return format_value(value, kind)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            if abs(value) >= 1e15:
                return f"{value:.1e}"
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"


def _check_kind(kind: str) -> None:
    if kind not in VALUE_KINDS:
        raise ValueError(f"value_kind must be one of {', '.join(VALUE_KINDS)}, not {kind!r}")


def _f(value: float) -> str:
    """A coordinate, two decimals at most."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def nice_scale(low: float, high: float, ticks: int = 4) -> tuple[float, float, float]:
    """(bottom, top, step) of an axis that holds low..high with round steps, 0 included."""
    low, high = min(0.0, low), max(0.0, high)
    if high == low:
        high = low + 1.0
    raw = (high - low) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    bottom = math.floor(low / step) * step
    top = math.ceil(high / step) * step
    return bottom, top, step


# -- markup -------------------------------------------------------------------------------------------

# Each big chart is drawn twice: for a wide column and for a narrow one (a phone, half a desktop). SVG
# text scales with its drawing, so one drawing shrunk onto a phone has unreadable 6px labels; the CSS
# shows the drawing that fits the chart's own width (a container query), and without CSS only the wide
# one shows (the narrow one carries display="none").
NARROW = 360


@dataclass(frozen=True)
class Layout:
    width: int
    variant: str  # "wide" | "narrow" | "" (one drawing only)
    label_chars: int  # a bar or step label is cut to this many characters
    label_width: int  # the column of bar and step labels
    x_labels: int  # at most this many x labels on a line chart


WIDE_LAYOUT = Layout(WIDTH, "wide", 26, 180, 8)
NARROW_LAYOUT = Layout(NARROW, "narrow", 16, 124, 4)
# A trend line usually spans the page: drawn wider, so its text is not blown up on a desktop.
WIDE_LINE_LAYOUT = Layout(800, "wide", 26, 180, 10)


def _svg(title: str, summary: str, width: float, height: float, body: list[str], variant: str = "") -> str:
    hidden = ' display="none"' if variant == "narrow" else ""
    css = f"rp-svg rp-{variant}" if variant else "rp-svg"
    return (
        f'<svg class="{css}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}"'
        f' width="{_f(width)}" height="{_f(height)}" role="img" aria-label="{escape(title)}. {escape(summary)}"'
        f' font-family="system-ui, sans-serif" font-size="12"{hidden}>'
        f"<title>{escape(title)}</title><desc>{escape(summary)}</desc>{''.join(body)}</svg>"
    )


def _figure(kind: str, title: str, svgs: list[str], caption=True) -> SafeString:
    head = f'<figcaption class="rp-chart-title">{escape(title)}</figcaption>' if caption else ""
    return mark_safe(f'<figure class="rp-chart rp-chart-{kind}">{head}{"".join(svgs)}</figure>')


def _both(kind: str, title: str, summary: str, draw, wide: Layout = WIDE_LAYOUT) -> SafeString:
    """The figure with the wide and the narrow drawing of `draw(layout) -> (height, body)`."""
    title = cut(title, 120)
    svgs = []
    for layout in (wide, NARROW_LAYOUT):
        height, body = draw(layout)
        svgs.append(_svg(title, summary, layout.width, height, body, layout.variant))
    return _figure(kind, title, svgs)


def _text(x, y, text, *, anchor="start", cls="rp-ink", fill=INK, extra=""):
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" class="{cls}" fill="{fill}"{extra}>{escape(text)}</text>'
    )


def _empty(kind: str, title: str, width: float, height: float, caption=True):
    title = cut(title, 120)
    body = [_text(width / 2, height / 2, "No data for this period", anchor="middle", cls="rp-muted", fill=MUTED)]
    return _figure(kind, title, [_svg(title, "No data for this period.", width, height, body)], caption)


# -- line chart ---------------------------------------------------------------------------------------


def _label_positions(count: int, most: int = 8) -> list[int]:
    """Which x labels to write: about `most`, evenly spaced, always the first and the last (and none so
    close to the last that the two would overlap)."""
    if count <= most:
        return list(range(count))
    every = math.ceil(count / most)
    chosen = [i for i in range(0, count, every) if count - 1 - i >= every]
    return chosen + [count - 1]


def line_chart(series: list[Series], *, title: str, value_kind: str = "count", height: int = 220) -> SafeString:
    """Trend lines over shared x positions: point i of every series sits at the same x (the previous
    period's day 3 under the current period's day 3). X labels come from the longest solid series."""
    _check_kind(value_kind)
    series = [s for s in series if s.points]
    height = max(120, min(int(number(height)), 800))
    if not series:
        return _empty("line", title, WIDTH, height)
    summaries = []
    for s in series:
        total = sum(number(v) for _, v in s.points)
        summaries.append(
            f"{cut(s.label, 30)}: {len(s.points)} points, last {format_value(s.points[-1][1], value_kind)}, "
            f"total {format_value(total, value_kind)}"
        )
    summary = "; ".join(summaries) + ". The numbers are in the table with this chart."

    def draw(layout):
        return _line_body(series, value_kind, height, layout)

    return _both("line", title, summary, draw, WIDE_LINE_LAYOUT)


def _legend(series: list[Series], left: int, width: int) -> tuple[list[str], int]:
    """The legend across the top, wrapped onto more rows when the series don't fit: (markup, its height)."""
    body, x, y = [], left, 12
    for number_, s in enumerate(series):
        label = cut(s.label, 30)
        item = 24 + 7 * len(label) + 18
        if x > left and x + item > width:
            x, y = left, y + 16
        colour = PALETTE[number_ % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        body.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{y}" y2="{y}" class="rp-stroke rp-c{number_ % 6}"'
            f' stroke="{colour}" stroke-width="2"{dash}/>'
        )
        body.append(_text(x + 24, y + 4, label))
        x += item
    return body, y + 8


def _line_body(series: list[Series], value_kind: str, height: int, layout: Layout):
    width = layout.width
    count = max(len(s.points) for s in series)
    labelled = max(series, key=lambda s: (not s.dashed, len(s.points)))
    values = [number(v) for s in series for _, v in s.points]
    bottom, top, step = nice_scale(min(values), max(values))

    left, right, bottom_pad = (56 if layout.variant != "narrow" else 44), 12, 28
    body, legend_height = _legend(series, left, width - right)
    top_pad = legend_height + 12
    height = height + legend_height - 20  # extra legend rows make the chart taller, not the plot smaller
    plot_w, plot_h = width - left - right, height - top_pad - bottom_pad

    def x_of(index: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_of(value: float) -> float:
        return top_pad + plot_h * (top - number(value)) / (top - bottom)

    for number_ in range(round((top - bottom) / step) + 1):  # grid lines and y labels
        tick = bottom + number_ * step
        y = y_of(tick)
        cls = "rp-axis" if abs(tick) < step / 1e6 else "rp-grid"
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{_f(y)}" y2="{_f(y)}" class="{cls}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, short_value(tick, value_kind), anchor="end", cls="rp-muted", fill=MUTED))
    for index in _label_positions(len(labelled.points), layout.x_labels):
        anchor = "middle" if count == 1 or 0 < index < count - 1 else ("start" if index == 0 else "end")
        label = cut(labelled.points[index][0], 16)
        body.append(_text(x_of(index), height - 8, label, anchor=anchor, cls="rp-muted", fill=MUTED))
    for number_, s in enumerate(series):
        colour, cls = PALETTE[number_ % len(PALETTE)], f"rp-c{number_ % 6}"
        points = " ".join(f"{_f(x_of(i))},{_f(y_of(v))}" for i, (_, v) in enumerate(s.points))
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        if len(s.points) > 1:
            body.append(
                f'<polyline points="{points}" fill="none" class="rp-stroke {cls}" stroke="{colour}"'
                f' stroke-width="2" stroke-linejoin="round"{dash}/>'
            )
        if len(s.points) <= 62:  # a dot per point, with its value as a tooltip
            for i, (label, v) in enumerate(s.points):
                tip = f"{cut(s.label, 30)}, {cut(label, 30)}: {format_value(v, value_kind)}"
                body.append(
                    f'<circle cx="{_f(x_of(i))}" cy="{_f(y_of(v))}" r="{3 if not s.dashed else 2}"'
                    f' class="rp-fill {cls}" fill="{colour}"><title>{escape(tip)}</title></circle>'
                )
    return height, body


# -- horizontal bars ----------------------------------------------------------------------------------


def bar_chart(bars: list[tuple[str, float]], *, title: str, value_kind: str = "count") -> SafeString:
    """One horizontal bar per row, lengths proportional to the values (negative ones go left of a
    zero line). The value is written after each bar."""
    _check_kind(value_kind)
    bars = [(label, number(value)) for label, value in bars]
    if not bars:
        return _empty("bar", title, WIDTH, 60)
    summary = "; ".join(f"{cut(label, 40)}: {format_value(value, value_kind)}" for label, value in bars[:12])
    if len(bars) > 12:
        summary += f"; and {len(bars) - 12} more in the table"
    return _both("bar", title, summary + ".", lambda layout: _bar_body(bars, value_kind, layout))


def _bar_body(bars, value_kind: str, layout: Layout):
    row, top_pad = 26, 8
    height = top_pad * 2 + row * len(bars)
    label_w, value_w, right = layout.label_width, (70 if layout.variant != "narrow" else 56), 8
    plot_w = layout.width - label_w - value_w - right
    low, high = min(0.0, *(v for _, v in bars)), max(0.0, *(v for _, v in bars))
    span = (high - low) or 1.0
    zero = label_w + plot_w * (0 - low) / span

    body = []
    for index, (full_label, value) in enumerate(bars):
        label = cut(full_label, layout.label_chars)
        y = top_pad + index * row
        length = plot_w * abs(value) / span
        x = zero if value >= 0 else zero - length
        body.append(_text(label_w - 8, y + row / 2 + 4, label, anchor="end"))
        tip = f"{cut(full_label, LABEL_LIMIT)}: {format_value(value, value_kind)}"
        body.append(
            f'<rect x="{_f(x)}" y="{_f(y + 4)}" width="{_f(length)}" height="{row - 8}" rx="2"'
            f' class="rp-fill rp-c0 rp-bar" fill="{PALETTE[0]}" data-value="{value!r}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        value_x = (x + length + 6) if value >= 0 else (zero + 6)
        body.append(_text(value_x, y + row / 2 + 4, format_value(value, value_kind), cls="rp-muted", fill=MUTED))
    if low < 0:
        body.append(
            f'<line x1="{_f(zero)}" x2="{_f(zero)}" y1="{top_pad}" y2="{height - top_pad}"'
            f' class="rp-axis" stroke="{MUTED}"/>'
        )
    return height, body


# -- funnel -------------------------------------------------------------------------------------------


def step_rates(steps: list[tuple[str, float]]) -> list[float | None]:
    """Each step's value over the step before (None for the first step and after a zero)."""
    rates: list[float | None] = [None]
    for (_, before), (_, value) in zip(steps, steps[1:], strict=False):
        rates.append(number(value) / number(before) if number(before) > 0 else None)
    return rates


def funnel_chart(steps: list[tuple[str, float]], *, title: str) -> SafeString:
    """Stages as centred bars narrowing down, widths proportional to the widest step, with the rate
    from each step to the next written between them. A period funnel can widen (more moves into SQL
    than into MQL this month): widths follow the numbers, and rates above 100% are shown as they are."""
    steps = [(label, max(0.0, number(value))) for label, value in steps]
    if not steps:
        return _empty("funnel", title, WIDTH, 60)
    rates = step_rates(steps)
    summary = "; ".join(
        f"{cut(label, 40)}: {format_value(value)}"
        + ("" if rate is None else f" ({rate * 100:.1f}% of the step before)")
        for (label, value), rate in zip(steps, rates, strict=True)
    )
    return _both("funnel", title, summary + ".", lambda layout: _funnel_body(steps, rates, layout))


def _funnel_body(steps, rates, layout: Layout):
    bar_h, gap, top_pad = 30, 22, 8
    height = top_pad * 2 + len(steps) * bar_h + (len(steps) - 1) * gap
    label_w, right = layout.label_width, 8  # each step's number goes under its label
    plot_w = layout.width - label_w - right
    centre = label_w + plot_w / 2
    widest = max(v for _, v in steps) or 1.0
    labels = [cut(label, layout.label_chars) for label, _ in steps]

    body = []
    for index, ((_, value), rate) in enumerate(zip(steps, rates, strict=True)):
        y = top_pad + index * (bar_h + gap)
        width = max(plot_w * value / widest, 0.0)
        if index:
            said = "–" if rate is None else f"{rate * 100:.1f}%"
            before = cut(labels[index - 1], 14 if layout.variant == "narrow" else 28)
            body.append(_text(centre, y - 7, f"↓ {said} of {before}", anchor="middle", cls="rp-muted", fill=MUTED))
        tip = f"{cut(steps[index][0], LABEL_LIMIT)}: {format_value(value)}"
        body.append(
            f'<rect x="{_f(centre - width / 2)}" y="{y}" width="{_f(width)}" height="{bar_h}" rx="2"'
            f' class="rp-fill rp-c{index % 6} rp-step" fill="{PALETTE[index % len(PALETTE)]}"'
            f' data-value="{value!r}"><title>{escape(tip)}</title></rect>'
        )
        body.append(_text(label_w - 8, y + bar_h / 2 + 4, labels[index], anchor="end"))
        body.append(
            _text(label_w - 8, y + bar_h / 2 + 17, format_value(value), anchor="end", cls="rp-muted", fill=MUTED)
        )
    return height, body


# -- sparkline ----------------------------------------------------------------------------------------


def sparkline(values: list[float], *, title: str) -> SafeString:
    """A small trend line for a dashboard tile: no axes, the last value marked. Scaled between its own
    lowest and highest value (a flat series is a flat line in the middle)."""
    title = cut(title, 120)
    values = [number(v) for v in values]
    width, height, pad = 120, 32, 3
    if not values:
        body = [
            f'<line x1="{pad}" x2="{width - pad}" y1="{height / 2}" y2="{height / 2}" class="rp-grid"'
            f' stroke="{GRID}" stroke-dasharray="3 3"/>'
        ]
        return _figure("spark", title, [_svg(title, "No data.", width, height, body)], caption=False)
    low, high = min(values), max(values)

    def x_of(index):
        return width / 2 if len(values) == 1 else pad + (width - 2 * pad) * index / (len(values) - 1)

    def y_of(value):
        if high == low:
            return height / 2
        return pad + (height - 2 * pad) * (high - value) / (high - low)

    body = []
    if len(values) > 1:
        points = " ".join(f"{_f(x_of(i))},{_f(y_of(v))}" for i, v in enumerate(values))
        body.append(
            f'<polyline points="{points}" fill="none" class="rp-stroke rp-c0" stroke="{PALETTE[0]}"'
            f' stroke-width="1.5" stroke-linejoin="round"/>'
        )
    body.append(
        f'<circle cx="{_f(x_of(len(values) - 1))}" cy="{_f(y_of(values[-1]))}" r="2.5"'
        f' class="rp-fill rp-c0" fill="{PALETTE[0]}"/>'
    )
    summary = (
        f"{len(values)} points from {short_value(values[0])} to {short_value(values[-1])}, "
        f"lowest {short_value(low)}, highest {short_value(high)}."
    )
    return _figure("spark", title, [_svg(title, summary, width, height, body)], caption=False)
