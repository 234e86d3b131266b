"""Site search: Wagtail search over live, public pages (PostgreSQL full-text on PostgreSQL)."""

from wagtail.models import Page


def search_pages(query: str):
    """Pages matching the query, best first, as their specific types."""
    return Page.objects.live().public().specific().search(query, operator="and")
