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
end a visit (no later view of the same visit within the gap), each end carrying its visit's first view
time; a second query loads the pages of the visits shown. So a visit is never cut across two pages,
something done during a visit (the form filled in on its third page) shows just below it, and a page
costs two queries whatever the length of the history. A visit still going on shows its pages so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from leads.models import Interaction

PAGE_VIEW = Interaction.Type.PAGE_VIEW
PAGES_LISTED = 50  # a visit's pages listed under it; more are counted, not listed
VIEW_FIELDS = ("pk", "occurred_at", "person_id", "visitor_id", "object_id", "object_label", "properties")


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


def _within_gap_before():
    """An earlier view of the same visit: before the row, at most the gap before it."""
    return _same_browser_and_number().filter(
        Q(occurred_at__lt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), pk__lt=OuterRef("pk")),
        occurred_at__lte=OuterRef("occurred_at"),
        occurred_at__gte=ExpressionWrapper(OuterRef("occurred_at") - visit_gap(), output_field=DateTimeField()),
    )


def timeline_rows(interactions: QuerySet) -> QuerySet:
    """What the timeline pages over: the interactions that are not page views, and the page view that
    ends each visit, annotated with `visit_started_at` (its visit's first view). Order and slice it
    by (occurred_at, pk) as before: the database stops reading once it has the page."""
    first_view = (
        _same_browser_and_number()
        .filter(
            Q(occurred_at__lt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), pk__lte=OuterRef("pk")),
            occurred_at__lte=OuterRef("occurred_at"),
        )
        .filter(~Exists(_within_gap_before()))
        # By time alone, as the (visitor_id, occurred_at) index reads it, so the scan stops at the first
        # start it meets. Unambiguous: of two views at the same instant only the older id can start a visit.
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        interactions.annotate(visit_no=visit_number())
        .filter(~Q(type=PAGE_VIEW) | Q(~Exists(_within_gap_after())))
        .annotate(visit_started_at=Case(When(type=PAGE_VIEW, then=Subquery(first_view)), output_field=DateTimeField()))
    )


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
    """One visit on the timeline. `interaction` is its last page view (its place in the timeline)."""

    interaction: Interaction
    views: list  # oldest first
    icon: str = "view"
    label: str = "Visited"
    is_visit: bool = True

    @property
    def type(self) -> str:
        return PAGE_VIEW

    @property
    def started_at(self) -> datetime:
        return self.views[0].occurred_at

    @property
    def ended_at(self) -> datetime:
        return self.views[-1].occurred_at

    occurred_at = started_at  # when the visit was: its first page

    @property
    def entry_page(self) -> VisitPage:
        return VisitPage(self.views[0])

    @property
    def object_label(self) -> str:
        return self.entry_page.title

    @property
    def source(self) -> str:
        return visit_source(self.views[0])

    @property
    def page_count(self) -> int:
        return len(self.views)

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def duration(self) -> str:
        return duration_text(self.duration_seconds)

    @property
    def pages(self) -> list[VisitPage]:
        return [VisitPage(view) for view in self.views[:PAGES_LISTED]]

    @property
    def pages_not_listed(self) -> int:
        return max(0, len(self.views) - PAGES_LISTED)


def visits_load(ends: list[Interaction]) -> dict[int, Visit]:
    """The visits that end with these page views (rows of `timeline_rows`), by their end's id: one
    query, bounded to the time the visits span."""
    if not ends:
        return {}
    started = {end.pk: end.visit_started_at or end.occurred_at for end in ends}
    condition = Q()
    for end in ends:
        condition |= Q(
            visitor_id=end.visitor_id,
            visit_no=end.visit_no,
            occurred_at__gte=started[end.pk],
            occurred_at__lte=end.occurred_at,
        )
    views = (
        Interaction.objects.filter(
            person_id=ends[0].person_id,
            type=PAGE_VIEW,
            occurred_at__gte=min(started.values()),
            occurred_at__lte=max(end.occurred_at for end in ends),
        )
        .annotate(visit_no=visit_number())
        .filter(condition)
        .only(*VIEW_FIELDS)
        .order_by("occurred_at", "pk")
    )
    by_group: dict[tuple, list[Interaction]] = {}
    for end in ends:
        by_group.setdefault((end.visitor_id, end.visit_no), []).append(end)
    pages: dict[int, list[Interaction]] = {end.pk: [] for end in ends}
    for view in views:
        for end in by_group.get((view.visitor_id, view.visit_no), ()):
            if started[end.pk] <= view.occurred_at <= end.occurred_at:
                pages[end.pk].append(view)
                break
    # The end itself always belongs to its visit (it is in the query's range; this guards a race with
    # a delete between the two queries).
    return {end.pk: Visit(end, pages[end.pk] or [end]) for end in ends}
