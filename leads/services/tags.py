"""Tags on people: added and removed by hand, in bulk from a sales list, by imports, forms and webhooks.

Set-based whatever the count. One INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING puts a set of
tags on a set of people, one DELETE ... RETURNING takes them off; both say exactly which (person, tag)
rows changed, so one more INSERT ... SELECT writes a timeline entry (tag_added / tag_removed, with who,
when and how) for each real change and none for a no-op. The unique person+tag makes a change safe to
run twice or at the same moment: the second run finds nothing to change and writes nothing.

A tag is created from its name on first use; its slug (`slugify`) is its identity, which imports,
hidden fields and scoring rules name. A change rescores the people concerned (and applies the stage
rules) only when an active fit rule reads tags: otherwise the score cannot move.
"""

import json
import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from leads.cleaning import MARKUP, clean_text
from leads.models import Interaction, Person, PersonTag, ScoringRule, Tag
from leads.signals import people_changed, send_after_commit

logger = logging.getLogger(__name__)

NAME_MAX = Tag._meta.get_field("name").max_length
TAGS_PER_CHANGE = 20  # names in one change (a form, an import cell, a request)
# Past this many people a change tells personalisation "everybody changed" rather than naming them.
NAMED_PEOPLE_MAX = 2000
# How a lead's source puts a tag on a person.
SOURCE_OF_LEAD = {
    "form": PersonTag.Source.FORM,
    "import": PersonTag.Source.IMPORT,
    "webhook": PersonTag.Source.API,
    "api": PersonTag.Source.API,
}


class TagError(ValueError):
    """A tag name we cannot use; `field` names the input it came from."""

    def __init__(self, message: str, field: str = "tags"):
        super().__init__(message)
        self.field = field


@dataclass
class TagChange:
    """What a change did: the tags it was about and the (person id, tag id) rows that really changed."""

    tags: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    @property
    def people(self) -> set[int]:
        return {person_id for person_id, _ in self.rows}

    def __len__(self):
        return len(self.rows)


def tag_slug(name: str) -> str:
    return slugify(name, allow_unicode=True)[: Tag._meta.get_field("slug").max_length]


def tag_name_clean(value, *, field: str = "tags") -> str:
    """One name as shown: one line, spaces collapsed. Raises TagError (naming `field`) for a name that is
    too long, looks like HTML, or has no letter or digit to make a slug of. '' for an empty one."""
    text = " ".join(clean_text(value)[0].split())
    if not text:
        return ""
    shown = text if len(text) <= 40 else text[:40] + "…"
    if len(text) > NAME_MAX:
        raise TagError(f"The tag “{shown}” is longer than {NAME_MAX} characters.", field)
    if MARKUP.search(text) or "<" in text or ">" in text:
        raise TagError(f"The tag “{shown}” looks like HTML: use plain words.", field)
    if not tag_slug(text):
        raise TagError(f"The tag “{shown}” has no letter or digit: a tag needs at least one.", field)
    return text


def tag_names_parse(value, *, field: str = "tags", strict: bool = True) -> list[str]:
    """'Webinar follow-up, called-q4' (or a list of names) -> the names, one per slug, in order.

    Empty items are skipped ("a,,b"). With `strict`, a bad name raises TagError naming `field`; without
    (a lead being processed in the worker, where nobody can correct it), bad names are left out and logged.
    """
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    names, slugs = [], set()
    for item in items:
        try:
            name = tag_name_clean(item, field=field)
        except TagError:
            if strict:
                raise
            logger.warning("Left out a tag that cannot be used: %r", str(item)[:80])
            continue
        if name and tag_slug(name) not in slugs:
            slugs.add(tag_slug(name))
            names.append(name)
    if len(names) > TAGS_PER_CHANGE:
        if strict:
            raise TagError(f"At most {TAGS_PER_CHANGE} tags at a time ({len(names)} given).", field)
        names = names[:TAGS_PER_CHANGE]
    return names


def tags_resolve(names, *, by=None) -> list[Tag]:
    """The tags of these (clean) names, created when new: one query when they all exist, three at most."""
    wanted = {}
    for name in names:
        wanted.setdefault(tag_slug(name), name)
    if not wanted:
        return []
    found = Tag.objects.in_bulk(list(wanted), field_name="slug")
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        user = by if getattr(by, "pk", None) else None
        # ignore_conflicts: a tag made by someone else a moment ago is simply used.
        Tag.objects.bulk_create(
            [Tag(name=wanted[slug], slug=slug, created_by=user) for slug in missing], ignore_conflicts=True
        )
        found.update(Tag.objects.in_bulk(missing, field_name="slug"))
    return [found[slug] for slug in wanted if slug in found]


def tags_find(names) -> list[Tag]:
    """The existing tags among these names or slugs (taking off a tag nobody has changes nothing)."""
    slugs = {tag_slug(str(name)) for name in names if tag_slug(str(name))}
    return list(Tag.objects.filter(slug__in=slugs).order_by("name")) if slugs else []


# --- The set-based change ------------------------------------------------------------------------


def _quoted(model):
    return connection.ops.quote_name(model._meta.db_table)


def _people_sql(people):
    """(SQL, params) selecting the ids of `people`: a Person queryset (a whole filtered list), or
    people / ids."""
    if not isinstance(people, QuerySet):
        people = Person.objects.filter(pk__in=[getattr(person, "pk", person) for person in people])
    return people.order_by().values("pk").query.sql_with_params()


def _pairs_sql(rows):
    """(SQL, params) of a derived table (person_id, tag_id) holding `rows`, in one parameter or two."""
    if connection.vendor == "postgresql":
        return (
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS u(person_id, tag_id)",
            [[person_id for person_id, _ in rows], [tag_id for _, tag_id in rows]],
        )
    return (
        "SELECT CAST(json_extract(value, '$[0]') AS INTEGER) AS person_id,"
        " CAST(json_extract(value, '$[1]') AS INTEGER) AS tag_id FROM json_each(%s)",
        [json.dumps([list(row) for row in rows])],
    )


def _at_param(at):
    return connection.ops.adapt_datetimefield_value(at)


def _by(by) -> tuple[int | None, dict]:
    user_id = getattr(by, "pk", None)
    return user_id, ({"by": by.get_username(), "by_id": user_id} if user_id else {})


def _timeline(rows, *, added: bool, by, source: str, at) -> None:
    """One tag_added / tag_removed interaction per changed row: the tag's slug and name, who, how."""
    if not rows:
        return
    _, who = _by(by)
    properties = json.dumps({**who, "source": source})
    pairs, pair_params = _pairs_sql(rows)
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    columns = (
        "type, occurred_at, person_id, visitor_id, object_type, object_id, object_label, object_topics, properties"
    )
    sql = (
        f"INSERT INTO {_quoted(Interaction)} ({columns})"
        f" SELECT %s, %s, x.person_id, '', 'tag', t.slug, t.name, '', {cast}"
        f" FROM ({pairs}) AS x JOIN {_quoted(Tag)} t ON t.id = x.tag_id"
    )
    kind = Interaction.Type.TAG_ADDED if added else Interaction.Type.TAG_REMOVED
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(kind), _at_param(at), properties, *pair_params])


def _after_change(change: TagChange, *, rescore: bool) -> TagChange:
    """Rescore (and apply the stage rules to) the people changed when a fit rule reads tags; tell
    personalisation their facts changed either way."""
    ids = sorted(change.people)
    if not ids:
        return change
    if rescore and tags_are_scored():
        from .lifecycle import people_stage_rules_apply
        from .scoring import people_rescore

        people_rescore(ids)
        people_stage_rules_apply(person_ids=ids)
    send_after_commit(people_changed, person_ids=ids if len(ids) <= NAMED_PEOPLE_MAX else None)
    return change


def tags_are_scored() -> bool:
    return ScoringRule.objects.filter(
        kind=ScoringRule.Kind.FIT, is_active=True, attribute=ScoringRule.Attribute.TAGS
    ).exists()


def _source(source) -> str:
    return source if source in PersonTag.Source.values else SOURCE_OF_LEAD.get(source, PersonTag.Source.MANUAL)


@transaction.atomic
def people_tags_add(people, tags, *, by=None, source=PersonTag.Source.MANUAL, at=None, rescore=True) -> TagChange:
    """Put `tags` on `people` (a Person queryset, such as a whole filtered list, or people or ids) in
    one statement; a tag someone already has is left as it was (when, who, how) and writes nothing."""
    tags = [tag for tag in tags if tag is not None]
    if not tags:
        return TagChange()
    at, source = at or timezone.now(), _source(source)
    user_id, _ = _by(by)
    people_sql, people_params = _people_sql(people)
    tag_ids = [tag.pk for tag in tags]
    sql = (
        f"INSERT INTO {_quoted(PersonTag)} (person_id, tag_id, source, added_at, added_by_id)"
        f" SELECT p.id, t.id, %s, %s, %s FROM {_quoted(Person)} p CROSS JOIN {_quoted(Tag)} t"
        f" WHERE p.id IN ({people_sql}) AND t.id IN ({', '.join(['%s'] * len(tag_ids))})"
        " ON CONFLICT (person_id, tag_id) DO NOTHING RETURNING person_id, tag_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, _at_param(at), user_id, *people_params, *tag_ids])
        rows = [tuple(row) for row in cursor.fetchall()]
    _timeline(rows, added=True, by=by, source=source, at=at)
    return _after_change(TagChange(tags, rows), rescore=rescore)


@transaction.atomic
def people_tags_remove(people, tags, *, by=None, source=PersonTag.Source.MANUAL, at=None, rescore=True) -> TagChange:
    """Take `tags` off `people`; a tag someone does not have writes nothing."""
    tags = [tag for tag in tags if tag is not None]
    if not tags:
        return TagChange()
    at, source = at or timezone.now(), _source(source)
    people_sql, people_params = _people_sql(people)
    tag_ids = [tag.pk for tag in tags]
    sql = (
        f"DELETE FROM {_quoted(PersonTag)} WHERE person_id IN ({people_sql})"
        f" AND tag_id IN ({', '.join(['%s'] * len(tag_ids))}) RETURNING person_id, tag_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*people_params, *tag_ids])
        rows = [tuple(row) for row in cursor.fetchall()]
    _timeline(rows, added=False, by=by, source=source, at=at)
    return _after_change(TagChange(tags, rows), rescore=rescore)


def person_tags_add(person: Person, names, *, by=None, source=PersonTag.Source.MANUAL, at=None) -> TagChange:
    """Tag one person by name ('Webinar follow-up, called-q4'), creating new tags. Raises TagError."""
    tags = tags_resolve(tag_names_parse(names), by=by)
    return people_tags_add([person.pk], tags, by=by, source=source, at=at)


def person_tags_remove(person: Person, names, *, by=None, source=PersonTag.Source.MANUAL, at=None) -> TagChange:
    """Take tags (by name or slug) off one person. Raises TagError for a name that cannot be a tag."""
    tags = tags_find(tag_names_parse(names))
    return people_tags_remove([person.pk], tags, by=by, source=source, at=at)


@transaction.atomic
def people_tags_from_answers(answers, *, source, by=None, at=None, rescore=False) -> TagChange:
    """Tags that came with captures: `answers` is (person id, the `tags` answer) per capture, each
    answer its own names ('a, b' or a list). Bad names are left out (nobody is there to correct them);
    all the tags are resolved at once and put on in one statement. No rescore by default: the
    capture rescores its people afterwards."""
    wanted: dict[int, list[str]] = {}
    for person_id, value in answers:
        names = tag_names_parse(value, strict=False) if value and person_id else []
        if names:
            wanted.setdefault(person_id, []).extend(names)
    if not wanted:
        return TagChange()
    tags = {tag.slug: tag for tag in tags_resolve([name for names in wanted.values() for name in names], by=by)}
    pairs = sorted(
        {
            (person_id, tags[slug].pk)
            for person_id, names in wanted.items()
            for slug in map(tag_slug, names)
            if slug in tags
        }
    )
    at, source = at or timezone.now(), _source(source)
    user_id, _ = _by(by)
    pairs_sql, pair_params = _pairs_sql(pairs)
    sql = (
        f"INSERT INTO {_quoted(PersonTag)} (person_id, tag_id, source, added_at, added_by_id)"
        f" SELECT x.person_id, x.tag_id, %s, %s, %s FROM ({pairs_sql}) AS x WHERE x.person_id IS NOT NULL"
        " ON CONFLICT (person_id, tag_id) DO NOTHING RETURNING person_id, tag_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, _at_param(at), user_id, *pair_params])
        rows = [tuple(row) for row in cursor.fetchall()]
    _timeline(rows, added=True, by=by, source=source, at=at)
    return _after_change(TagChange(list(tags.values()), rows), rescore=rescore)


def people_tags_from_captures(prepared, *, source, at=None) -> TagChange:
    """The `tags` answers of a batch of captures (BulkCapture's rows: .person, .cleaned, .row.fields).
    Junk leaves a person as they were, tags included."""
    return people_tags_from_answers(
        (
            (row.person.pk, row.row.fields.get("tags"))
            for row in prepared
            if row.person is not None and not row.cleaned.is_junk and isinstance(row.row.fields, dict)
        ),
        source=source,
        at=at,
    )


# --- The tags themselves (the Tags screen) -----------------------------------------------------------


def tag_create(name, *, by=None) -> Tag:
    """A new tag from its name. Raises TagError (field "name") for a bad name or one already taken."""
    name = tag_name_clean(name, field="name")
    if not name:
        raise TagError("Give the tag a name.", "name")
    if Tag.objects.filter(slug=tag_slug(name)).exists():
        raise TagError(f"There is already a tag “{name}”.", "name")
    return tags_resolve([name], by=by)[0]


def tag_rename(tag: Tag, name) -> Tag:
    """A new name for a tag. Its slug stays (imports, hidden fields and rules name it), so no person's
    tags change. Raises TagError (field "name") for a bad name or another tag's."""
    name = tag_name_clean(name, field="name")
    if not name:
        raise TagError("Give the tag a name.", "name")
    if Tag.objects.filter(slug=tag_slug(name)).exclude(pk=tag.pk).exists():
        raise TagError(f"There is already a tag “{name}”.", "name")
    tag.name = name
    tag.save(update_fields=["name"])
    return tag


@transaction.atomic
def tag_delete(tag: Tag, *, by=None) -> int:
    """Delete a tag: it comes off everybody first, each on their timeline. Returns how many people had it."""
    change = people_tags_remove(Person.objects.filter(person_tags__tag=tag), [tag], by=by)
    tag.delete()
    return len(change)
