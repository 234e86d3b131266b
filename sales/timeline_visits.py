"""Page views on the person's timeline, grouped by visit: one entry per visit (entry page, source, pages
read, duration, when) instead of a row per page.

What a visit is. The page views one browser (visitor id) made in one sitting: the views with the same
visitor id and the same visit number (personalisation starts a new visit after
PERSONALIZATION_VISIT_GAP_MINUTES, 30, without a page view), none more than that gap after the one
before. Views without a visit number (the demo's seeded views, views recorded before visits were
numbered) are grouped by the gap alone; the gap also splits a number counted twice (a visitor whose
stored state was lost counts from 1 again). Two browsers of one person are never one visit.

Paging. The timeline pages over entries, and a visit is one entry, in the place of its last page view
(its end): the keyset query reads the interactions that are not page views and the page views that
end a visit (no later view of the same visit within the gap); two more queries load the visits shown
(which pages, then the listed ones in full; a few more only for a visit longer than LOOK_BACK). So a
visit is never cut across two pages, something done during a visit (the form filled in on its third
page) shows just below it, and a page costs three queries whatever the length of the history. A visit
still going on shows its pages so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from leads.models import Interaction

PAGE_VIEW = Interaction.Type.PAGE_VIEW
PAGES_LISTED = 50  # a visit's pages listed under it; more are counted, not listed
VIEW_FIELDS = ("pk", "occurred_at", "person_id", "visitor_id", "object_id", "object_label", "properties")
LOOK_BACK = timedelta(hours=6)  # how far before a page's oldest visit end its visits' pages are read first


def visit_gap() -> timedelta:
    """Personalisation's own definition of a visit's end, so both count the same visits."""
    return timedelta(minutes=settings.PERSONALIZATION_VISIT_GAP_MINUTES)


def visit_number():
    """A page view's visit number as text, '0' when it has none: comparable on PostgreSQL and SQLite
    alike (a JSON number and a missing key compare equal to their own kind only)."""
    return Coalesce(Cast(KeyTextTransform("visit", "properties"), CharField()), Value("0"))


def _same_browser_and_number():
    """Page views of the person, browser and visit number of the row OuterRef points at."""
    return (
        Interaction.objects.filter(person_id=OuterRef("person_id"), type=PAGE_VIEW, visitor_id=OuterRef("visitor_id"))
        .annotate(visit_no=visit_number())
        .filter(visit_no=OuterRef("visit_no"))
    )


def _within_gap_after():
    """A later view of the same visit: after the row (ties broken by id), at most the gap after it."""
    return _same_browser_and_number().filter(
        Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), pk__gt=OuterRef("pk")),
        occurred_at__gte=OuterRef("occurred_at"),  # the range alone, so an index can read it
        occurred_at__lte=ExpressionWrapper(OuterRef("occurred_at") + visit_gap(), output_field=DateTimeField()),
    )


def timeline_rows(interactions: QuerySet) -> QuerySet:
    """What the timeline pages over: the interactions that are not page views, and the page views that
    end a visit (no later view of the same visit within the gap). Order and slice it by (occurred_at,
    pk) as before: the database stops reading once it has the page, and each page view costs one
    probe of at most the gap's worth of that browser's views."""
    return interactions.annotate(visit_no=visit_number()).filter(~Q(type=PAGE_VIEW) | Q(~Exists(_within_gap_after())))


# --- A visit as the page shows it -------------------------------------------------------------


def _text(properties: dict, name: str) -> str:
    value = properties.get(name) if isinstance(properties, dict) else None
    return value.strip() if isinstance(value, str) else ""


def visit_source(first_view: Interaction) -> str:
    """Where the visit came from: its campaign (utm source / medium / campaign), else the referring
    site, else "direct"."""
    properties = first_view.properties
    campaign = [_text(properties, name) for name in ("utm_source", "utm_medium", "utm_campaign")]
    return " / ".join(part for part in campaign if part) or _text(properties, "referrer") or "direct"


def duration_text(seconds: float) -> str:
    """12 minutes, 1 hour 5 minutes; "under a minute" for one page or a quick glance."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return " ".join(parts)


@dataclass
class VisitPage:
    view: Interaction

    @property
    def occurred_at(self) -> datetime:
        return self.view.occurred_at

    @property
    def title(self) -> str:
        return self.view.object_label or _text(self.view.properties, "path") or self.view.object_id or "-"

    @property
    def path(self) -> str:
        return _text(self.view.properties, "path")


@dataclass
class Visit:
    """One visit on the timeline. `interaction` is its last page view (its place in the timeline);
    `listed` its first PAGES_LISTED views, oldest first, read in full (the rest are only counted)."""

    interaction: Interaction
    listed: list
    page_count: int
    started_at: datetime
    ended_at: datetime
    icon: str = "view"
    label: str = "Visited"
    is_visit: bool = True

    @property
    def type(self) -> str:
        return PAGE_VIEW

    @property
    def occurred_at(self) -> datetime:
        return self.started_at  # when the visit was: its first page

    @property
    def entry_page(self) -> VisitPage:
        return VisitPage(self.listed[0])

    @property
    def object_label(self) -> str:
        return self.entry_page.title

    @property
    def source(self) -> str:
        return visit_source(self.listed[0])

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def duration(self) -> str:
        return duration_text(self.duration_seconds)

    @property
    def pages(self) -> list[VisitPage]:
        return [VisitPage(view) for view in self.listed]

    @property
    def pages_not_listed(self) -> int:
        return max(0, self.page_count - len(self.listed))


def visits_load(ends: list[Interaction]) -> dict[int, Visit]:
    """The visits that end with these page views (rows of `timeline_rows`), by their end's id.

    Their browsers' page views are read (id and time only) in one query, from LOOK_BACK before the
    oldest end to the newest, and each visit is walked back from its end while its pages are no more
    than the gap apart. A visit still going on at the edge of what was read (longer than the
    look-back) is read further back, twice as far each time: one query for ordinary visits, a few for a
    visit of days. Then one query reads the pages listed in full. (Finding each visit's first page in
    SQL was tried: with one browser's views many, PostgreSQL planned it as a sort of all of them.)"""
    if not ends:
        return {}
    spans = _visit_spans(ends)
    listed_ids = {pk for span in spans.values() for pk, _ in span[:PAGES_LISTED]}
    listed = Interaction.objects.filter(pk__in=listed_ids).only(*VIEW_FIELDS).in_bulk() if listed_ids else {}
    visits = {}
    for end in ends:
        span = spans.get(end.pk) or [(end.pk, end.occurred_at)]  # the end alone: deleted meanwhile
        pages = [listed[pk] for pk, _ in span[:PAGES_LISTED] if pk in listed] or [end]
        visits[end.pk] = Visit(end, pages, len(span), span[0][1], span[-1][1])
    return visits


def _visit_spans(ends: list[Interaction]) -> dict[int, list[tuple]]:
    """Each end's visit as (id, time) of its pages, oldest first."""
    gap = visit_gap()
    read: dict[tuple, list[tuple]] = {}  # (visitor id, visit number) -> (id, time) of the views read, oldest first
    wanted = {(end.visitor_id, end.visit_no) for end in ends}
    upper, lower, reach = max(end.occurred_at for end in ends), min(end.occurred_at for end in ends), LOOK_BACK
    first_read, spans = True, {}
    while wanted:
        lower -= reach
        window = Q(occurred_at__gte=lower) & (Q(occurred_at__lte=upper) if first_read else Q(occurred_at__lt=upper))
        rows = (
            Interaction.objects.filter(window, person_id=ends[0].person_id, type=PAGE_VIEW)
            .filter(visitor_id__in={visitor_id for visitor_id, _ in wanted})
            # The time as text, read by datetime's own parser: Django's reading of a timestamp costs
            # tens of microseconds, which a visit of 10,000 pages would feel.
            .annotate(visit_no=visit_number(), at=Cast("occurred_at", CharField()))
            .order_by("occurred_at", "pk")
            .values_list("visitor_id", "visit_no", "pk", "at")
        )
        older: dict[tuple, list[tuple]] = {}
        for visitor_id, visit_no, pk, at in rows:
            if (visitor_id, visit_no) in wanted:
                older.setdefault((visitor_id, visit_no), []).append((pk, _moment(at)))
        for group, found in older.items():
            read[group] = found + read.get(group, [])
        spans, wanted = _walk_back(ends, read, gap, lower)
        upper, reach, first_read = lower, reach * 2, False
    return spans


def _moment(text: str) -> datetime:
    """PostgreSQL's text of a timestamp (with its offset) or SQLite's (UTC, without one)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _walk_back(ends, read, gap, lower) -> tuple[dict[int, list[tuple]], set]:
    """Each end's visit from the views read so far, and the groups whose visits may go on before `lower`
    (their oldest view read is within the gap of it)."""
    spans, unfinished = {}, set()
    for end in ends:
        group = read.get((end.visitor_id, end.visit_no), [])
        last = next((n for n in range(len(group) - 1, -1, -1) if group[n][0] == end.pk), None)
        if last is None:
            continue
        first = last
        while first > 0 and group[first][1] - group[first - 1][1] <= gap:
            first -= 1
        if first == 0 and group[0][1] - gap < lower:
            unfinished.add((end.visitor_id, end.visit_no))
        spans[end.pk] = group[first : last + 1]
    return spans, unfinished
