"""Personalisation's services: the visitor behind a request, and what changes what we know of them.

- `context`: `visitor_context(request)` resolves the visitor (state, person, segments) once per request,
  records page views and shown variants, and writes back as the response leaves; `preview_as` for editors.
- `request_facts`: whether the request allows tracking (what else a request says about the visitor,
  device, country, referrer, is read by `leads.request_facts`).
- `identification`: tracked links (`tracked_link_token`) and a visitor becoming a known person.
- `visitor_store`: the cache keys of a visitor's state and the visitor row it is loaded from and saved to.
- `pending_views`: repeat page views that changed nothing segments read, kept per process until the
  visitor's state is next written (so a returning visitor's view writes nothing).

Other apps import from here (`personalization.services.visitor_context`, `tracked_link_token`, ...).
"""

from .context import VISITOR_HEADER, VisitorContext, preview_as, visitor_context
from .identification import (
    TRACKED_LINK_MAX_AGE,
    TRACKED_LINK_PARAM,
    TRACKED_LINK_SALT,
    person_id_from_token,
    tracked_link_token,
    visitor_identified,
)
from .request_facts import UTM_FIELDS, tracking_allowed
from .visitor_store import (
    EPOCH_KEY,
    PERSON_LINK_TTL,
    STATE_FIELDS,
    STATE_TTL,
    _state_from_database,
    people_changed,
    person_key,
    state_key,
    visitor_save,
)

__all__ = [
    "EPOCH_KEY",
    "PERSON_LINK_TTL",
    "STATE_FIELDS",
    "STATE_TTL",
    "TRACKED_LINK_MAX_AGE",
    "TRACKED_LINK_PARAM",
    "TRACKED_LINK_SALT",
    "UTM_FIELDS",
    "VISITOR_HEADER",
    "VisitorContext",
    "_state_from_database",
    "people_changed",
    "person_id_from_token",
    "person_key",
    "preview_as",
    "state_key",
    "tracked_link_token",
    "tracking_allowed",
    "visitor_context",
    "visitor_identified",
    "visitor_save",
]
