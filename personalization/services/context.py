"""The visitor behind a request: resolved once per request, kept current as pages are viewed, written
back as the response leaves.

The hot path (DESIGN.md, 1): one cache read fetches the visitor's state together with the
segment version and the person-facts epoch. Warm, that is all: no query. Cold (a returning
visitor whose state left the cache) it is one query for the visitor row and one for the person's
facts. The state is written back to the cache only when a request changed something segments or
recommendations read (a new visit, a campaign, a device, a topic, a variant not seen before, a fact an
active segment reads); a repeat view that only moves counters on waits in this process
(pending_views) and goes with the next write, or within PERSONALIZATION_TOUCH_SECONDS. The database
row is written once per visit (and every PERSONALIZATION_SAVE_EVERY page views), never on every view.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from leads.behaviour import page_view_buffer
from leads.cleaning import clean_text
from leads.request_facts import device_of, referrer_domain, request_country, request_user_agent, request_utm
from leads.selectors import person_by_id, person_facts
from leads.services.identity import new_visitor_id, valid_visitor_id
from leads.services.visitor_history import tracked_link_identified, tracked_link_refused

from .. import stats
from ..behaviour import behaviour_load, view_recorded
from ..rules import PAGE_VIEW_FACTS
from ..segments import VERSION_KEY, current_version, segment_set
from ..state import RECENT_PAGES, RECENT_VARIANTS, Facts, VisitorState, count_seen
from . import pending_views
from .identification import TRACKED_LINK_PARAM, person_id_from_token, visitor_identified
from .request_facts import UTM_FIELDS, tracking_allowed
from .visitor_store import (
    EPOCH_KEY,
    STATE_TTL,
    _state_from_database,
    person_key,
    state_key,
    visitor_save,
)

logger = logging.getLogger(__name__)

VISITOR_HEADER = "HTTP_X_VISITOR_ID"


class VisitorContext:
    """request.personalization: who this is, what they matched, what to write when the response leaves."""

    def __init__(self, request):
        self.request = request
        self.now = timezone.now()
        self.tracking = tracking_allowed(request)
        self.override = None  # a preview "as segment" sets this
        self.preview = False
        self.is_new = False
        self.dirty = False
        self.save_to_database = False
        self.shown_variants: list[str] = []
        self.personalised = False  # set when anything in the response depended on this visitor
        self._segment_ids = None
        # Facts changed in this request: membership is re-evaluated only for segments reading them
        # (None: everything, e.g. a state just read from the database or a person's facts reloaded).
        self._changed: set | None = set()

        user_agent = request_user_agent(request)
        device = device_of(user_agent)
        # Crawlers and scripts get the default content (never a variant: no cloaking for search engines),
        # are not counted in the statistics, and leave nothing behind.
        self.is_robot = device[0] == "bot" or not user_agent
        if self.is_robot:
            self.tracking = False
            self.override = frozenset()
        # A visitor seen for the first time (a new cookie, or an id we have no record of) is written to
        # the database only when it comes back: a client that never returns the id costs no write.
        self.first_sighting = False
        visitor_id = valid_visitor_id(
            request.COOKIES.get(settings.VISITOR_COOKIE_NAME, "") or request.META.get(VISITOR_HEADER, "")[:64]
        )
        # One round trip: the visitor's state, the segment version, the people epoch, and whatever the
        # caller asked for alongside (the page route cache's keys).
        extra = list(getattr(request, "pz_extra_cache_keys", ()))
        own = [state_key(visitor_id), person_key(visitor_id)] if visitor_id else []
        cached = cache.get_many(own + [VERSION_KEY, EPOCH_KEY] + extra)
        self.extra_cached = {key: cached[key] for key in extra if key in cached}
        self.segment_version = current_version(cached.get(VERSION_KEY))
        self.epoch = cached.get(EPOCH_KEY) or "0"
        state = cached.get(state_key(visitor_id)) if (visitor_id and self.tracking) else None
        # The database may be down for a moment (a failover, a restart): the page is still served, with
        # what this request says, and nothing of this visitor is stored until it is back.
        self.database_down = False
        if state is None and visitor_id and self.tracking:
            try:
                state = _state_from_database(visitor_id, self.now)
            except DatabaseError:
                self._database_down("reading visitor")
            self.facts_changed()
        if state is None:
            self.is_new = self.tracking and not visitor_id
            self.first_sighting = True
            state = VisitorState(
                visitor_id=visitor_id or new_visitor_id(), first_seen_at=self.now, last_seen_at=self.now, visit_count=0
            )
            self.facts_changed()
        self.state = state
        # Repeat views this process served but did not write yet (pending_views) are part of the facts:
        # the visit gap is measured from them, and they are written with this state when it is written.
        self._pending = pending_views.take(visitor_id) if (self.tracking and visitor_id) else None
        if self._pending is not None:
            self._pending.apply(state)
        self._views_here: list[tuple] = []  # (page key, behaviour event) of this request's page views
        if self.tracking and visitor_id:
            self._adopt_identification(cached.get(person_key(visitor_id)))
        if self.is_new:
            # Views later in this request (a form on the page) see the id this response will set as a cookie.
            request.COOKIES[settings.VISITOR_COOKIE_NAME] = state.visitor_id
        ua_hash = hashlib.blake2s(user_agent.encode(), digest_size=8).hexdigest()
        if state.user_agent_hash != ua_hash:
            state.device_type, state.os, state.browser = device
            state.user_agent_hash = ua_hash
            self._mark("device", "os", "browser")
        country = request_country(request)
        if country and country != state.country:
            state.country = country
            self._mark("country")
        try:
            self._identify_from_link(request)
            self._load_person()
        except DatabaseError:
            self._database_down("reading the person")  # the person's facts are loaded on a later request

    @property
    def visitor_id(self) -> str:
        return self.state.visitor_id

    @property
    def person(self):
        return self.state.person

    def _adopt_identification(self, link):
        """Apply an identification recorded since this state was cached: the person, and the variants
        already credited to a conversion (seen before it) are forgotten."""
        if not link:
            return
        state = self.state
        if state.person_id != link["person_id"]:
            state.person_id, state.person_loaded = link["person_id"], False
            self.facts_changed()
        credited_until = link.get("at", "")
        stale = [key for key, seen_at in state.seen_variants.items() if seen_at <= credited_until]
        for key in stale:
            del state.seen_variants[key]
        if stale:
            self.dirty = True

    def _identify_from_link(self, request):
        token = request.GET.get(TRACKED_LINK_PARAM)
        if not token or not self.tracking:
            return
        person_id = person_id_from_token(token)
        if person_id is None or self.state.person_id == person_id:
            return
        if self.state.person_id:  # someone else's link: a shared link never takes over a known browser
            tracked_link_refused(person_id=person_id, visitor_id=self.visitor_id, known_as=self.state.person_id)
            return
        if person_by_id(person_id) is None:
            return
        # The link tells personalisation who this is, and the browser's anonymous history joins the person
        # (in the background). The lead store's visitor link (which greets people on forms and opens gates
        # they passed) is made only by a form fill, so a forwarded email never hands someone's identity to forms.
        visitor_identified(visitor_id=self.visitor_id, person_id=person_id, credit_conversions=False)
        if settings.BEHAVIOUR_RECORDING:
            tracked_link_identified(person_id=person_id, visitor_id=self.visitor_id, at=self.now)
        self._adopt_identification({"person_id": person_id, "at": ""})
        self.save_to_database = self.dirty = True

    def _load_person(self):
        state = self.state
        if state.person_id and (not state.person_loaded or state.person_epoch != self.epoch):
            state.person = person_facts(state.person_id)
            if state.person is None:
                state.person_id = None  # the person is gone (deleted, or merged away): anonymous again
            state.person_loaded, state.person_epoch = True, self.epoch
            state.person_events = None  # read again with the person's facts, when segments need them
            self.facts_changed()
        if self.tracking and self.segments.reads_behaviour and behaviour_load(state, self.now):
            self.facts_changed()

    # --- segments ---
    @property
    def segments(self):
        return segment_set(self.segment_version)

    def _database_down(self, doing: str):
        logger.warning("Personalisation without the database (%s failed): default content, nothing stored", doing)
        self.database_down = True

    @property
    def segment_ids(self) -> frozenset:
        """The segments this visitor is in now: stored membership plus segments with time rules."""
        if self.override is not None:
            return self.override
        if self._segment_ids is None:
            try:
                segments = self.segments
            except DatabaseError:  # segments not loaded in this process yet, and the database is down
                self._database_down("loading segments")
                return frozenset()
            state, facts = self.state, Facts(self.state)
            if self._changed is None or state.computed_for != (self.segment_version, self.epoch):
                state.segment_ids = segments.evaluate(facts, self.now, segments.stored)
                state.computed_for = (self.segment_version, self.epoch)
                self.dirty = True
            elif self._changed:
                affected = segments.affected(self._changed)
                if affected:
                    kept = set(state.segment_ids) - {segment.id for segment in affected}
                    again = segments.evaluate(facts, self.now, affected)
                    state.segment_ids = tuple(pk for pk in (s.id for s in segments.stored) if pk in kept or pk in again)
                self._changed = set()
            self._segment_ids = frozenset(state.segment_ids) | frozenset(
                segments.evaluate(facts, self.now, segments.timed)
            )
        return self._segment_ids

    def facts_changed(self):
        """Anything may have changed: every segment is evaluated again."""
        self.dirty = True
        self._changed = None
        self._segment_ids = None

    def _mark(self, *codes):
        """These facts changed: only segments reading them are evaluated again."""
        self.dirty = True
        self._segment_ids = None
        if self._changed is not None:
            self._changed.update(codes)

    def _viewed(self, *codes):
        """A page view moved these counters on. The state is written at once only when an active segment
        reads one of them; else the view waits in this process (pending_views) for the next write."""
        self._segment_ids = None
        if self._changed is not None:
            self._changed.update(codes)
        try:
            read = self.segments.reads(codes)
        except DatabaseError:  # segments not loadable now: write, as before
            read = True
        if read:
            self.dirty = True

    def choose(self, segment_ids) -> int | None:
        """Of the segments a block has variants for, the one to show (highest priority the visitor is in)."""
        matched = [segment_id for segment_id in segment_ids if segment_id in self.segment_ids]
        if not matched:
            return None
        return min(matched, key=self.segments.rank)

    def fingerprint(self, relevant) -> tuple:
        """The part of the membership that decides a page's output: its own segments the visitor is in."""
        if self.override is not None:
            return tuple(sorted(self.override & frozenset(relevant)))
        return tuple(sorted(self.segment_ids & frozenset(relevant)))

    # --- what a page view tells us ---
    def page_view(self, *, page_id: int, path: str, title: str = "", topics=(), industries=()):
        # Without tracking the state is this request's alone (never stored): the campaign, referrer and
        # page of this request still count for this response.
        state, request, now = self.state, self.request, self.now
        utm = request_utm(request, UTM_FIELDS)
        referrer = referrer_domain(request)
        # A new visit after PERSONALIZATION_VISIT_GAP_MINUTES (30) without activity, as analytics tools count.
        gap = timedelta(minutes=settings.PERSONALIZATION_VISIT_GAP_MINUTES)
        if state.visit_count == 0 or now - state.last_seen_at > gap:
            state.visit_count += 1
            state.landing_page = clean_text(path, 500)[0]
            self.save_to_database = True
            self._mark("visit_count", "landing_page")
        if any(utm.values()):
            if not (state.first_utm_source or state.first_utm_medium or state.first_utm_campaign):
                state.first_utm_source, state.first_utm_medium, state.first_utm_campaign = utm.values()
                self._mark("first_utm_source", "first_utm_campaign")
            if (state.last_utm_source, state.last_utm_medium, state.last_utm_campaign) != tuple(utm.values()):
                state.last_utm_source, state.last_utm_medium, state.last_utm_campaign = utm.values()
                self.save_to_database = True
                self._mark("utm_source", "utm_medium", "utm_campaign")
        if referrer and referrer != state.last_referrer_domain:
            state.first_referrer_domain = state.first_referrer_domain or referrer
            state.last_referrer_domain = referrer
            self._mark("referrer_domain")
        state.last_seen_at = now
        state.page_views += 1
        state.unsaved_views += 1
        page_key = str(page_id)
        count_seen(state.pages_viewed, page_key, limit=RECENT_PAGES)
        for topic in topics:
            count_seen(state.topics_viewed, topic)
        for industry in industries:
            count_seen(state.industries_viewed, industry)
        if topics or industries:
            self.dirty = True  # recommendations read them (the visitor's favourite topics): written at once
        event = view_recorded(state, now, path, topics)
        if self.tracking:
            self._views_here.append((page_key, event))
        if state.unsaved_views >= settings.PERSONALIZATION_SAVE_EVERY:
            self.save_to_database = True
        if self.tracking and self.visitor_id and not self.preview and settings.BEHAVIOUR_RECORDING:
            # The lead store's copy of the view (buffered: no database write while serving).
            page_view_buffer(
                visitor_id=self.visitor_id,
                person_id=state.person_id,
                page_id=page_id,
                path=path,
                title=title,
                topics=topics,
                industries=industries,
                referrer=referrer,
                utm=utm,
                visit=state.visit_count,
                occurred_at=now,
            )
        self._viewed(
            "page_views",
            "viewed_page",
            *(("viewed_topic",) if topics else ()),
            *(("viewed_industry",) if industries else ()),
            *PAGE_VIEW_FACTS,
        )

    def variant_shown(self, key: str | None):
        """A personalised block showed this variant (None: a block whose page is unknown, not counted)."""
        self.personalised = True
        if key is not None:
            self.shown_variants.append(key)

    # --- when the response leaves ---
    def finish(self):
        if self.preview:
            self._keep_pending()
            return  # an editor's preview counts nothing and remembers nothing
        if self.shown_variants and not self.is_robot:
            stats.record("impressions", self.shown_variants)
            if self.tracking:
                seen = self.state.seen_variants
                # Only a variant not seen before is news (it credits a later form fill); one seen again is not.
                new = [key for key in dict.fromkeys(self.shown_variants) if key not in seen]
                for key in new:
                    seen[key] = self.now.isoformat()
                if len(seen) > RECENT_VARIANTS:
                    for key in sorted(seen, key=seen.get)[: len(seen) - RECENT_VARIANTS]:
                        del seen[key]
                if new:
                    self.dirty = True
        if not self.tracking or self.database_down:
            self._keep_pending()
            return  # a state built without the database must not hide the stored one
        if self.request.method != "GET":
            # A form fill in this request may have identified the visitor meanwhile.
            self._adopt_identification(cache.get(person_key(self.visitor_id)))
        # A visitor seen for the first time waits for their second request (see first_sighting).
        if not self.first_sighting and (self.save_to_database or not self.state.in_database and self.state.page_views):
            try:
                visitor_save(self.state)
            except DatabaseError:
                # Kept in the cache with its unsaved views counted to the limit: the next page view saves it.
                logger.warning(
                    "Visitor %s not saved (database unavailable); saved with a later page view", self.visitor_id
                )
                self.state.unsaved_views = max(self.state.unsaved_views, settings.PERSONALIZATION_SAVE_EVERY)
            self.dirty = True
        if not self.dirty and self._pending is not None and self._pending.due():
            self.dirty = True  # views have waited TOUCH seconds: the state's last-seen time and counters catch up
        if self.dirty:
            cache.set(state_key(self.visitor_id), self.state, STATE_TTL)
            self._pending, self._views_here = None, []
        else:
            self._keep_pending()
        self._sweep()

    def _keep_pending(self):
        """This request's views (and those it found waiting) were not written: they wait for the next write."""
        pending = self._pending
        if self._views_here:
            pending = pending or pending_views.Pending(since=time.monotonic())
            for page_key, event in self._views_here:
                pending.add(page_key, event, self.now)
        if pending is not None:
            pending_views.keep(self.visitor_id, pending)
        self._pending, self._views_here = None, []

    @staticmethod
    def _sweep():
        try:
            pending_views.sweep(state_key, STATE_TTL)
        except Exception:  # the cache unreachable: those views wait for the next sweep
            logger.warning("Waiting page views not written to the visitors' states", exc_info=True)


def visitor_context(request) -> VisitorContext:
    """The visitor behind the request, resolved once per request (the middleware sets it lazily)."""
    context = getattr(request, "_personalization", None)
    if context is None:
        context = request._personalization = VisitorContext(request)
    return context


def preview_as(request, segment_ids) -> VisitorContext:
    """An editor's preview as a segment (or as nobody): variants resolve for it, nothing is recorded."""
    context = visitor_context(request)
    context.tracking, context.preview = False, True
    context.override = frozenset(segment_ids)
    context._segment_ids = None
    request.personalization = context
    return context
