"""A visitor becomes a known person: by a form fill (the lead store signals it) or a tracked link (?sp_t=)."""

from __future__ import annotations

from django.core import signing
from django.core.cache import cache
from django.utils import timezone

from .. import stats
from .visitor_store import PERSON_LINK_TTL, STATE_TTL, person_key, state_key

TRACKED_LINK_PARAM = "sp_t"
TRACKED_LINK_SALT = "signalpage.personalization.identify"
TRACKED_LINK_MAX_AGE = 90 * 24 * 3600


def tracked_link_token(person_id: int) -> str:
    """A token for ?sp_t= on links in emails: the click tells us who this browser belongs to."""
    return signing.dumps(int(person_id), salt=TRACKED_LINK_SALT, compress=True)


def person_id_from_token(token: str) -> int | None:
    try:
        value = signing.loads(str(token)[:200], salt=TRACKED_LINK_SALT, max_age=TRACKED_LINK_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def visitor_identified(*, visitor_id: str, person_id: int, credit_conversions: bool) -> None:
    """A visitor became a known person: link the row, refresh their cached facts, credit what they saw."""
    from ..models import Visitor

    now = timezone.now()
    key = state_key(visitor_id)
    state = cache.get(key)
    row = Visitor.objects.filter(visitor_id=visitor_id).values("seen_variants").first()
    if row is None:
        Visitor.objects.bulk_create(
            [Visitor(visitor_id=visitor_id, person_id=person_id, first_seen_at=now, last_seen_at=now, visit_count=1)],
            ignore_conflicts=True,
        )
    seen = dict(state.seen_variants if state is not None else (row or {}).get("seen_variants") or {})
    credited_until = (cache.get(person_key(visitor_id)) or {}).get("at", "")
    if credit_conversions and seen:
        stats.record("conversions", list(seen))
        seen, credited_until = {}, now.isoformat()
    # Read with every request's state: a request holding an older copy cannot undo this (see person_key).
    cache.set(person_key(visitor_id), {"person_id": person_id, "at": credited_until}, PERSON_LINK_TTL)
    Visitor.objects.filter(visitor_id=visitor_id).update(person_id=person_id, seen_variants=seen)
    if state is not None:
        state.person_id, state.person_loaded, state.seen_variants = person_id, False, seen
        cache.set(key, state, STATE_TTL)
