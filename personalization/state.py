"""What we know about one visitor, as kept in the cache between requests.

A `VisitorState` is small and picklable: the stored facts (visits, attribution, device, what
they viewed), the person's facts once known, and the segments they matched when those facts last
changed. `Facts` is the read-only view segment rules see: stored facts plus this request's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from leads.selectors import PersonFacts

RECENT_PAGES = 100  # pages remembered per visitor for "viewed page" rules
RECENT_VARIANTS = 30  # variants remembered per visitor to credit a later form fill


@dataclass
class VisitorState:
    visitor_id: str
    first_seen_at: datetime
    last_seen_at: datetime
    visit_count: int = 1
    page_views: int = 0
    first_utm_source: str = ""
    first_utm_medium: str = ""
    first_utm_campaign: str = ""
    last_utm_source: str = ""
    last_utm_medium: str = ""
    last_utm_campaign: str = ""
    first_referrer_domain: str = ""
    last_referrer_domain: str = ""
    landing_page: str = ""
    device_type: str = ""
    os: str = ""
    browser: str = ""
    user_agent_hash: str = ""
    country: str = ""
    topics_viewed: dict = field(default_factory=dict)
    industries_viewed: dict = field(default_factory=dict)
    pages_viewed: dict = field(default_factory=dict)
    seen_variants: dict = field(default_factory=dict)  # stat key -> ISO time first seen since the last form fill
    person_id: int | None = None
    person: PersonFacts | None = None
    person_loaded: bool = False
    person_epoch: str = ""  # the people epoch the person's facts were read in
    # Stored membership, valid for the segment set and person epoch it was computed against.
    segment_ids: tuple = ()
    computed_for: tuple = ()
    # Page views not yet written to the database (they are written with the next visit, or every N).
    unsaved_views: int = 0
    in_database: bool = False
    # For behaviour rules (personalization.behaviour): this browser's recent page views, and a known
    # person's events from the lead store (None until read). Class-level defaults, so a state cached
    # before these existed still reads them.
    views: tuple = ()
    views_loaded: bool = False
    person_events: dict | None = None


class Facts:
    """The facts a rule reads. Stored facts come from the state; person facts from the lead store.
    Behaviour rules (downloaded, visited URL, ...) read the state's events (personalization.behaviour)."""

    __slots__ = ("state",)

    def __init__(self, state: VisitorState):
        self.state = state

    def get(self, code: str):
        state, person = self.state, self.state.person
        match code:
            case "utm_campaign" | "utm_source" | "utm_medium":
                return getattr(state, "last_" + code)
            case "first_utm_campaign" | "first_utm_source":
                return getattr(state, code)
            case "referrer_domain":
                return state.last_referrer_domain
            case "landing_page":
                return state.landing_page
            case "device":
                return state.device_type
            case "os" | "browser" | "country" | "visit_count" | "page_views":
                return getattr(state, code)
            case "viewed_topic":
                return state.topics_viewed.keys()
            case "viewed_industry":
                return state.industries_viewed.keys()
            case "viewed_page":
                return state.pages_viewed.keys()
            case "known":
                return person is not None
            case "industry":
                return person.industry if person else ""
            case "company_size":
                return person.company_size if person else ""
            case "person_country":
                return person.country if person else ""
            case "stage" | "grade":
                return getattr(person, code) if person else ""
            case "score" | "fit_score" | "interest_score":
                return getattr(person, code) if person else None
        return None


def count_seen(counts: dict, key, limit: int = 200) -> None:
    """One more of this key (a page, a topic) in a visitor's counts, the oldest key dropped past the limit."""
    key = str(key)[:100]
    counts[key] = counts.get(key, 0) + 1
    if len(counts) > limit:
        del counts[next(iter(counts))]  # the oldest key (dicts keep insertion order)
