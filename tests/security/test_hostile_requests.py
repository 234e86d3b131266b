"""No input reaches a 500: every public GET route, with hostile values in every parameter it reads.

The site is built once per module (tests.security.world). Every request runs in its own savepoint, so
a database error in one cannot poison the next on PostgreSQL, and every 5xx is reported with its URL
and exception. API routes get each value in each parameter on its own (a 400 for one parameter would
hide the others); site pages, which ignore or report bad values in the page, get each value in all
their parameters at once, since rendering a page with a form is the slow part of this walk.
"""

from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client

from tests.security.world import world_module

# Already percent-encoded, as they arrive on the wire: control characters, bytes that are not UTF-8
# (an encoded lone surrogate among them), broken escapes, numbers no database holds or of the wrong
# kind (full-width digits and a superscript two pass str.isdigit()), blanks, quotes, markup, paths,
# JSON, names of Wagtail's lookups and types.
EDGE = ["%00", "a%00b", "%01", "%1F", "%7F", "%C2%85", "%ff", "%ed%a0%80", "x" * 10_001]
HOSTILE = [
    *EDGE,
    "99999999999999999999999",
    "9223372036854775808",
    "9223372036854775807",
    "2147483648",
    "-1",
    "0",
    "NaN",
    "1.5",
    "%EF%BC%91%EF%BC%92",
    "%C2%B2",
    "abc",
    "",
    "+",
    "%22",
    "'",
    "%zz%",
    "%3Cscript%3E",
    "..%2F..%2Fetc",
    "%F0%9F%98%80",
    "true",
    "2024-02-30",
    "*",
    ",",
    "-id",
    "random",
    "title__icontains",
    "cms.WhitepaperPage",
    "root",
    "%2F%2Fevil.example",
]
# For a route's `{name}` placeholders.
HOSTILE_PATH = [
    "0",
    "-1",
    "99999999999999999999999",
    "9223372036854775808",
    "abc",
    "%00",
    "%ff",
    "x" * 3000,
    "%C2%B2",
    "%EF%BC%91",
    "%2E%2E",
]
HOSTILE_HEADERS = [
    "\x00",
    "a\x00b",
    "\xff",
    "x" * 5000,
    "99999999999999999999999",
    "' OR 1=1 --",
    "",
    " ",
    "<script>",
    "../../",
    "\r",
]

UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
PAGE = [*UTM, "forget", "invite"]
V2_LISTING = [
    "type",
    "fields",
    "limit",
    "offset",
    "order",
    "search",
    "search_operator",
    "child_of",
    "ancestor_of",
    "descendant_of",
    "translation_of",
    "locale",
    "site",
    "id",
    "title",
    "rich_text_format",
]
V2_FILES = ["fields", "offset", "order", "search", "id", "title", "tags"]


@dataclass
class Route:
    path: str
    params: list[str]
    base: str = ""  # query every request carries (e.g. the page type the field filters need)
    path_params: list[str] = field(default_factory=list)
    together: bool = False  # site pages: each value in every parameter at once
    serves: int = 200  # the status without hostile values: proof the walk reaches the view, not a 404


ROUTES = [
    # The public site.
    Route("/", PAGE, together=True),
    Route("/", ["sp_t"]),  # a tracked link: identified, then redirected without it (every page alike)
    Route("/platform/", PAGE, together=True),
    Route("/contact/", PAGE, together=True),
    Route("/whitepapers/", ["topic", "industry", "page", *UTM], together=True),
    Route("/whitepapers/ai-for-banks/", PAGE, together=True),
    Route("/customers/", ["topic", "industry", "page"], together=True),
    Route("/customers/meridian/", PAGE, together=True),
    Route("/events/", ["when", "type", "topic", "city", "page"], together=True),
    Route("{event_page_path}", PAGE, together=True),
    Route("/search/", ["q", "page"], together=True),
    Route("/search/", ["page"], base="q=whitepaper", together=True),
    Route("/sitemap.xml", ["p", "section"], together=True),
    Route("/robots.txt", ["x"], together=True),
    # Registrants' and downloaders' links.
    Route("/e/tickets/{ticket}/", ["x"], path_params=["ticket"], together=True),
    Route("/e/cancel/{cancel}/", ["x"], path_params=["cancel"], together=True),
    Route("/e/{event}/calendar.ics", ["x"], path_params=["event"], together=True),
    Route("/e/{webinar}/watch/", ["t"], path_params=["webinar"], together=True),
    Route("/downloads/{download}/", ["x"], path_params=["download"], together=True),
    Route("/documents/{document}/{document_file}", ["x"], path_params=["document"], together=True),
    Route("/personalisation/click/", ["variant"], together=True, serves=405),  # a POST beacon
    # The content API (/api/v2/).
    Route("/api/v2/pages/", [*V2_LISTING, "topic", "industry", "variants", "html_path", "show_in_menus"]),
    Route("/api/v2/pages/", ["search_operator", "order", "fields", "type", "offset", "locale"], base="search=ai"),
    Route(
        "/api/v2/pages/",
        ["topic", "industry", "publish_date", "page_count", "gated", "topics", "cover_image", "fields"],
        base="type=cms.WhitepaperPage",
    ),
    Route("/api/v2/pages/", ["industry", "region"], base="type=cms.CaseStudyPage"),
    Route("/api/v2/pages/{whitepaper}/", ["fields", "variants", "type"], path_params=["whitepaper"]),
    Route("/api/v2/pages/find/", ["id", "html_path", "site", "type", "fields"], serves=404),
    Route("/api/v2/images/", V2_FILES),
    Route("/api/v2/images/{image}/", ["fields"], path_params=["image"]),
    Route("/api/v2/documents/", V2_FILES),
    Route("/api/v2/documents/{document}/", ["fields"], path_params=["document"]),
    Route("/api/v2/preview/", ["content_type", "token", "fields"], serves=400),
    Route("/api/v2/preview/", ["token"], base="content_type=cms.whitepaperpage", serves=400),
    # The product API (/api/v1/).
    Route("/api/v1/health", ["x"], together=True),
    Route("/api/v1/site", ["x"], together=True),
    Route("/api/v1/openapi.json", ["x"], together=True),
    Route("/api/v1/docs", ["x"], together=True),
    Route("/api/v1/events", ["when", "type", "topic", "city", "limit", "offset"]),
    Route("/api/v1/events/{event}", ["visitor_id", "country"], path_params=["event"]),
    Route("/api/v1/forms/{form}", ["visitor_id", "country", "page_id"], path_params=["form"]),
    Route("/api/v1/personalization/visitor", ["x"], together=True),
    Route("/api/v1/intake/{provider}", ["x"], path_params=["provider"], together=True, serves=405),  # POST only
]


def _urls(route: Route, ids: dict):
    path = route.path.format(**ids)
    base = f"{route.base}&" if route.base else ""
    yield f"{path}?{route.base}"
    if route.together:
        for value in ["1", *HOSTILE]:
            yield f"{path}?{base}" + "&".join(f"{name}={value}" for name in route.params)
        yield f"{path}?{base}" + "&".join(f"{name}=1&{name}=2" for name in route.params)
    else:
        for name in route.params:
            for value in ["1", *HOSTILE]:
                yield f"{path}?{base}{name}={value}"
            yield f"{path}?{base}{name}=1&{name}=2"
    for name in EDGE[:-1]:
        yield f"{path}?{base}{name}=1"
    for name in route.path_params:
        for value in HOSTILE_PATH:
            yield route.path.format(**{**ids, name: value if "%" in value else quote(value)}) + f"?{route.base}"


def _get(client, url, **headers):
    """One request in its own savepoint; a 5xx is rolled back so the next request starts clean."""
    with transaction.atomic():
        response = client.get(url, **headers)
        if response.status_code >= 500:
            transaction.set_rollback(True)
    return response


def _server_error(response, url) -> str | None:
    if response.status_code < 500:
        return None
    exc = response.exc_info[1] if response.exc_info else None
    return f"{response.status_code} {url[:160]} {type(exc).__name__}: {str(exc)[:200]}"


world = world_module()


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.path}?{route.base or ','.join(route.params)}"[:70])
def test_no_hostile_query_or_path_reaches_a_500(db, world, route, settings):
    settings.LEAD_INTAKE_SECRETS = {"linkedin": "s3cret"}
    client = Client(raise_request_exception=False)
    urls = _urls(route, world.ids)
    first = next(urls)
    assert _get(client, first).status_code == route.serves, first
    failures = [_server_error(_get(client, url), url) for url in urls]
    assert not any(failures), "\n".join(filter(None, failures))


HEADER_ROUTES = [
    "/",
    "/contact/",
    "/api/v2/pages/{whitepaper}/",
    "/api/v1/personalization/visitor",
    "/api/v1/forms/{form}",
    "/downloads/{download}/",
    "/e/{webinar}/watch/",
]
HEADERS = [
    "HTTP_X_VISITOR_ID",
    "HTTP_X_VISITOR_COUNTRY",
    "HTTP_CF_IPCOUNTRY",
    "HTTP_X_VISITOR_USER_AGENT",
    "HTTP_USER_AGENT",
    "HTTP_X_VISITOR_REFERRER",
    "HTTP_REFERER",
    "HTTP_SEC_GPC",
    "HTTP_HX_REQUEST",
    "HTTP_AUTHORIZATION",
    "HTTP_ACCEPT_LANGUAGE",
]
COOKIES = ["sp_vid", "sp_consent", "sp_invite", "sp_attribution", "sessionid", "csrftoken"]


@pytest.mark.parametrize("path", HEADER_ROUTES)
def test_no_hostile_header_or_cookie_reaches_a_500(db, world, path):
    """Each value in every header and cookie the site reads, all at once (they are read, not refused)."""
    url = path.format(**world.ids)
    failures = []
    for value in HOSTILE_HEADERS:
        client = Client(raise_request_exception=False)
        for name in COOKIES:
            client.cookies[name] = value.replace("\r", "")
        failures.append(_server_error(_get(client, url, **dict.fromkeys(HEADERS, value)), url + f" [{value!r}]"))
    assert not any(failures), "\n".join(filter(None, failures))
