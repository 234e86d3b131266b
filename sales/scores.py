"""How scores read: whole points on every screen and in every file (fit, interest, score, totals).

The lead store keeps interest with its decimals (points fade with age), and sorting and filtering use
the stored value; only what people read is rounded, half away from zero as Django's `floatformat`
does (12.5 -> 13, -2.5 -> -3), so a list, a person's page and an export never disagree by a point.
Templates use the `points` filter (sales_tags), Python `whole_points`.
"""


def whole_points(value) -> int | None:
    """12.345 -> 12, 12.5 -> 13, -2.5 -> -3; None stays None. Fast: it runs per row of an export."""
    if value is None:
        return None
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)
