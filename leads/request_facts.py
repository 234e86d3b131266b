"""What a request says about the visitor behind it: client address, country, user agent and device,
referrer, and attribution (with the cookie that remembers the first touch).

One module, so that forms, events, personalisation and cms read a request the same way (the country
header used to be read twice, differently). Read from headers, cookies and the query string only: no
cache, no database. It lives in leads because every app that meets visitors may import leads, and
`core` may import no app.
"""

from __future__ import annotations

import functools
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from user_agents import parse as parse_user_agent

from leads.cleaning import clean_text

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# What a lead remembers of how the visitor came: the campaign, where from, and the first page.
ATTRIBUTION_FIELDS = (*UTM_FIELDS, "referrer", "landing_page")
ATTRIBUTION_COOKIE = "sp_attribution"
ATTRIBUTION_SALT = "signalpage.forms.attribution"  # unchanged when it moved: cookies already out keep working
ATTRIBUTION_MAX_AGE = 30 * 24 * 3600


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a load balancer; the platform's proxy settings
    # (e.g. a trusted X-Forwarded-For rewrite) are expected to put the client address there.
    return request.META.get("REMOTE_ADDR") or None


def request_country(request) -> str:
    """The visitor's two-letter country: the CDN's header (VISITOR_COUNTRY_HEADER), else the one a
    server-side front end passes along (X-Visitor-Country); '' when unknown (XX, T1 = Tor)."""
    header = "HTTP_" + settings.VISITOR_COUNTRY_HEADER.upper().replace("-", "_")
    value = (request.META.get(header) or request.META.get("HTTP_X_VISITOR_COUNTRY") or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() and value not in ("XX", "T1") else ""


def request_user_agent(request) -> str:
    # A server-side front end passes its visitor's browser along; the header is only ever about the visitor.
    value = request.META.get("HTTP_X_VISITOR_USER_AGENT") or request.META.get("HTTP_USER_AGENT") or ""
    return clean_text(value, 512)[0]


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


def request_referrer(request) -> str:
    """The page the visitor came from: a server-side front end passes its visitor's along."""
    value = request.META.get("HTTP_X_VISITOR_REFERRER") or request.META.get("HTTP_REFERER") or ""
    return clean_text(value, 2000)[0]


def referrer_domain(request) -> str:
    """The referring site's host (without www.), '' for none or our own site."""
    try:
        host = (urlparse(request_referrer(request)).hostname or "").lower()
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    try:
        own = request.get_host().split(":")[0].lower().removeprefix("www.")
    except Exception:  # noqa: BLE001 - DisallowedHost and friends: then nothing is "our own"
        own = ""
    return "" if not host or host == own else host[:253]


def request_utm(request, names=UTM_FIELDS) -> dict[str, str]:
    """This request's own UTM parameters (each cleaned, '' when absent), in the order of `names`."""
    return {name: clean_text(request.GET.get(name), 255)[0] for name in names}


def request_attribution(request) -> dict:
    """UTM parameters, referrer and landing page: this request's own, else the first touch we remembered."""
    current = request_utm(request)
    if any(current.values()):
        current["referrer"] = request_referrer(request)
        current["landing_page"] = clean_text(request.build_absolute_uri(), 2000)[0]
        return {name: value for name, value in current.items() if value}
    try:
        remembered = signing.loads(request.COOKIES.get(ATTRIBUTION_COOKIE, ""), salt=ATTRIBUTION_SALT)
    except signing.BadSignature:
        remembered = None
    if isinstance(remembered, dict):
        return {name: clean_text(remembered.get(name), 2000)[0] for name in ATTRIBUTION_FIELDS if remembered.get(name)}
    # A first touch from another site (not a click within our own) is worth keeping.
    external = referrer_domain(request)
    return {"referrer": request_referrer(request), "landing_page": request.build_absolute_uri()} if external else {}


def attribution_remember(response, request, attribution: dict) -> None:
    """Keep a campaign's attribution in a signed cookie, so a form filled in later still knows it.

    Only on a GET that carries UTM parameters: that is the touch worth remembering."""
    if request.method == "GET" and attribution and any(request.GET.get(name) for name in UTM_FIELDS):
        response.set_cookie(
            ATTRIBUTION_COOKIE,
            signing.dumps(attribution, salt=ATTRIBUTION_SALT, compress=True),
            max_age=ATTRIBUTION_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
