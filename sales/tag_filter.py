"""The sales lists' Tag filter: people with any of the chosen tags, `?tag=vip&tag=called-q4` (slugs).

On the people list it is the person's tags, on the leads list the lead's person's, on the companies list
"someone there (whom the user may see) has the tag". An EXISTS on the (person, tag) index, never a join
that repeats rows. A tag is named by its slug, as imports, hidden fields and scoring rules name it; a
well-formed slug that no tag has (yet, or any more) is accepted, as a saved filter outlives the menu's
choices, and simply matches nobody.
"""

import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from leads.models import PersonTag, Tag
from leads.services.tags import tag_slug
from sales.filter_choices import CHOICES_CACHE_SECONDS

PARAM = "tag"
MAX_TAGS = 20


def tag_choices() -> list[tuple[str, str]]:
    """Every tag, by name (cached a minute, like the other menus)."""

    def build():
        return [(tag.slug, tag.name) for tag in Tag.objects.order_by("name").only("slug", "name")]

    return cache.get_or_set("sales:filters:tags", build, CHOICES_CACHE_SECONDS)


class TagField(django_filters.fields.MultipleChoiceField):
    """Slugs in any case (`tag=VIP` means vip); a value that is not a slug is an error on `tag`."""

    default_error_messages = {
        "invalid_choice": "Choose tags by their slug, such as webinar-follow-up: “%(value)s” is not one.",
        "invalid_list": "Choose tags by their slug, such as webinar-follow-up.",
    }

    def to_python(self, value):
        return [str(item).strip().lower() for item in super().to_python(value)]

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise forms.ValidationError(f"Choose at most {MAX_TAGS} tags.", code="too_many")

    def valid_value(self, value):
        return 0 < len(value) <= 60 and tag_slug(value) == value


class TagFilter(django_filters.MultipleChoiceFilter):
    field_class = TagField


def tag_filter(label: str = "Tag") -> TagFilter:
    return TagFilter(
        label=label,
        method="filter_tag",
        choices=tag_choices,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Any of the chosen tags",
    )


def _tags(slugs):
    return PersonTag.objects.filter(tag_id__in=Tag.objects.filter(slug__in=list(slugs)).values("pk"))


def tagged(slugs, *, person_path: str = "") -> Exists:
    """The row's person (`person_path` leads to it: "" on people, "person__" on leads) has any of `slugs`."""
    return Exists(_tags(slugs).filter(person_id=OuterRef("person_id" if person_path else "pk")))


def company_tagged(slugs, scope_condition=None) -> Exists:
    """Someone at the company has any of `slugs`; only people matching `scope_condition` (a Q on
    PersonTag's person, from sales.access) count."""
    tags = _tags(slugs).filter(person__company=OuterRef("pk"))
    if scope_condition is not None:
        tags = tags.filter(scope_condition)
    return Exists(tags)
