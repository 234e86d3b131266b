"""Redirects built from request data stay on the site.

A path such as `//evil.example/` (or `/%2Fevil.example/`, `/\\evil.example/`) is a valid request
path, but as a `Location` browsers read it as scheme-relative: another host. So every redirect the
product builds from what a request carried goes through `same_site_url`, and `OffSiteRedirectGuard`
catches any scheme-relative `Location` that slips through anyway (a library's redirect, a future
view), whatever built it.
"""

import logging
from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger(__name__)

SCHEME_RELATIVE_STARTS = ("//", "/\\", "\\")


def local_path(path: str) -> str:
    """`//evil.example/x` -> `/evil.example/x`: one leading slash, so the path can't name a host."""
    return "/" + path.lstrip("/\\")


def same_site_url(request, url: str, fallback: str = "/") -> str:
    """`url` when it points at this site (a path, or this host over an allowed scheme), else `fallback`."""
    if (
        url
        and not url.startswith(SCHEME_RELATIVE_STARTS)
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return url
    return fallback


def _is_scheme_relative(location: str) -> bool:
    # Browsers drop tabs and newlines inside URLs and treat "\" like "/": normalise as they do.
    cleaned = location.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    return cleaned.startswith(SCHEME_RELATIVE_STARTS) and not urlsplit(cleaned.replace("\\", "/")).scheme


class OffSiteRedirectGuard:
    """Last line of defence: a `Location` that starts like `//host` or `/\\host` is rewritten to a path
    on this site. Absolute URLs (`https://...`) are left alone: those are deliberate (an editor's
    redirect to a partner site), never built from a request path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        location = response.get("Location") if response.has_header("Location") else None
        if location and _is_scheme_relative(location):
            logger.warning("Refused a scheme-relative redirect to %r from %s", location[:200], request.path[:200])
            response["Location"] = local_path(location.strip())
        return response
