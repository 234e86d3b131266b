"""The choices of the lists' filter menus (sources, owners, industries) and what a source value means.

A source is written `content:42`, `event:7` or `form:12` in a query string (sales.filters); this module
parses it and names it ("Whitepaper: State of RevOps") for the filter menu and the list it chooses.
The choices run on every list page, so each is cheap and cached for a minute in Django's cache (shared by
every app server).
"""

import re

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef
from wagtail.admin.utils import get_user_display_name

from leads.industries import industry_name, industry_names
from leads.models import Company, Lead, Person, SalesRep

# How a lead's origin reads in a list: content is what marketing calls a whitepaper.
ORIGIN_NAMES = {"content": "Whitepaper", "event": "Event", "form": "Form", "other": "Other"}
SOURCE_PATTERN = re.compile(r"^(content|event|form|other):([\w.-]{1,64})$")
CHOICES_CACHE_SECONDS = 60  # the choices run on every list page; a new whitepaper shows up within a minute


# --- Choices: cheap, cached for a minute in Django's cache (shared by every app server) ------------
def source_choices() -> list[tuple[str, str]]:
    """Every whitepaper, event and form that has leads: ("content:42", "Whitepaper: State of RevOps")."""

    def build():
        rows = (
            Lead.objects.filter(origin_type__in=["content", "event", "form"])
            .exclude(origin_id="")
            .values("origin_type", "origin_id")
            .annotate(label=Max("origin_label"))
            .order_by("origin_type", "label", "origin_id")
        )
        return [
            (
                f"{row['origin_type']}:{row['origin_id']}",
                origin_text(row["origin_type"], row["origin_id"], row["label"]),
            )
            for row in rows
        ]

    return cache.get_or_set("sales:filters:sources", build, CHOICES_CACHE_SECONDS)


def owner_choices() -> list[tuple[str, str]]:
    """Users who own people or are sales reps, by name (one probe of an index per user, not a scan)."""

    def build():
        users = (
            get_user_model()
            .objects.filter(
                Exists(Person.objects.filter(owner=OuterRef("pk")))
                | Exists(SalesRep.objects.filter(user=OuterRef("pk")))
            )
            .order_by("first_name", "last_name", "username")
        )
        return [(str(user.pk), get_user_display_name(user)) for user in users]

    return [("me", "Me"), ("none", "Nobody"), *cache.get_or_set("sales:filters:owners", build, CHOICES_CACHE_SECONDS)]


def industry_choices() -> list[tuple[str, str]]:
    """Every industry a company has, by name ("banking" -> "Banking & Financial Services")."""

    def build():
        values = Company.objects.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()
        names = industry_names()
        return sorted(((value, industry_name(value, names)) for value in values), key=lambda choice: choice[1].lower())

    return cache.get_or_set("sales:filters:industries", build, CHOICES_CACHE_SECONDS)


def origin_text(origin_type: str, origin_id: str, label: str = "") -> str:
    return f"{ORIGIN_NAMES.get(origin_type, origin_type.capitalize())}: {label or f'#{origin_id}'}"


def source_label(value: str) -> str:
    """ "Whitepaper: State of RevOps" for `content:42`: from the cached choices, else from its latest lead
    (a whitepaper that converted its first person a moment ago is not in the cached list yet)."""
    label = dict(source_choices()).get(value)
    if label:
        return label
    parsed = parse_source(value)
    if parsed is None:
        return value
    origin_type, origin_id = parsed
    latest = (
        Lead.objects.filter(origin_type=origin_type, origin_id=origin_id)
        .order_by("-received_at")
        .values_list("origin_label", flat=True)
        .first()
    )
    return origin_text(origin_type, origin_id, latest or "")


def parse_source(value: str) -> tuple[str, str] | None:
    match = SOURCE_PATTERN.match(value or "")
    return (match.group(1), match.group(2)) if match else None
