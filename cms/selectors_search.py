"""Site search: Wagtail search over live, public pages (PostgreSQL full-text on PostgreSQL)."""

from modelsearch.utils import parse_query_string
from wagtail.models import Page


def search_pages(query: str, *, site=None):
    """Pages of the site matching the query, best first, as their specific types.

    The query goes through Wagtail's parser rather than straight to the backend: "quoted phrases"
    work, and a stray quote or bracket cannot reach SQLite's FTS5 as a syntax error.
    """
    _, parsed = parse_query_string(query, operator="and")
    pages = Page.objects.live().public()
    pages = pages.in_site(site) if site is not None else pages.filter(depth__gt=1)
    return pages.exclude(depth=1).specific().search(parsed)
