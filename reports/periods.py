"""The period a report covers, the one before it (for comparison), and the buckets of its trend lines.

Read from the query string (`period=30d` or `from=2026-10-01&to=2026-12-31`), in the site's time zone:
a day is the marketer's day, not UTC's. Bad input raises ReportInputError naming the field; views answer
it with 400 and the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

MAX_DAYS = 3 * 366  # three years: enough for any comparison, small enough to answer quickly

PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This year",
    "12m": "Last 12 months",
    "custom": "Custom",
}


class ReportInputError(ValueError):
    """A report's query string is wrong: `field` names the parameter, `message` says what is expected."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.preset != "custom":
            return PRESETS[self.preset]
        return f"{self.start:%d %b %Y} - {self.end:%d %b %Y}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, "custom")

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at the site's midnights."""
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    @property
    def bucket(self) -> str:
        """How a trend line over this period is cut: day up to two months, week up to half a year, else month."""
        if self.days <= 62:
            return "day"
        if self.days <= 190:
            return "week"
        return "month"

    def buckets(self) -> list[date]:
        """The first day of each bucket, in order (the first is clipped to the period's start)."""
        starts, day = [], self.start
        while day <= self.end:
            starts.append(day)
            day = bucket_next(day, self.bucket)
        return starts

    def bucket_of(self, day: date) -> date:
        """The first day of the bucket `day` falls in (clipped to the period's start)."""
        if self.bucket == "day":
            first = day
        elif self.bucket == "week":
            first = day - timedelta(days=day.weekday())
        else:
            first = day.replace(day=1)
        return max(first, self.start)

    def query(self) -> dict[str, str]:
        """The query-string parameters that give this period back."""
        if self.preset != "custom":
            return {"period": self.preset}
        return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}


def bucket_next(day: date, bucket: str) -> date:
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day - timedelta(days=day.weekday()) + timedelta(days=7)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_period(preset: str, today: date) -> Period:
    if preset in ("7d", "30d", "90d"):
        return Period(today - timedelta(days=int(preset[:-1]) - 1), today, preset)
    if preset == "this_quarter":
        return Period(_quarter_start(today), today, preset)
    if preset == "last_quarter":
        end = _quarter_start(today) - timedelta(days=1)
        return Period(_quarter_start(end), end, preset)
    if preset == "this_year":
        return Period(date(today.year, 1, 1), today, preset)
    if preset == "12m":
        return Period(today - timedelta(days=364), today, preset)
    raise ReportInputError("period", f"must be one of {', '.join(PRESETS)}")


def _date(params, field: str) -> date:
    value = (params.get(field) or "").strip()
    if not value:
        raise ReportInputError(field, "is required for a custom period (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value[:10]) if len(value) <= 10 else date.fromisoformat("x")
    except ValueError:
        raise ReportInputError(field, "must be a date, YYYY-MM-DD") from None


def period_from_request(params, *, default: str = "30d", today: date | None = None) -> Period:
    """The period a query string asks for; `from`/`to` alone mean a custom period."""
    today = today or timezone.localdate()
    preset = (params.get("period") or "").strip() or ("custom" if params.get("from") or params.get("to") else default)
    if preset != "custom":
        chosen = preset_period(preset, today)
        # The period form sends the preset and the dates together, and `shown` says which preset the page
        # was showing: a changed preset wins; dates changed under an unchanged preset are a custom period.
        shown = (params.get("shown") or "").strip()
        dates = ((params.get("from") or "").strip(), (params.get("to") or "").strip())
        if shown != preset or not all(dates) or dates == (chosen.start.isoformat(), chosen.end.isoformat()):
            return chosen
    start, end = _date(params, "from"), _date(params, "to")
    if end < start:
        raise ReportInputError("to", "must be on or after `from`")
    if (end - start).days + 1 > MAX_DAYS:
        raise ReportInputError("to", f"a period is at most {MAX_DAYS} days")
    return Period(start, end, "custom")
