"""What a headless front end reports (POST /api/v1/track): page views and named custom events of one
visitor, into the lead store's buffer like the server-rendered site's own page views.

The same judgement as the site: a crawler or a client without a User-Agent is never recorded, nor a
visitor who has not consented (opt-in mode without the consent cookie) or who sends Global Privacy
Control. Such a call is accepted and records nothing, and the answer says why: the front end needs no
consent logic of its own, and learns nothing it could not see anyway.

Who the visitor is comes from what personalisation knows (the cached identification, else the visitor
row), else from the lead store's visitor links when the batch is written. Page views are numbered in
visits (a new one after PERSONALIZATION_VISIT_GAP_MINUTES without a page view), as the site numbers them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from wagtail.models import Page

from core.rate_limits import over_limit
from leads.behaviour import Batch, batch_buffer, custom_event_buffer, page_view_buffer
from leads.request_facts import UTM_FIELDS, client_ip, device_of, request_user_agent

from ..behaviour import view_recorded
from ..state import RECENT_PAGES, count_seen
from .request_facts import tracking_allowed
from .visitor_store import STATE_TTL, person_key, state_key

# Why a call recorded nothing (the answer's `reason`).
ROBOT = "robot"
GLOBAL_PRIVACY_CONTROL = "global_privacy_control"
NO_CONSENT = "no_consent"
BUFFER_UNAVAILABLE = "buffer_unavailable"  # the buffer (Redis) could not be reached: nothing was kept
RECORDING_OFF = "recording_off"  # BEHAVIOUR_RECORDING=false: the operator stopped recording

# A client's event id names an event of its own visitor only: another visitor sending the same id
# records an event of their own, never suppresses someone else's.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c4f0e-3b8e-4c52-9a57-0d7f3e4b2a91")
PAGE_TAGS_TTL = 24 * 3600


@dataclass(frozen=True)
class Tracked:
    recorded: int
    reason: str | None = None


def tracking_refused(request) -> str | None:
    """Why this request may not be recorded (RECORDING_OFF, ROBOT, GLOBAL_PRIVACY_CONTROL, NO_CONSENT), or None."""
    if not settings.BEHAVIOUR_RECORDING:
        return RECORDING_OFF
    user_agent = request_user_agent(request)
    if not user_agent or device_of(user_agent)[0] == "bot":
        return ROBOT
    if tracking_allowed(request):
        return None
    if settings.PERSONALIZATION_HONOR_GPC and request.META.get("HTTP_SEC_GPC", "").strip() == "1":
        return GLOBAL_PRIVACY_CONTROL
    return NO_CONSENT


def track_rate_limited(request, visitor_id: str, events: int) -> str | None:
    """Count this call's events against the visitor's and the address's limits (both, so a refused
    flood still counts against its address); the limit passed, or None."""
    limit, window = settings.TRACK_RATE_LIMIT_VISITOR
    visitor_over = over_limit(f"track:visitor:{visitor_id}", limit, window, cost=events)
    address = client_ip(request)
    limit, window = settings.TRACK_RATE_LIMIT_IP
    address_over = bool(address) and over_limit(f"track:ip:{address}", limit, window, cost=events)
    return "visitor" if visitor_over else ("address" if address_over else None)


def track_event_id(visitor_id: str, client_id: uuid.UUID | None) -> uuid.UUID | None:
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{visitor_id}/{client_id}") if client_id else None


def events_track(request, visitor_id: str, events: list, *, now: datetime) -> Tracked:
    """Buffer the events (page views: type "page_view", path, title, referrer, page_id, utm_*; custom
    events: type "custom_event", name, properties; each with `at` and an optional client `id`), already
    checked by the API's schema. Written to the lead store by the flush task, like served page views."""
    reason = tracking_refused(request)
    if reason is not None:
        return Tracked(0, reason)
    person_id, visit, last_seen = _visitor(visitor_id)
    page_ids = {event.page_id for event in events if event.type == "page_view" and event.page_id}
    pages = _live_pages(page_ids) if page_ids else {}
    gap = timedelta(minutes=settings.PERSONALIZATION_VISIT_GAP_MINUTES)
    batch = Batch()
    seen = []  # (when, page id, path, topics, industries) of the page views, for the visitor's cached state
    # In the order they happened, so visits are numbered as the site numbers them.
    for event in sorted(events, key=lambda event: event.at or now):
        at = event.at or now
        event_id = track_event_id(visitor_id, event.id)
        if event.type == "custom_event":
            custom_event_buffer(
                visitor_id=visitor_id,
                person_id=person_id,
                name=event.name,
                properties=event.properties,
                occurred_at=at,
                event_id=event_id,
                buffer=batch,
            )
            continue
        if last_seen is None or at - last_seen > gap:
            visit += 1
        last_seen = at if last_seen is None else max(last_seen, at)
        title, topics, industries = pages.get(event.page_id, ("", (), ()))
        seen.append((at, event.page_id if event.page_id in pages else None, event.path, topics, industries))
        page_view_buffer(
            visitor_id=visitor_id,
            person_id=person_id,
            page_id=event.page_id if event.page_id in pages else None,
            path=event.path,
            title=event.title or title,
            topics=topics,
            industries=industries,
            referrer=referrer_host(event.referrer),
            utm={name: getattr(event, name) for name in UTM_FIELDS if getattr(event, name)},
            visit=visit,
            occurred_at=at,
            event_id=event_id,
            buffer=batch,
        )
    recorded = batch_buffer(batch)
    cache.set(_visits_key(visitor_id), (visit, last_seen, person_id), STATE_TTL)
    if recorded and seen:
        _state_views_add(visitor_id, seen)
    return Tracked(recorded, None if recorded else BUFFER_UNAVAILABLE)


def _state_views_add(visitor_id: str, seen: list) -> None:
    """The front end's page views count for personalisation at once, as served pages do: added to the
    visitor's cached state (its recent views, pages and topics read), and every segment is evaluated again
    on their next request. Without a cached state there is nothing to add to: a state rebuilt later reads
    the views the lead store has written by then. (A page served at the same moment may save its own copy
    of the state over this one: that view is then counted by the lead store alone.)"""
    key = state_key(visitor_id)
    state = cache.get(key)
    if state is None:
        return
    for at, page_id, path, topics, industries in seen:
        view_recorded(state, at, path, topics)
        if page_id:
            count_seen(state.pages_viewed, page_id, RECENT_PAGES)
        for topic in topics:
            count_seen(state.topics_viewed, topic)
        for industry in industries:
            count_seen(state.industries_viewed, industry)
    state.page_views += len(seen)
    state.computed_for = None  # membership computed before these views is no longer valid
    cache.set(key, state, STATE_TTL)


def referrer_host(referrer: str) -> str:
    """The referring site's host without www. (what the site keeps of a referrer), '' for none."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")[:253]


def _visits_key(visitor_id: str) -> str:
    return f"pz:track:visits:{visitor_id}"


def _visitor(visitor_id: str) -> tuple[int | None, int, datetime | None]:
    """(person id, visits so far, last page view) of a visitor: from the cache (the track API's own
    record, else personalisation's state), else from the visitor row (one query, on a first call).
    An identification made since (a tracked link, kept under person_key) is always read."""
    keys = [person_key(visitor_id), state_key(visitor_id), _visits_key(visitor_id)]
    cached = cache.get_many(keys)
    link, state, mine = (cached.get(key) for key in keys)
    if mine is not None:
        visit, last_seen, person_id = mine
    elif state is not None:
        visit, last_seen, person_id = state.visit_count, state.last_seen_at, state.person_id
    else:
        from ..models import Visitor

        row = Visitor.objects.filter(visitor_id=visitor_id).values_list("visit_count", "last_seen_at", "person_id")
        visit, last_seen, person_id = row.first() or (0, None, None)
    return (link["person_id"] if link else person_id), visit, last_seen


def _live_pages(page_ids: set[int]) -> dict[int, tuple[str, tuple, tuple]]:
    """{page id: (title, topic slugs, industry slugs)} of the live pages among these ids. The tags of
    a page type that has them (whitepapers, case studies, events) are cached per page revision."""
    rows = list(Page.objects.live().filter(pk__in=page_ids).values_list("pk", "title", "live_revision_id"))
    keys = {pk: f"pz:track:tags:{pk}:{revision}" for pk, _, revision in rows}
    cached = cache.get_many(list(keys.values())) if keys else {}
    pages = {}
    for pk, title, _ in rows:
        tags = cached.get(keys[pk])
        if tags is None:
            specific = Page.objects.get(pk=pk).specific
            reader = getattr(specific, "visitor_tags", None)
            tags = reader() if reader is not None else ((), ())
            cache.set(keys[pk], tags, PAGE_TAGS_TTL)
        pages[pk] = (title, *tags)
    return pages
