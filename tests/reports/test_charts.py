"""reports.charts: the SVG parses, its geometry follows the numbers, hostile text stays text."""

import math
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from reports import charts
from reports.charts import Series, bar_chart, funnel_chart, line_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    """The <figure> as XML (our markup is well-formed XHTML-compatible SVG) and its <svg>."""
    figure = ET.fromstring(str(markup))
    assert figure.tag == "figure"
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    return figure, svg


def all_text(svg) -> list[str]:
    return ["".join(node.itertext()) for node in svg.iter(f"{SVG}text")]


def rects(svg, css_class):
    return [r for r in svg.iter(f"{SVG}rect") if css_class in r.get("class", "").split()]


def test_every_chart_is_an_accessible_image_with_its_title():
    for markup in (
        line_chart([Series("Now", [("1 Nov", 3), ("2 Nov", 5)])], title="New people"),
        bar_chart([("Social", 4)], title="New people"),
        funnel_chart([("New", 10), ("MQL", 4)], title="New people"),
        sparkline([1, 2, 3], title="New people"),
    ):
        figure, svg = parse(markup)
        assert svg.get("role") == "img"
        assert svg.get("aria-label").startswith("New people.")
        assert svg.find(f"{SVG}title").text == "New people"
        assert svg.find(f"{SVG}desc").text  # a summary of the numbers
        assert "style=" not in str(markup)  # the public site's CSP allows no inline style


def test_bar_lengths_are_proportional_to_the_values():
    _, svg = parse(bar_chart([("Social", 10), ("Email", 5), ("Direct", 0), ("Paid search", 2.5)], title="People"))
    widths = [float(r.get("width")) for r in rects(svg, "rp-bar")]
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert widths[2] == 0
    assert widths[3] == pytest.approx(widths[0] / 4)
    starts = {float(r.get("x")) for r in rects(svg, "rp-bar")}
    assert len(starts) == 1  # every bar starts at the zero line
    assert ["Social", "Email", "Direct", "Paid search"] == all_text(svg)[0::2]
    assert all_text(svg)[1::2] == ["10", "5", "0", "2.5"]


def test_negative_bars_go_left_of_the_zero_line():
    _, svg = parse(bar_chart([("Up", 30), ("Down", -10)], title="Change", value_kind="money"))
    up, down = rects(svg, "rp-bar")
    zero = float(up.get("x"))
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(zero)
    assert float(up.get("width")) == pytest.approx(3 * float(down.get("width")))


def test_a_line_chart_puts_both_periods_on_the_same_x_positions_and_dashes_the_previous_one():
    current = Series("This period", [("1 Nov", 0), ("2 Nov", 10), ("3 Nov", 5)])
    previous = Series("Before", [("1 Oct", 10), ("2 Oct", 0), ("3 Oct", 5)], dashed=True)
    _, svg = parse(line_chart([current, previous], title="Trend"))
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 2 and lines[1].get("stroke-dasharray") and not lines[0].get("stroke-dasharray")
    now = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    before = [tuple(map(float, p.split(","))) for p in lines[1].get("points").split()]
    assert [x for x, _ in now] == [x for x, _ in before]
    # Higher values sit higher (smaller y), equal values at the same height, 0 on the axis.
    assert now[1][1] < now[2][1] < now[0][1]
    assert now[1][1] == before[0][1] and now[0][1] == before[1][1]
    axis = next(line for line in svg.iter(f"{SVG}line") if line.get("class") == "rp-axis")
    assert float(axis.get("y1")) == pytest.approx(now[0][1])
    assert "1 Nov" in all_text(svg) and "3 Nov" in all_text(svg)  # x labels from the solid series


def test_a_line_chart_of_one_point_draws_a_dot_and_no_line():
    _, svg = parse(line_chart([Series("Now", [("1 Nov", 7)])], title="One day"))
    assert not list(svg.iter(f"{SVG}polyline"))
    assert len(list(svg.iter(f"{SVG}circle"))) == 1


@pytest.mark.parametrize(
    "markup",
    [
        line_chart([], title="Nothing"),
        line_chart([Series("Empty", [])], title="Nothing"),
        bar_chart([], title="Nothing"),
        funnel_chart([], title="Nothing"),
    ],
)
def test_no_data_says_so(markup):
    _, svg = parse(markup)
    assert all_text(svg) == ["No data for this period"]


def test_flat_zero_and_huge_and_broken_values_still_draw_finite_coordinates():
    for values in ([0, 0, 0], [5, 5], [1e300, -1e300, 3], [float("nan"), float("inf"), None, Decimal("2.5")]):
        for markup in (
            line_chart([Series("x", [(str(i), v) for i, v in enumerate(values)])], title="t"),
            bar_chart([(str(i), v) for i, v in enumerate(values)], title="t"),
            funnel_chart([(str(i), v) for i, v in enumerate(values)], title="t"),
            sparkline(values, title="t"),
        ):
            _, svg = parse(markup)
            for node in svg.iter():
                for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height"):
                    if node.get(name) is not None:
                        assert math.isfinite(float(node.get(name))), (values, node.tag, name)
                if node.get("points"):
                    for pair in node.get("points").split():
                        assert all(math.isfinite(float(n)) for n in pair.split(","))


def test_hostile_labels_stay_text_and_long_ones_are_cut():
    hostile = '<script>alert("x")</script>&amp;'
    long = "A" * 10_000
    for markup in (
        line_chart([Series(hostile, [(hostile, 1), (long, 2)])], title=hostile + long),
        bar_chart([(hostile, 1), (long, 2)], title=long),
        funnel_chart([(hostile, 2), (long, 1)], title=hostile),
        sparkline([1, 2], title=hostile),
    ):
        assert "<script>" not in str(markup)
        _, svg = parse(markup)  # still well-formed
        texts = all_text(svg) + [svg.find(f"{SVG}title").text]
        assert any("<script>" in text for text in texts) or "<script>" in svg.get("aria-label")
        assert all(len(text) <= 120 for text in texts)
        assert len(str(markup)) < 20_000
    _, svg = parse(bar_chart([(long, 2)], title="t"))
    assert all_text(svg)[0].endswith("…")


def test_the_funnel_narrows_with_the_numbers_and_writes_each_step_rate():
    _, svg = parse(funnel_chart([("New people", 200), ("MQL", 50), ("SQL", 0), ("Customer", 2)], title="Funnel"))
    steps = rects(svg, "rp-step")
    widths = [float(r.get("width")) for r in steps]
    assert widths[1] == pytest.approx(widths[0] / 4) and widths[2] == 0 and widths[3] == pytest.approx(widths[0] / 100)
    centres = {round(float(r.get("x")) + float(r.get("width")) / 2, 2) for r in steps}
    assert len(centres) == 1  # centred
    texts = all_text(svg)
    assert "↓ 25.0% of New people" in texts
    assert "↓ 0.0% of MQL" in texts
    assert "↓ – of SQL" in texts  # no rate after a step of nobody
    assert charts.step_rates([("a", 10), ("b", 15)]) == [None, 1.5]  # a period funnel may widen


def test_a_sparkline_spans_its_own_range_and_marks_the_last_value():
    _, svg = parse(sparkline([2, 4, 3], title="Trend"))
    points = [tuple(map(float, p.split(","))) for p in next(svg.iter(f"{SVG}polyline")).get("points").split()]
    height = float(svg.get("height"))
    assert min(y for _, y in points) == pytest.approx(3) and max(y for _, y in points) == pytest.approx(height - 3)
    dot = next(svg.iter(f"{SVG}circle"))
    assert (float(dot.get("cx")), float(dot.get("cy"))) == pytest.approx(points[-1])
    _, flat = parse(sparkline([4, 4, 4], title="Flat"))
    assert {p.split(",")[1] for p in next(flat.iter(f"{SVG}polyline")).get("points").split()} == {"16"}
    _, empty = parse(sparkline([], title="Empty"))
    assert empty.find(f"{SVG}desc").text == "No data."


def test_value_kinds_format_like_the_tables_and_an_unknown_kind_is_refused():
    assert charts.format_value(0.256, "rate") == "25.6%"
    assert charts.format_value(Decimal("12345.6"), "money") == "12,346"
    assert charts.format_value(3.25, "days") == "3.2 d"
    assert charts.short_value(1_250_000) == "1.25M"
    with pytest.raises(ValueError, match="value_kind"):
        line_chart([Series("x", [("a", 1)])], title="t", value_kind="percent")


def test_big_charts_come_with_a_narrow_drawing_for_phones_hidden_without_css():
    bars = [("Organic search from the long tail", 40), ("Email", 10)]
    figure = ET.fromstring(str(bar_chart(bars, title="People")))
    wide, narrow = figure.findall(f"{SVG}svg")
    assert "rp-wide" in wide.get("class") and wide.get("display") is None
    assert "rp-narrow" in narrow.get("class") and narrow.get("display") == "none"
    assert float(narrow.get("width")) < float(wide.get("width"))
    for svg in (wide, narrow):  # both proportional, the narrow one with shorter labels
        a, b = (float(r.get("width")) for r in rects(svg, "rp-bar"))
        assert b == pytest.approx(a / 4)
    assert all_text(narrow)[0] == "Organic search …" and all_text(wide)[0] == "Organic search from the l…"
    for markup in (line_chart([Series("x", [("a", 1), ("b", 2)])], title="t"), funnel_chart([("a", 1)], title="t")):
        assert [svg.get("display") for svg in ET.fromstring(str(markup)).findall(f"{SVG}svg")] == [None, "none"]


def test_a_legend_too_long_for_the_narrow_drawing_wraps_onto_more_rows():
    series = [Series(f"Campaign number {n}", [("a", n), ("b", n + 1)]) for n in range(6)]
    _, narrow = ET.fromstring(str(line_chart(series, title="t"))).findall(f"{SVG}svg")
    width = float(narrow.get("width"))
    legend = [line for line in narrow.iter(f"{SVG}line") if "rp-stroke" in line.get("class", "")]
    assert len({line.get("y1") for line in legend}) > 1
    assert all(float(line.get("x2")) <= width for line in legend)
    plot_top = min(float(p.split(",")[1]) for line in narrow.iter(f"{SVG}polyline") for p in line.get("points").split())
    assert plot_top > max(float(line.get("y1")) for line in legend)  # the lines start below the legend
