"""Where a visitor's state is kept: its cache keys, and the visitor row it is loaded from and saved to.

The state lives in the cache (`state_key`) for a day, written when a request changed something segments
read (repeat views wait in the process: pending_views); the row is the copy that outlives the cache,
written once per visit (see VisitorContext.finish). Who a visitor was identified as has a key of its
own (`person_key`); people's facts have an epoch (`EPOCH_KEY`) that a full rescore renews.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

from ..state import VisitorState

STATE_TTL = 24 * 3600
EPOCH_KEY = "pz:people:epoch"


def state_key(visitor_id: str) -> str:
    return f"pz:v:{visitor_id}"


def person_key(visitor_id: str) -> str:
    """Who a visitor was identified as, and when: written only by identification, read with the state.

    Kept apart from the state so that a request holding an older copy of the state cannot undo an
    identification made meanwhile (by a form fill processed in a worker, say)."""
    return f"pz:vp:{visitor_id}"


PERSON_LINK_TTL = 90 * 24 * 3600


STATE_FIELDS = [
    "first_seen_at",
    "last_seen_at",
    "visit_count",
    "page_views",
    "first_utm_source",
    "first_utm_medium",
    "first_utm_campaign",
    "last_utm_source",
    "last_utm_medium",
    "last_utm_campaign",
    "first_referrer_domain",
    "last_referrer_domain",
    "landing_page",
    "device_type",
    "os",
    "browser",
    "country",
    "topics_viewed",
    "industries_viewed",
    "pages_viewed",
    "seen_variants",
]


def _state_from_database(visitor_id: str, now) -> VisitorState | None:
    from ..models import Visitor

    row = Visitor.objects.filter(visitor_id=visitor_id).values("person_id", *STATE_FIELDS).first()
    if row is None:
        return None
    return VisitorState(visitor_id=visitor_id, in_database=True, **row)


def visitor_save(state: VisitorState) -> None:
    """Write the visitor's facts: one upsert. The person link is written only by identification."""
    from ..models import Visitor

    values = {name: getattr(state, name) for name in STATE_FIELDS}
    Visitor.objects.bulk_create(
        [Visitor(visitor_id=state.visitor_id, person_id=state.person_id, **values)],
        update_conflicts=True,
        unique_fields=["visitor_id"],
        update_fields=STATE_FIELDS,
    )
    state.in_database = True
    state.unsaved_views = 0


def people_changed(person_ids) -> None:
    """People's facts changed (score, stage, attributes): their visitors' cached facts are reloaded."""
    if person_ids is None:
        cache.set(EPOCH_KEY, secrets.token_hex(6), None)
        return
    from ..models import Visitor

    visitor_ids = list(Visitor.objects.filter(person_id__in=list(person_ids)).values_list("visitor_id", flat=True))
    keys = [state_key(visitor_id) for visitor_id in visitor_ids]
    states = cache.get_many(keys) if keys else {}
    for state in states.values():
        state.person_loaded = False
    if states:
        cache.set_many(states, STATE_TTL)
