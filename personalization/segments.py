"""The active segments, compiled once per segment version and kept per process.

Every request reads one small cache key (the version, fetched together with the visitor's state);
only when it changes does a process reload the segments (two queries) and recompile them. The
rules then run in memory: no query per segment or per rule.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max

from .rules import BEHAVIOUR_FACTS, compile_rule

VERSION_KEY = "pz:segments:version"
# With a per-process cache (no REDIS_URL) another process's edit is seen within this many seconds.
VERSION_TTL = 60


@dataclass(frozen=True)
class CompiledSegment:
    id: int
    name: str
    priority: int
    match_all: bool
    predicates: tuple
    is_timed: bool  # a time-of-day, day or date rule, or behaviour within N days: evaluated on every request
    facts: frozenset = frozenset()  # the fact codes its rules read

    def matches(self, facts, now: datetime) -> bool:
        if not self.predicates:
            return False
        if self.match_all:
            return all(predicate(facts, now) for predicate in self.predicates)
        return any(predicate(facts, now) for predicate in self.predicates)


class SegmentSet:
    """The compiled segments of one version, with what each request needs looked up in advance."""

    def __init__(self, version: str, segments):
        self.version = version
        self.segments = tuple(sorted(segments, key=lambda s: (-s.priority, s.name)))  # highest priority first
        self.by_id = {segment.id: segment for segment in self.segments}
        self.stored = tuple(segment for segment in self.segments if not segment.is_timed)
        self.timed = tuple(segment for segment in self.segments if segment.is_timed)
        self._rank = {segment.id: number for number, segment in enumerate(self.segments)}
        by_fact: dict[str, list] = {}
        for segment in self.stored:
            for code in segment.facts:
                by_fact.setdefault(code, []).append(segment)
        self._by_fact = by_fact
        # Whether visitors' states need their behaviour read (personalization.behaviour.behaviour_load).
        self.reads_behaviour = any(segment.facts & BEHAVIOUR_FACTS for segment in self.segments)
        # Every fact any active segment reads: a page view changing none of them need not be written at once.
        self.read_facts = frozenset().union(*(segment.facts for segment in self.segments))

    def affected(self, changed) -> tuple:
        """The stored (untimed) segments whose rules read any of these facts, in priority order."""
        hit = {segment.id for code in changed for segment in self._by_fact.get(code, ())}
        return tuple(segment for segment in self.stored if segment.id in hit) if hit else ()

    def reads(self, codes) -> bool:
        """Whether any active segment (timed ones too) reads any of these facts."""
        return not self.read_facts.isdisjoint(codes)

    def evaluate(self, facts, now, segments=None) -> tuple[int, ...]:
        return tuple(
            segment.id for segment in (self.segments if segments is None else segments) if segment.matches(facts, now)
        )

    def rank(self, segment_id) -> int:
        """Sort key: higher priority first, then name (the same order in every process)."""
        return self._rank.get(segment_id, len(self._rank))


_lock = threading.Lock()
_compiled: dict = {"version": None, "set": None}


def version_from_database() -> str:
    from .models import Segment, SegmentRule

    segments = Segment.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    latest = segments["latest"].timestamp() if segments["latest"] else 0
    # Rules are saved with their segment (updated_at), but a rule deleted on its own changes the max id too.
    rule_max = SegmentRule.objects.aggregate(m=Max("id"), n=Count("id"))
    return f"{segments['n']}.{latest:.6f}.{rule_max['m'] or 0}.{rule_max['n']}"


def current_version(cached_value=None) -> str:
    version = cached_value or cache.get(VERSION_KEY)
    if version is None:
        version = version_from_database()
        cache.set(VERSION_KEY, version, VERSION_TTL)
    return version


def segment_set(version: str) -> SegmentSet:
    compiled = _compiled
    if compiled["version"] == version:
        return compiled["set"]
    with _lock:
        if _compiled["version"] != version:
            _compiled["set"] = load_segments(version)
            _compiled["version"] = version
        return _compiled["set"]


def load_segments(version: str) -> SegmentSet:
    from .models import Segment

    segments = []
    for segment in Segment.objects.filter(is_active=True).prefetch_related("rules"):
        predicates, codes, timed = [], set(), False
        for rule in segment.rules.all():
            try:
                parsed = rule.parsed()
            except Exception:  # noqa: BLE001 - a rule saved before a validation change: skip it, not crash pages
                continue
            predicates.append(compile_rule(parsed))
            codes.add(parsed.fact.code)
            timed = timed or parsed.is_timed
        segments.append(
            CompiledSegment(
                segment.pk,
                segment.name,
                segment.priority,
                segment.match == "all",
                tuple(predicates),
                timed,
                frozenset(codes),
            )
        )
    return SegmentSet(version, segments)


def segments_changed() -> None:
    """A segment or rule was saved or deleted: every process reloads on its next request."""
    cache.delete(VERSION_KEY)
    _compiled["version"] = None
