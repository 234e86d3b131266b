"""What depends on the recipient besides merge fields: which variant a personalised block shows, and
which pages a recommended-content block lists. Both are decided for a batch of people at once.

Segments: a personalised block decides for a *person*, not a browser, so it asks the lead store, not
the visitor's cached state: one query per segment, "which of these people are in the segment's
audience" (personalization.rule_queries.people_matching, the query the segment editor counts with),
kept for the batch. A person rendered outside a prepared batch costs one query per segment.
Note: people_matching leaves test people out, so a test person sees the default variant.

Recommended pages: the pages given, then the newest live pages the person has not viewed (page_view
interactions name the page's id). Candidates are the given pages and the newest few (POOL_EXTRA more
than the block shows), the same for everybody, so their links can be numbered before sending.
"""

from __future__ import annotations

from campaigns.blocks import page_url

POOL_EXTRA = 10


class SegmentMembership:
    """Segment membership of people, one query per segment per prepared batch."""

    def __init__(self, segments):
        self.segments = {segment.pk: segment for segment in segments if segment is not None}
        self._rules = None
        self._members: dict[int, set[int]] = {}
        self._asked: set[int] = set()

    def _parsed(self):
        if self._rules is None:
            from personalization.models import Segment

            self._rules = {}
            active = Segment.objects.filter(pk__in=list(self.segments), is_active=True).prefetch_related("rules")
            for segment in active:
                parsed = []
                for rule in segment.rules.all():
                    try:
                        parsed.append(rule.parsed())
                    except Exception:  # noqa: BLE001 - a rule saved before a validation change matches nobody
                        parsed = []
                        break
                self._rules[segment.pk] = (parsed, segment.match, segment.priority)
        return self._rules

    def prepare(self, person_ids) -> None:
        from personalization.rule_queries import people_matching

        ids = [pk for pk in person_ids if pk is not None and pk not in self._asked]
        if not ids:
            return
        for segment_id, (parsed, match, _priority) in self._parsed().items():
            found = (
                set(people_matching(parsed, match).filter(pk__in=ids).values_list("pk", flat=True)) if parsed else set()
            )
            self._members.setdefault(segment_id, set()).update(found)
        self._asked.update(ids)

    def is_member(self, segment_id: int, person_id) -> bool:
        if person_id is None:
            return False
        self.prepare([person_id])
        return person_id in self._members.get(segment_id, ())

    def priority(self, segment_id: int) -> int:
        return self._parsed().get(segment_id, ((), "all", 0))[2]


def choose_variant(value, membership: SegmentMembership, person_id) -> int:
    """The variant a personalised block shows a person: of the variants whose segment they are in,
    the one of the highest-priority segment (the first of equals), else -1 (the default)."""
    best, best_priority = -1, None
    for number, variant in enumerate(value.get("variants") or []):
        segment = variant.get("segment")
        if segment is None or not membership.is_member(segment.pk, person_id):
            continue
        priority = membership.priority(segment.pk)
        if best_priority is None or priority > best_priority:
            best, best_priority = number, priority
    return best


class Recommendations:
    """Pages a recommended-content block lists for each person of a batch."""

    def __init__(self, value):
        self.value = value
        self.count = max(1, min(int(value.get("count") or 3), 6))
        self._pool = None
        self._viewed: dict[int, set[str]] = {}
        self._asked: set[int] = set()

    def given(self) -> list:
        return [page for page in self.value.get("pages") or [] if page is not None and page.live]

    def pool(self) -> list[tuple[int, str, str]]:
        """(page id, title, url) of every page this block may show, given pages first, then newest."""
        if self._pool is None:
            from wagtail.models import Page

            given = self.given()
            newest = (
                Page.objects.live()
                .public()
                .filter(depth__gt=2)
                .exclude(pk__in=[page.pk for page in given])
                .order_by("-first_published_at", "-pk")[: self.count + POOL_EXTRA]
            )
            pool = []
            for page in [*given, *newest]:
                url = page_url(page)
                if url:
                    pool.append((page.pk, page.title, url))
            self._pool = pool
        return self._pool

    def prepare(self, person_ids) -> None:
        from leads.models import Interaction

        ids = [pk for pk in person_ids if pk is not None and pk not in self._asked]
        if not ids:
            return
        pool_ids = [str(pk) for pk, _title, _url in self.pool()]
        rows = Interaction.objects.filter(
            person_id__in=ids, type=Interaction.Type.PAGE_VIEW, object_id__in=pool_ids
        ).values_list("person_id", "object_id")
        for person_id, object_id in rows.distinct():
            self._viewed.setdefault(person_id, set()).add(object_id)
        self._asked.update(ids)

    def items_for(self, person_id) -> tuple[tuple[str, str], ...]:
        """(title, url) of the pages this person gets: every given page, then unviewed newest ones."""
        if person_id is not None:
            self.prepare([person_id])
        viewed = self._viewed.get(person_id, set())
        given_ids = {page.pk for page in self.given()}
        items = [(title, url) for pk, title, url in self.pool() if pk in given_ids]
        for pk, title, url in self.pool():
            if len(items) >= max(self.count, len(given_ids)):
                break
            if pk not in given_ids and str(pk) not in viewed:
                items.append((title, url))
        return tuple(items)
