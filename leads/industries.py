"""Industries by name, for every screen and file that shows a company's industry.

A company's industry is stored as it came in: a slug (`banking`, from a form's dropdown or a scoring
rule's value) or free text (`Real estate`, from an import). People read names: "Banking & Financial
Services". The names belong to the site's taxonomy (cms's Industry snippet) and the lead store knows
nothing of cms (DESIGN.md), so it asks with the `industry_names_requested` signal and caches the
answer for a minute in Django's cache (shared by every app server); the taxonomy's owner forgets it
when a name changes. A value nobody names reads as itself, made readable ("real_estate" -> "Real
estate"); text typed with capitals is already a name and stays as it is.
"""

import re

from django.core.cache import cache

from leads.signals import industry_names_requested

CACHE_KEY = "leads:industry-names"
CACHE_SECONDS = 60


def industry_names() -> dict[str, str]:
    """{slug: name} of every industry a taxonomy names (slugs lower-cased)."""

    def build():
        names: dict[str, str] = {}
        for _receiver, answer in industry_names_requested.send(sender=None):
            names.update({str(slug).strip().lower(): str(name) for slug, name in (answer or {}).items() if name})
        return names

    return cache.get_or_set(CACHE_KEY, build, CACHE_SECONDS)


def industry_names_forget() -> None:
    """A name changed: the next reader asks again."""
    cache.delete(CACHE_KEY)


def readable(value: str) -> str:
    """ "real_estate" -> "Real estate"; "Real Estate" stays as it is."""
    if value != value.lower():
        return value
    text = " ".join(re.sub(r"[_-]+", " ", value).split())
    return text[:1].upper() + text[1:]


def industry_name(value, names: dict[str, str] | None = None) -> str:
    """The name of a stored industry value ("" for none). Pass `names` when naming many."""
    value = str(value or "").strip()
    if not value:
        return ""
    names = industry_names() if names is None else names
    return names.get(value.lower()) or readable(value)


class IndustryNamer(dict):
    """A name for every value, each worked out once: `IndustryNamer()[value]`. For a file of a million
    rows (a dict lookup per cell, not a cache read)."""

    def __init__(self, names: dict[str, str] | None = None):
        super().__init__()
        self.names = industry_names() if names is None else names

    def __missing__(self, value):
        name = industry_name(value, self.names)
        self[value] = name
        return name
