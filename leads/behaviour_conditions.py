"""What people did, as conditions with a count and a time window: "viewed /pricing/ twice in the last
7 days", "registered for event 7", "opened an email about topic:product-a in the last 30 days".

One definition for every reader of behaviour, so they cannot disagree on what a kind means:
- `condition_people` / `condition_q`: the condition as SQL over people (the segment editor's audience
  count in personalization, the sales lists' behaviour filter);
- `Condition.matches` and `person_behaviour` / `visitor_page_views`: the same test in Python over the
  events a visitor's state keeps (personalisation's per-request check, no query per request).

A value is a list: object ids (a whitepaper's or event's id, a form page's id, a page's slug, a custom
event's name, an email campaign's id), or `topic:<slug>` for anything on that topic; paths for URLs
(`*` matches any run of characters); tag slugs; stages. An empty list means "any" where that makes sense.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, Lookup, Q, Value
from django.db.models.fields.json import KeyTextTransform

from leads.models import Interaction, PersonTag, Stage, StageTransition

MAX_VALUES = 100
MAX_TIMES = 1000
MAX_DAYS = 3650
TOPIC_PREFIX = "topic:"
# What a visitor's state holds per person (personalisation): page views of the last HORIZON_DAYS, at
# most this many of each group, newest first. Older or further ones are known to SQL only.
HORIZON_DAYS = 90
PAGE_VIEWS_KEPT = 200
EMAILS_KEPT = 200
OTHERS_KEPT = 300
TAGS_KEPT = 200
STAGES_KEPT = 100


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    types: tuple[str, ...]  # interaction types; "tag" and "stage" read PersonTag and StageTransition
    help: str
    match: str = "id"  # "id" (object id or topic:), "path" (the page's path), "tag", "stage"
    needs_value: bool = False
    counts: bool = True  # whether "N times" means anything (a tag is on a person once)


PAGE_VIEW = Interaction.Type.PAGE_VIEW.value
KINDS = [
    Kind(
        "visited_page",
        "Visited page (slug or topic)",
        (PAGE_VIEW,),
        "page slugs such as pricing (home: the home page), or topic:<slug> for any page on that topic",
        needs_value=True,
    ),
    Kind(
        "visited_url",
        "Visited URL (path)",
        (PAGE_VIEW,),
        "paths as served, such as /pricing/ (capitals count); * matches anything, e.g. /whitepapers/*",
        match="path",
        needs_value=True,
    ),
    Kind("downloaded", "Downloaded content", ("content_download",), "whitepaper ids or topic:<slug>; empty = any"),
    Kind(
        "submitted_form",
        "Submitted form",
        ("form_submit", "contact_sales"),
        "form page ids; empty = any (a gated download or event registration is its own fact)",
    ),
    Kind("registered_event", "Registered for event", ("event_registered",), "event ids or topic:<slug>; empty = any"),
    Kind("attended_event", "Attended event", ("event_attended",), "event ids or topic:<slug>; empty = any"),
    Kind(
        "did_custom_event",
        "Did custom event",
        ("custom_event",),
        "names sent to /api/v1/track, e.g. trial_started",
        needs_value=True,
    ),
    Kind("opened_email", "Opened email", ("email_open",), "campaign ids or topic:<slug>; empty = any"),
    Kind("clicked_email", "Clicked a link in an email", ("email_click",), "campaign ids or topic:<slug>; empty = any"),
    Kind("has_tag", "Has tag", ("tag",), "tag slugs; empty = any tag; days: tagged within", match="tag", counts=False),
    Kind(
        "reached_stage",
        "Reached stage",
        ("stage",),
        "stages: mql, sql, opportunity, customer, nurture, ...",
        match="stage",
        needs_value=True,
    ),
]
KINDS_BY_CODE = {kind.code: kind for kind in KINDS}
KIND_CHOICES = [(kind.code, kind.label) for kind in KINDS]
EMAIL_TYPES = ("email_open", "email_click")
# An open by a machine (a mail-privacy proxy fetching every image on delivery) says nothing about the
# person: kept on the timeline, never counted by a condition. The key is tested first: an open recorded
# without it (an import, an older tracker) is a person's, and NOT over a missing key's NULL dropped it.
MACHINE_OPEN = Q(type="email_open", properties__has_key="machine", properties__machine=True)
OTHER_TYPES = tuple(sorted({t for kind in KINDS for t in kind.types} - {PAGE_VIEW, "tag", "stage", *EMAIL_TYPES}))


def glob_regex(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def glob_like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


@dataclass(frozen=True)
class Condition:
    """One parsed condition: what (kind and values), at least how many times, within how many days."""

    kind: Kind
    ids: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    times: int = 1
    days: int | None = None  # None: ever

    def __str__(self):
        values = ", ".join([*self.ids, *(TOPIC_PREFIX + t for t in self.topics), *self.paths]) or "any"
        times = f", {self.times}+ times" if self.times > 1 else ""
        window = f" in the last {self.days} day{'s' if self.days != 1 else ''}" if self.days else ""
        return f"{self.kind.label}: {values}{times}{window}"

    def matcher(self):
        """A function (key, path, topics) -> bool for the events of a visitor's state (see person_behaviour)."""
        if self.paths:
            exact = frozenset(path for path in self.paths if "*" not in path)
            globs = [glob_regex(path) for path in self.paths if "*" in path]
            return lambda key, path, topics: path in exact or any(glob.fullmatch(path) for glob in globs)
        if not (self.ids or self.topics):
            return lambda key, path, topics: True
        ids, wrapped = frozenset(self.ids), tuple(f",{topic}," for topic in self.topics)
        return lambda key, path, topics: key in ids or any(topic in topics for topic in wrapped)


def _error(field: str, message: str):
    return ValidationError({field: message})


def _number(text, field: str, low: int, high: int, what: str) -> int | None:
    text = str(text if text is not None else "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) < 8) or not low <= int(text) <= high:
        raise _error(field, f"Enter {what}: a whole number from {low} to {high:,}.")
    return int(text)


def _path(value: str) -> str:
    if value.lower().startswith(("http://", "https://")):
        value = urlsplit(value).path or "/"
    if not value.startswith("/"):
        raise _error("value", f"“{value[:50]}” is not a path: paths start with /, such as /pricing/.")
    last = value.rsplit("/", 1)[-1]
    # Pages are served at paths ending in a slash: /pricing means /pricing/ (a file such as /a.pdf keeps its name).
    return value if not last or "*" in last or "." in last else value + "/"


def condition_parse(kind_code: str, values, times=None, days=None) -> Condition:
    """Check a condition and make it one; a ValidationError names the field: value, times or days."""
    kind = KINDS_BY_CODE.get(kind_code)
    if kind is None:
        raise _error("kind", "Choose what the person did from the list.")
    items = [str(item).strip() for item in values if str(item).strip()]
    if len(items) > MAX_VALUES:
        raise _error("value", f"At most {MAX_VALUES} values in one condition.")
    if any(len(item) > 500 or "\x00" in item for item in items):
        raise _error("value", "A value is too long or not text.")
    if kind.needs_value and not items:
        raise _error("value", f"Enter at least one value: {kind.help}.")
    count = _number(times, "times", 1, MAX_TIMES, "how many times") or 1
    window = _number(days, "days", 1, MAX_DAYS, "a number of days, or leave it empty for ever")
    if count > 1 and not kind.counts:
        raise _error("times", f"“{kind.label}” happens once per person: leave the number of times at 1.")
    ids, topics, paths = [], [], []
    for item in items:
        if kind.match == "path":
            paths.append(_path(item))
        elif kind.match == "id" and item.lower().startswith(TOPIC_PREFIX):
            topic = item[len(TOPIC_PREFIX) :].strip().lower()
            if not re.fullmatch(r"[\w-]{1,60}", topic):
                raise _error("value", f"“{item[:50]}”: write a topic as topic:<slug>, e.g. topic:ai-automation.")
            topics.append(topic)
        elif kind.match == "stage":
            if item.lower() not in Stage.values:
                raise _error("value", f"“{item[:50]}” is not a stage: choose from {', '.join(Stage.values)}.")
            ids.append(item.lower())
        else:
            # Tag slugs are lower case (slugify); other ids (page slugs, custom event names) are kept as written.
            ids.append(item.lower() if kind.code == "has_tag" else item[:64])
    unique = lambda values: tuple(dict.fromkeys(values))  # noqa: E731 - same order, no repeats
    return Condition(kind, unique(ids), unique(topics), unique(paths), count, window)


# --- SQL over people ------------------------------------------------------------------------------------
class _Like(Lookup):
    """`lhs LIKE rhs` with a backslash escape, the same on PostgreSQL and SQLite (a glob made LIKE)."""

    lookup_name = "sp_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


def _interaction_match(condition: Condition) -> Q:
    """Which of a kind's interactions count: by path (a LIKE per pattern), or by object id and topics."""
    path = KeyTextTransform("path", "properties")
    tests = [Q(_Like(path, Value(glob_like(pattern)))) & _slug_q(pattern) for pattern in condition.paths]
    if condition.ids:
        tests.append(Q(object_id__in=condition.ids))
    tests += [Q(object_topics__contains=f",{topic},") for topic in condition.topics]
    return reduce(operator.or_, tests) if tests else Q()


HOME_SLUG = "home"


def page_slug(path: str) -> str:
    """A page view's object id: the last part of its path ("pricing" for /solutions/pricing/), what a
    marketer types in a rule; the home page ("/") is "home"."""
    return path.strip("/").rsplit("/", 1)[-1][:64] or HOME_SLUG


def _slug_q(pattern: str) -> Q:
    """A path whose last part is written out fixes the page's slug, the view's object id (leads.behaviour
    writes the path's last part there): saying so lets an index on (type, object_id) find the views
    instead of reading every view of the window. Redundant otherwise, so memory needs no twin of it."""
    return Q() if "*" in pattern.rstrip("/").rsplit("/", 1)[-1] else Q(object_id=page_slug(pattern))


def condition_rows(condition: Condition, *, now: datetime):
    """The rows that count towards the condition (interactions, tags or stage moves) of known people."""
    since = now - timedelta(days=condition.days) if condition.days else None
    kind = condition.kind
    if kind.match == "tag":
        rows = PersonTag.objects.filter(tag__slug__in=condition.ids) if condition.ids else PersonTag.objects.all()
        return rows.filter(added_at__gte=since) if since else rows
    if kind.match == "stage":
        rows = StageTransition.objects.filter(to_stage__in=condition.ids)
        return rows.filter(occurred_at__gte=since) if since else rows
    types = kind.types
    # The (type, occurred_at) index: one type, and a window when there is one.
    rows = Interaction.objects.filter(type=types[0]) if len(types) == 1 else Interaction.objects.filter(type__in=types)
    rows = rows.filter(person__isnull=False).filter(_interaction_match(condition))
    if "email_open" in types:
        rows = rows.exclude(MACHINE_OPEN)
    return rows.filter(occurred_at__gte=since) if since else rows


def condition_people(condition: Condition, *, now: datetime):
    """The ids of the people meeting the condition, as a subquery (never NULL, so NOT IN is safe).
    "N or more times" is a GROUP BY person HAVING COUNT >= N."""
    rows = condition_rows(condition, now=now).order_by()
    if condition.times > 1:
        return rows.values("person_id").annotate(n=Count("pk")).filter(n__gte=condition.times).values("person_id")
    return rows.values("person_id")


def condition_q(condition: Condition, *, now: datetime, field: str = "pk") -> Q:
    """The condition as a filter on rows whose `field` is a person's id: an uncorrelated IN (a semi-join
    under AND, one hashed subplan under OR, whatever the number of people)."""
    return Q(**{f"{field}__in": condition_people(condition, now=now)})


# --- Events for the per-request check (personalisation) ----------------------------------------------
def micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970: exact, so a view loaded back from the database is
    recognised as the same view a visitor's state already counted."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moment(value) -> datetime:
    # Through a UNION, SQLite hands timestamps back as text.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _event_columns(rows, kind: str = ""):
    if kind == "tag":
        return rows.values_list(
            "added_at", Value("tag", output_field=CharField()), "tag__slug", Value(""), Value("")
        ).order_by("-added_at")
    if kind == "stage":
        return rows.values_list(
            "occurred_at", Value("stage", output_field=CharField()), "to_stage", Value(""), Value("")
        ).order_by("-occurred_at")
    return rows.values_list(
        "occurred_at", "type", "object_id", KeyTextTransform("path", "properties"), "object_topics"
    ).order_by("-occurred_at")


def _events(parts) -> dict[str, tuple]:
    """Run the parts as one UNION ALL (each keeps its own order and limit) and group the events by type:
    {type: ((micros, key, path, topics), ...) newest first}."""
    sqls, params = [], []
    for number, part in enumerate(parts):
        sql, part_params = part.query.sql_with_params()
        sqls.append(f"SELECT * FROM ({sql}) AS part{number}")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sqls), params)
        rows = cursor.fetchall()
    grouped: dict[str, list] = {}
    for moment, kind, key, path, topics in rows:
        grouped.setdefault(kind, []).append((micros(_moment(moment)), key or "", path or "", topics or ""))
    return {kind: tuple(sorted(events, reverse=True)) for kind, events in grouped.items()}


def person_behaviour(person_id: int, *, now: datetime) -> dict[str, tuple]:
    """What a person did, for segment rules evaluated per request: one query. Page views of the last
    HORIZON_DAYS days (all their browsers), emails, forms, downloads, events, custom events, tags and
    stage moves; each group capped (see the constants), newest first."""
    mine = Interaction.objects.filter(person_id=person_id)
    parts = [
        _event_columns(mine.filter(type=PAGE_VIEW, occurred_at__gte=now - timedelta(days=HORIZON_DAYS)))[
            :PAGE_VIEWS_KEPT
        ],
        _event_columns(mine.filter(type__in=EMAIL_TYPES).exclude(MACHINE_OPEN))[:EMAILS_KEPT],
        _event_columns(mine.filter(type__in=OTHER_TYPES))[:OTHERS_KEPT],
        _event_columns(PersonTag.objects.filter(person_id=person_id), "tag")[:TAGS_KEPT],
        _event_columns(StageTransition.objects.filter(person_id=person_id), "stage")[:STAGES_KEPT],
    ]
    return _events(parts)


def visitor_page_views(visitor_id: str, *, now: datetime, limit: int) -> tuple:
    """An anonymous browser's page views of the last HORIZON_DAYS days, newest first: one query on the
    (visitor_id, occurred_at) index."""
    rows = _event_columns(
        Interaction.objects.filter(
            visitor_id=visitor_id, type=PAGE_VIEW, occurred_at__gte=now - timedelta(days=HORIZON_DAYS)
        )
    )[:limit]
    return tuple((micros(moment), key or "", path or "", topics or "") for moment, _, key, path, topics in rows)


__all__ = [
    "KINDS",
    "KIND_CHOICES",
    "KINDS_BY_CODE",
    "Condition",
    "Kind",
    "condition_parse",
    "condition_people",
    "condition_q",
    "micros",
    "person_behaviour",
    "visitor_page_views",
]
