"""The events report (Reports → Events): per event starting in the period, registrations by status,
attendance, walk-ins, new people and the pipeline its attendees opened afterwards; `?event=<id>` adds that
event's registrations over time."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from . import charts
from .events_report import event_for_report, event_rows, registrations_over_time
from .tables import Column, Table
from .views_base import ReportView


def short_date(iso: str) -> str:
    """A bucket's first day as a chart's x label: "26 Nov" (the table keeps the full date)."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%b}"


class EventsReportView(ReportView):
    title = "Events"
    template_name = "reports/events.html"
    uses_filters = False  # per event: the people filters would change what "registrations" means

    def report(self, request, period, filters) -> dict:
        user = request.user
        chosen = event_for_report(request.GET.get("event"), period)
        rows = event_rows(period, user)
        table = Table(
            "events",
            "Events starting in the period",
            [
                Column("title", "Event"),
                Column("starts", "Starts"),
                Column("registrations", "Registrations", "count"),
                Column("pending", "Awaiting approval", "count"),
                Column("approved", "Registered", "count"),
                Column("waitlisted", "Waitlisted", "count"),
                Column("rejected", "Rejected", "count"),
                Column("cancelled", "Cancelled", "count"),
                Column("attended", "Attended", "count"),
                Column("no_shows", "No-shows", "count"),
                Column("walk_ins", "Walk-ins", "count"),
                Column("attendance_rate", "Attendance rate", "rate"),
                Column("new_people", "New people", "count"),
                Column("deals", "Deals after", "count"),
                Column("pipeline", "Pipeline after", "money"),
                Column("won", "Won after", "money"),
            ],
            note=(
                "Statuses as they stand now. Attendance rate: pre-registered attendees over registrations that "
                "held a seat (walk-ins left out of both). New people: their first capture was this event. "
                "Pipeline after: open and won deals of attendees opened at or after the event's start."
            ),
        )
        base = {**period.query()}
        for index, row in enumerate(rows):
            table.rows.append(
                {
                    "title": row.title,
                    "starts": f"{timezone.localtime(row.starts_at):%Y-%m-%d %H:%M}",  # the site's time
                    "registrations": row.registrations,
                    "pending": row.pending,
                    "approved": row.approved,
                    "waitlisted": row.waitlisted,
                    "rejected": row.rejected,
                    "cancelled": row.cancelled,
                    "attended": row.attended,
                    "no_shows": row.no_shows,
                    "walk_ins": row.walk_ins,
                    "attendance_rate": row.attendance_rate,
                    "new_people": row.new_people,
                    "deals": row.deals,
                    "pipeline": row.pipeline,
                    "won": row.won,
                }
            )
            # Each event's name opens its registrations over time; its new people open the people list
            # of those whose first capture was this event (the journey filter counts the same people).
            table.links[(index, "title")] = "?" + urlencode({**base, "event": row.event_id})
            if row.new_people:
                query = urlencode({"j_form": f"event:{row.event_id}"})
                table.links[(index, "new_people")] = f"{reverse('leads_person:index')}?{query}"
        context = {
            "charts": [
                charts.bar_chart([(row.title, row.registrations) for row in rows[:15]], title="Registrations per event")
            ],
            "tables": [table],
            "chosen": chosen,
        }
        if chosen is not None:
            window, buckets = registrations_over_time(chosen, user)
            over_time = Table(
                "registrations",
                f"Registrations over time: {chosen.title}",
                [
                    Column("bucket", f"{window.bucket.capitalize()} from"),
                    Column("registrations", "Registrations", "count"),
                    Column("total", "Running total", "count"),
                ],
                rows=buckets,
                note="Registrations made in each period, whatever became of them; the running total counts them all.",
            )
            context["tables"].insert(0, over_time)
            # Its CSV link keeps the event (the page's own `query` holds the period alone).
            context["event_query"] = {**base, "event": chosen.pk}
            context["charts"].insert(
                0,
                charts.line_chart(
                    [
                        charts.Series("Running total", [(short_date(row["bucket"]), row["total"]) for row in buckets]),
                        charts.Series("New", [(short_date(row["bucket"]), row["registrations"]) for row in buckets]),
                    ],
                    title=f"Registrations over time: {chosen.title}",
                ),
            )
        return context
