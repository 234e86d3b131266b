"""What a visitor did, as segment rules read it on every request, without a query.

A visitor's state (personalization.state) keeps two lists of events, each event a tuple
(microseconds since 1970, key, path, topics) with the lead store's meanings (leads.behaviour_conditions):
- `views`: this browser's own recent page views, appended as pages are served (newest last, at most
  RECENT_VIEWS, the last HORIZON_DAYS days). An anonymous browser's are read back from the lead store
  when its state is rebuilt from the database.
- `person_events`: for a known person, what the lead store holds about them (page views on every
  browser, downloads, forms, events, custom events, emails, tags, stage moves), read in one query when
  the person's facts are read (identification, a change to the person, a new epoch) and only while some
  active segment has a behaviour rule.

A view is counted once: when the person's events are read, this browser's views already among them
(the same moment to the microsecond) are dropped from `views`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leads.behaviour_conditions import (
    HORIZON_DAYS,
    PAGE_VIEW,
    Condition,
    micros,
    page_slug,
    person_behaviour,
    visitor_page_views,
)
from leads.services.capture import topics_text

RECENT_VIEWS = 100  # this browser's page views kept in its state
DAY_MICROS = 86_400_000_000


def view_recorded(state, now: datetime, path: str, topics) -> tuple:
    """A page was served to this visitor: remember it for behaviour rules (slug, path, topics, when).
    Returns the event (kept for a later write when this view's state is not written at once)."""
    event = (micros(now), page_slug(path), path[:500], topics_text(list(topics)[:20]))
    horizon = event[0] - HORIZON_DAYS * DAY_MICROS
    kept = [view for view in state.views[-(RECENT_VIEWS - 1) :] if view[0] >= horizon] if state.views else []
    state.views = (*kept, event)
    return event


def behaviour_load(state, now: datetime) -> bool:
    """Read what the state lacks for behaviour rules: a known person's events, or an anonymous browser's
    views stored before its state was rebuilt. True when something was read (rules must look again)."""
    if state.person_id and state.person is not None:
        if state.person_events is not None:
            return False
        events = person_behaviour(state.person_id, now=now)
        stored = {event[0] for event in events.get(PAGE_VIEW, ())}
        state.person_events = events
        state.views = tuple(view for view in state.views if view[0] not in stored)
        state.views_loaded = True  # a known person's views come with their events
        return True
    if state.views_loaded or state.person_id:
        return False
    state.views_loaded = True
    if not state.in_database:
        return False  # a browser seen for the first time has nothing stored yet
    stored = visitor_page_views(state.visitor_id, now=now, limit=RECENT_VIEWS)
    mine = {view[0] for view in state.views}
    older = [view for view in reversed(stored) if view[0] not in mine]
    state.views = (*older, *state.views)[-RECENT_VIEWS:]
    return True


def behaviour_predicate(condition: Condition) -> Callable[[object, datetime], bool]:
    """The condition as a predicate (facts, now) -> bool over a visitor's state: counts matching events
    inside the window, newest first, and stops at the Nth."""
    matches = condition.matcher()
    types, times = condition.kind.types, condition.times
    window = condition.days * DAY_MICROS if condition.days else None
    with_views = PAGE_VIEW in types

    def predicate(facts, now: datetime) -> bool:
        state = facts.state
        since = micros(now) - window if window else None
        count = 0
        sources = [(state.person_events or {}).get(kind, ()) for kind in types]
        if with_views:
            sources.append(reversed(state.views))
        for events in sources:
            for at, key, path, topics in events:
                if since is not None and at < since:
                    break  # newest first: the rest are older still
                if matches(key, path, topics):
                    count += 1
                    if count >= times:
                        return True
        return False

    return predicate
