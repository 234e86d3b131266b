"""What a request itself says about the visitor: device, country, referrer, and whether tracking is allowed.

Read from the request's headers, cookies and query string: no cache, no database.
"""

from __future__ import annotations

import functools
from urllib.parse import urlparse

from django.conf import settings
from user_agents import parse as parse_user_agent

from leads.cleaning import clean_text

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


@functools.lru_cache(maxsize=4096)
def device_of(user_agent: str) -> tuple[str, str, str]:
    """(device type, OS, browser) from a User-Agent; parsed once per distinct string per process."""
    if not user_agent:
        return "other", "", ""
    parsed = parse_user_agent(user_agent)
    if parsed.is_bot:
        kind = "bot"
    elif parsed.is_tablet:
        kind = "tablet"
    elif parsed.is_mobile:
        kind = "mobile"
    elif parsed.is_pc:
        kind = "desktop"
    else:
        kind = "other"
    return kind, parsed.os.family[:50], parsed.browser.family[:50]


def request_user_agent(request) -> str:
    # A server-side front end passes its visitor's browser along; the header is only ever about the visitor.
    value = request.META.get("HTTP_X_VISITOR_USER_AGENT") or request.META.get("HTTP_USER_AGENT") or ""
    return clean_text(value, 512)[0]


def request_country(request) -> str:
    header = "HTTP_" + settings.VISITOR_COUNTRY_HEADER.upper().replace("-", "_")
    value = (request.META.get(header) or request.META.get("HTTP_X_VISITOR_COUNTRY") or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() and value not in ("XX", "T1") else ""


def referrer_domain(request) -> str:
    referrer = request.META.get("HTTP_X_VISITOR_REFERRER") or request.META.get("HTTP_REFERER") or ""
    try:
        host = (urlparse(clean_text(referrer, 2000)[0]).hostname or "").lower()
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    try:
        own = request.get_host().split(":")[0].lower().removeprefix("www.")
    except Exception:  # noqa: BLE001 - DisallowedHost and friends: then nothing is "our own"
        own = ""
    return "" if not host or host == own else host[:253]


def tracking_allowed(request) -> bool:
    """Behavioural tracking (cookie, stored facts) is allowed for this request."""
    if settings.PERSONALIZATION_HONOR_GPC and request.META.get("HTTP_SEC_GPC", "").strip() == "1":
        return False
    if settings.PERSONALIZATION_CONSENT_MODE == "opt-in":
        consent = request.COOKIES.get(settings.PERSONALIZATION_CONSENT_COOKIE, "")
        return consent in ("1", "granted", "yes", "true")
    return True
