"""The events report: per event starting in the period, how registration went, who came, who was new,
and the pipeline its attendees opened afterwards.

- Registrations: every registration row, whatever became of it (cancelled and rejected included); by
  status as it stands now: pending approval, registered (approved), waitlisted, rejected, cancelled,
  attended, no-show (an approved registrant not checked in when the event finished).
- Walk-ins: registered at the door (source "walk_in"); they count as attended, not in the rate.
- Attendance rate: pre-registered attendees over the registrations that held a seat (approved,
  attended, no-show), walk-ins left out of both.
- New people: people whose first capture ever was this event's registration (PersonJourney's first
  origin), i.e. the event brought them into the lead store.
- Pipeline influenced afterwards: deals of attendees (walk-ins included) opened at or after the event's
  start; open and won deals' amounts in the report currency (leads.Deal.amount_report), won alone too.

People-based: a rep sees the registrations of the people they own (reports.access); test and
competitor people are left out for everybody.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from events.models import Event, Registration
from leads.models import Deal

from . import access
from .periods import Period, ReportInputError

Status = Registration.Status
SEATED = (Status.APPROVED, Status.ATTENDED, Status.NO_SHOW)
MAX_EVENTS = 300


@dataclass
class EventRow:
    event_id: int
    title: str
    starts_at: object
    registrations: int = 0
    pending: int = 0
    approved: int = 0
    waitlisted: int = 0
    rejected: int = 0
    cancelled: int = 0
    attended: int = 0
    no_shows: int = 0
    walk_ins: int = 0
    new_people: int = 0
    deals: int = 0
    pipeline: Decimal = field(default_factory=Decimal)
    won: Decimal = field(default_factory=Decimal)
    _seated_pre_registered: int = 0
    _attended_pre_registered: int = 0

    @property
    def attendance_rate(self) -> float | None:
        if not self._seated_pre_registered:
            return None
        return self._attended_pre_registered / self._seated_pre_registered


def registrations_for(user):
    """The registrations `user` may count: their people's (by the lead's person), test people left out."""
    rows = Registration.objects.exclude(lead__person__journey__is_excluded=True)
    condition = access.person_scope_q(user, "lead__person__")
    return rows if condition is None else rows.filter(condition)


def events_in(period: Period):
    start, end = period.bounds()
    return Event.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(status=Event.Status.DRAFT)


def event_rows(period: Period, user) -> list[EventRow]:
    """The events starting in the period, soonest first."""
    events = list(events_in(period).order_by("starts_at", "pk")[:MAX_EVENTS])
    rows = {event.pk: EventRow(event.pk, event.title, event.starts_at) for event in events}
    if not rows:
        return []
    registrations = registrations_for(user).filter(event_id__in=rows)
    counts = registrations.values("event_id").annotate(
        registrations=Count("id"),
        pending=Count("id", filter=Q(status=Status.PENDING)),
        approved=Count("id", filter=Q(status=Status.APPROVED)),
        waitlisted=Count("id", filter=Q(status=Status.WAITLISTED)),
        rejected=Count("id", filter=Q(status=Status.REJECTED)),
        cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
        attended=Count("id", filter=Q(status=Status.ATTENDED)),
        no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
        walk_ins=Count("id", filter=Q(source=Registration.Source.WALK_IN)),
        seated_pre=Count("id", filter=Q(status__in=SEATED) & ~Q(source=Registration.Source.WALK_IN)),
        attended_pre=Count("id", filter=Q(status=Status.ATTENDED) & ~Q(source=Registration.Source.WALK_IN)),
    )
    for count in counts:
        row = rows[count["event_id"]]
        for name in ("registrations", "pending", "approved", "waitlisted", "rejected", "cancelled"):
            setattr(row, name, count[name])
        row.attended, row.no_shows, row.walk_ins = count["attended"], count["no_shows"], count["walk_ins"]
        row._seated_pre_registered, row._attended_pre_registered = count["seated_pre"], count["attended_pre"]
    new_people = (
        access.journeys_for(user)
        .filter(first_origin_type="event", first_origin_id__in=[str(pk) for pk in rows])
        .values("first_origin_id")
        .annotate(people=Count("person_id"))
    )
    for count in new_people:
        rows[int(count["first_origin_id"])].new_people = count["people"]
    _pipeline_after(rows, events, registrations, user)
    return list(rows.values())


def _pipeline_after(rows: dict[int, EventRow], events, registrations, user) -> None:
    """Deals of each event's attendees opened at or after its start (a deal counts once per event)."""
    attendees: dict[int, set[int]] = defaultdict(set)
    for event_id, person_id in (
        registrations.filter(status=Status.ATTENDED)
        .exclude(lead__person=None)
        .values_list("event_id", "lead__person_id")
    ):
        attendees[event_id].add(person_id)
    people = set().union(*attendees.values()) if attendees else set()
    if not people:
        return
    deals = Deal.objects.filter(person_id__in=people).exclude(status=Deal.Status.LOST)
    scope = access.person_scope_q(user, "person__")
    if scope is not None:
        deals = deals.filter(scope)
    by_person: dict[int, list] = defaultdict(list)
    for person_id, opened_at, status, amount in deals.values_list("person_id", "opened_at", "status", "amount_report"):
        by_person[person_id].append((opened_at, status, amount or Decimal(0)))
    for event in events:
        row = rows[event.pk]
        for person_id in attendees.get(event.pk, ()):
            for opened_at, status, amount in by_person.get(person_id, ()):
                if opened_at >= event.starts_at:
                    row.deals += 1
                    row.pipeline += amount
                    if status == Deal.Status.WON:
                        row.won += amount


def event_for_report(raw, period: Period) -> Event | None:
    """The event named by `?event=` (one of the period's), None when not given; else ReportInputError."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise ReportInputError("event", "must be an event id")
    event = events_in(period).filter(pk=int(raw)).first()
    if event is None:
        raise ReportInputError("event", "is not an event starting in this period")
    return event


def registration_window(event: Event, user) -> Period:
    """From the first registration (or the event's creation) to the event's start, or today if sooner."""
    first = (
        registrations_for(user)
        .filter(event=event)
        .order_by("registered_at")
        .values_list("registered_at", flat=True)
        .first()
        or event.created_at
    )
    zone = timezone.get_current_timezone()
    start = timezone.localtime(min(first, event.starts_at), zone).date()
    end = min(timezone.localtime(event.starts_at, zone).date(), timezone.localdate())
    end = max(end, start)
    if (end - start).days > 366:  # a registration opened years ahead: its last year is the story
        start = end - timedelta(days=366)
    return Period(start, end)


def registrations_over_time(event: Event, user) -> tuple[Period, list[dict]]:
    """Per bucket of the registration window: registrations made in it and the running total."""
    window = registration_window(event, user)
    start, end = window.bounds()
    per_day = (
        registrations_for(user)
        .filter(event=event, registered_at__gte=start, registered_at__lt=end)
        .annotate(day=TruncDate("registered_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("id"))
    )
    per_bucket: dict = defaultdict(int)
    for row in per_day:
        per_bucket[window.bucket_of(row["day"])] += row["count"]
    before = registrations_for(user).filter(event=event, registered_at__lt=start).count()
    total, rows = before, []
    for bucket in window.buckets():
        total += per_bucket.get(bucket, 0)
        rows.append({"bucket": bucket.isoformat(), "registrations": per_bucket.get(bucket, 0), "total": total})
    return window, rows
