"""Saved filters: named query strings on a list, private or shared (stub; see the issue)."""


def saved_filter_context(request, list_name: str) -> dict:
    """What a list's saved-filter bar needs (template sales/saved_filters/_bar.html)."""
    return {}
