"""Exports of the sales workspace's lists (CSV/XLSX, streamed or in the background)."""


def export_button(request, list_name: str):
    """The listing's "Export" header button, or None when the user may not export (stub)."""
    return None
