"""Which scheme, host and port absolute links start with.

In production the configured base URLs, never a Host header a client made up: the Site records for
pages, WAGTAILAPI_BASE_URL for the content API's own links, WAGTAILADMIN_BASE_URL for image
renditions, SITE_BASE_URL for links in emails and calendar files.

In development (DEBUG: `make run`, `manage.py runserver`) the address the site is being served on:
the request's host and port where there is a request, so `make run PORT=8765` links to 8765 whatever
the Site record or the settings say; without a request (emails sent by background tasks, calendar
files), SITE_BASE_URL, which `make run` sets from its PORT.
"""

from urllib.parse import urlsplit

from django.conf import settings


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def development_origin(request=None) -> str | None:
    """The origin to use in development: the request's, else SITE_BASE_URL's; None in production."""
    if not settings.DEBUG:
        return None
    if request is not None and hasattr(request, "get_host"):  # an HttpRequest or DRF's Request around one
        return f"{request.scheme}://{request.get_host()}"
    return _origin(settings.SITE_BASE_URL) or None


def absolute_url(url: str, request=None, *, configured: str = "") -> str:
    """`url` made absolute. A URL that already names its host (a CDN's) is left alone; a path gets the
    development origin, else the configured base URL (SITE_BASE_URL unless the caller names another)."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return url
    return (development_origin(request) or _origin(configured or settings.SITE_BASE_URL)) + url
