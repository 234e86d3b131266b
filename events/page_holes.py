"""An event's landing page from the output cache: what changes without the page changing.

The page (hero, facts, agenda, speakers, FAQ) is the same for everyone while the event's row is unchanged,
so it is kept in cms' output cache. Three things move on their own and are read live on every request, in
one query of the event's row:
- the registration state (open, closed by the clock or by the team, full, past): part of the cache key
  (`page_variant`), so the hero's button, the JSON-LD availability and the closed notice follow it the
  moment it changes;
- the seats left, which every registration changes: a hole (`seats_fill`), so a burst of registrations
  does not render the page again for each one;
- the registration panel, the visitor's own (the form with its tokens, "you're registered", the
  waitlist): a hole (`registration_fill`), as the gate form on a whitepaper (forms.services.journey).

Saving the event (its sessions and topics are saved with it) moves `updated_at`, which is in the key too;
a speaker's own edits start a new content epoch (cms.apps).

The events listing is kept per filter and page, keyed by one aggregate over the events (`listing_variant`).
"""

from __future__ import annotations

from django.db.models import Count, F, Max, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Event

REGISTRATION_TEMPLATE = "events/registration_hole.html"


def live_event(request, event_id: int) -> Event | None:
    """The event's row as it is now, read once per request (the key and the holes share it)."""
    seen = getattr(request, "sp_live_events", None)
    if seen is None:
        seen = request.sp_live_events = {}
    if event_id not in seen:
        seen[event_id] = Event.objects.filter(pk=event_id).first()
    return seen[event_id]


def page_variant(request, event_id: int) -> str | None:
    """The event's state the cached page shows, for the output cache key; None when the page is not for
    visitors now (no event, a draft: Wagtail answers 404)."""
    event = live_event(request, event_id)
    if event is None or event.status == Event.Status.DRAFT:
        return None
    return "|".join(
        (
            event.updated_at.isoformat(),
            event.current_status,
            event.registration_closed_reason(),
            "full" if event.seats_left == 0 else "",
        )
    )


def listing_variant(request, _=None) -> str:
    """What the events listing shows that changes without a page being published, for its output cache key:
    any event saved or deleted (its details, status, topics, city), any seat taken or freed (the cards'
    seats left), any event ended (it moves from upcoming to past). One aggregate over the events' rows."""
    now = timezone.now()
    row = Event.objects.aggregate(
        changed=Max("updated_at"),
        events=Count("pk"),
        ended=Count("pk", filter=Q(ends_at__lte=now)),
        seats=Sum("seats_taken"),
        # with the plain sum, a seat freed on one event and taken on another: seen all the same
        seats_where=Sum(F("seats_taken") * F("pk")),
    )
    return "|".join(str(row[name]) for name in ("changed", "events", "ended", "seats", "seats_where"))


def seats_fill(request, spec: dict):
    event = live_event(request, spec["event_id"])
    return (str(event.seats_left) if event is not None and event.seats_left is not None else ""), None


def registration_fill(request, spec: dict):
    """This visitor's registration panel (forms.services.journey's form panel with the event as its host).
    An anonymous visitor's is everyone's for the event's state, form revision and country: kept with
    marks for the tokens (journey.anonymous_panel); a known visitor's is rendered for them."""
    from forms.services.journey import (
        anonymous_panel,
        form_panel,
        marked_context,
        request_visitor,
        visitor_remember,
    )

    from .selectors import registration_form_for
    from .views import RegistrationHost

    event = live_event(request, spec["event_id"])
    if event is None:
        return "", None
    form_page = registration_form_for(event)  # a narrow query: the panel follows a newly published form
    if form_page is None:
        context = {"lead_form": None, "event": event, "registration_closed": event.registration_closed_reason()}
        return render_to_string(REGISTRATION_TEMPLATE, context, request=request), None
    visitor, new_cookie = request_visitor(request)

    def panel_of(who):
        panel, _ = form_panel(
            request,
            host_page=None,
            form_page=form_page,
            visitor=who,
            asset=spec["asset"],
            host=RegistrationHost(request, event),
            action=spec["action"],
        )
        return panel

    if visitor.person is None:
        parts = (
            "event",
            page_variant(request, event.pk),
            form_page.pk,
            form_page.live_revision_id,
            form_page.latest_revision_id,
            spec.get("version", ""),
            spec["action"],
        )
        html = anonymous_panel(
            request,
            visitor,
            form_page_id=form_page.pk,
            parts=parts,
            render=lambda marked: render_to_string(
                REGISTRATION_TEMPLATE, marked_context(panel_of(marked), event=event)
            ),
        )
    else:
        context = {"lead_form": panel_of(visitor), "event": event}
        html = render_to_string(REGISTRATION_TEMPLATE, context, request=request)

    def finish(response):
        visitor_remember(response, request, visitor, new_cookie)

    return html, finish
