"""A campaign's audience sources as conditions on leads.Person, each an uncorrelated `id IN (...)`, so
the whole audience (union of the includes minus union of the excludes) is one SQL query.

What each kind means:
- segment: the known people the segment's rules match now (personalization.rule_queries, as the segment
  editor counts them; it never matches test data). An inactive segment matches nobody, as on the site.
- saved_filter: the rows of the saved filter's list (people; leads: their people; companies: their
  people) chosen by sales.selectors.list_queryset with the saved query string, exactly as the list shows
  them, *as the campaign's creator sees the list*: their scope (all / team / own) and "owner=me" meaning
  them. A marketer cannot reach people through a filter that they could not see on the list; with no
  creator (a deleted user) it is evaluated as the filter's owner sees it.
- tag: the people with the tag.
- event_registered: the event's registrations that are not cancelled or rejected (pending, registered,
  waitlisted, attended, no-show), as people: by the registration's lead, else by the email key.
- event_attended: those checked in at the door (or marked attended).
- whitepaper: the whitepaper's lead list (sales.lead_lists): people with a lead whose origin is that page,
  flagged leads left out as the lead list leaves them out. Test data and competitors stay in and are
  counted as left out, so the marketer sees them.
"""

from __future__ import annotations

from django.db.models import Q

from campaigns.models import AudienceSource

Kind = AudienceSource.Kind
NOBODY = Q(pk__in=[])

# The field that names each kind's target (the error names it when it is missing).
TARGET_FIELD = {
    Kind.SEGMENT: "segment",
    Kind.SAVED_FILTER: "saved_filter",
    Kind.TAG: "tag",
    Kind.EVENT_REGISTERED: "event",
    Kind.EVENT_ATTENDED: "event",
    Kind.WHITEPAPER: "whitepaper",
}


class AudienceError(ValueError):
    """A source that cannot be turned into people: names the field (and the source's place)."""

    def __init__(self, field: str, message: str, *, number: int | None = None):
        self.field = field
        self.number = number
        where = f"audience {number}, " if number else ""
        super().__init__(f"{where}{field}: {message}")


def source_q(source: AudienceSource, *, creator=None, notes: list | None = None) -> Q:
    """The people of one source, as a condition on leads.Person."""
    kind = source.kind
    if kind not in TARGET_FIELD:
        raise AudienceError("kind", f"unknown kind {str(kind)[:40]!r}")
    field = TARGET_FIELD[kind]
    if not getattr(source, f"{field}_id"):
        raise AudienceError(field, f"choose the {field.replace('_', ' ')} for “{Kind(kind).label}”")
    if kind == Kind.SEGMENT:
        return _segment_q(source.segment_id, notes)
    if kind == Kind.SAVED_FILTER:
        return _saved_filter_q(source.saved_filter_id, creator)
    if kind == Kind.TAG:
        from leads.models import PersonTag

        return Q(pk__in=PersonTag.objects.filter(tag_id=source.tag_id).values("person_id"))
    if kind in (Kind.EVENT_REGISTERED, Kind.EVENT_ATTENDED):
        return _event_q(source.event_id, attended=kind == Kind.EVENT_ATTENDED)
    return _whitepaper_q(source.whitepaper_id)


def _segment_q(segment_id: int, notes) -> Q:
    from personalization.models import Segment
    from personalization.rule_queries import people_matching

    segment = Segment.objects.filter(pk=segment_id).prefetch_related("rules").first()
    if segment is None:
        raise AudienceError("segment", "that segment no longer exists")
    if not segment.is_active:
        if notes is not None:
            notes.append(f"The segment “{segment.name}” is inactive: it matches nobody.")
        return NOBODY
    try:
        parsed = [rule.parsed() for rule in segment.rules.all()]
    except Exception as error:  # a rule saved before its fact changed meaning: say so, never a 500
        raise AudienceError("segment", f"“{segment.name}” has a rule that can't be read ({error})") from error
    return Q(pk__in=people_matching(parsed, segment.match).order_by().values("pk"))


def _saved_filter_q(saved_filter_id: int, creator) -> Q:
    from leads.models import Person
    from sales.models import SavedFilter
    from sales.selectors import list_queryset

    saved = SavedFilter.objects.select_related("owner").filter(pk=saved_filter_id).first()
    if saved is None:
        raise AudienceError("saved_filter", "that saved filter no longer exists")
    user = creator if creator is not None else saved.owner
    rows = list_queryset(saved.list_name, user=user, params=saved.query).order_by()
    if saved.list_name == "people":
        return Q(pk__in=rows.values("pk"))
    if saved.list_name == "leads":
        return Q(pk__in=rows.filter(person__isnull=False).values("person_id"))
    return Q(pk__in=Person.objects.filter(company__in=rows.values("pk")).values("pk"))


def _event_q(event_id: int, *, attended: bool) -> Q:
    from events.models import Registration

    Status = Registration.Status
    registrations = Registration.objects.filter(event_id=event_id)
    if attended:
        registrations = registrations.filter(Q(checked_in_at__isnull=False) | Q(status=Status.ATTENDED))
    else:
        registrations = registrations.exclude(status__in=[Status.CANCELLED, Status.REJECTED])
    # A registration's lead names its person; the email key finds those whose lead is gone.
    by_lead = registrations.filter(lead__person__isnull=False).values("lead__person_id")
    return Q(pk__in=by_lead) | Q(email_key__in=registrations.values("email_key"))


def _whitepaper_q(page_id: int) -> Q:
    from leads.models import Lead

    leads = Lead.objects.filter(origin_type=Lead.OriginType.CONTENT, origin_id=str(page_id), person__isnull=False)
    return Q(pk__in=leads.exclude(verdict=Lead.Verdict.FLAGGED).values("person_id"))


def audience_qs(sources, *, creator=None, notes: list | None = None) -> tuple[Q, Q | None]:
    """(who is in: the union of the includes, who is taken away: the union of the excludes or None).
    With no include, nobody is in. Raises AudienceError naming the field of a source that is incomplete."""
    include, exclude = NOBODY, None
    has_include = False
    for number, source in enumerate(sources, start=1):
        try:
            condition = source_q(source, creator=creator, notes=notes)
        except AudienceError as error:
            raise AudienceError(error.field, str(error).split(": ", 1)[-1], number=number) from error
        if source.exclude:
            exclude = condition if exclude is None else exclude | condition
        else:
            include = condition if not has_include else include | condition
            has_include = True
    return include, exclude
