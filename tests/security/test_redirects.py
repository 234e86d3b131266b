"""No redirect the product answers leaves the site, whatever path or parameter a request carries.

`GET //evil.example/?sp_t=x` used to answer `302 Location: //evil.example/`: the tracked-link step
redirected to the request's own path, which a browser reads as another host.
"""

from urllib.parse import urlsplit

import pytest

from personalization.services import tracked_link_token
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

HOSTILE_PATHS = [
    "//evil.example/",
    "//evil.example",
    "/%2Fevil.example/",
    "/%2F%2Fevil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "/%09/evil.example/",
    "//evil.example/%2F..",
    "/.//evil.example/",
]


def get_raw(client, path: str, query: str = ""):
    """GET exactly this path: the test client would read `//evil.example/` as a host, not a path."""
    from urllib.parse import unquote_to_bytes

    return client.get("/", QUERY_STRING=query.lstrip("?"), PATH_INFO=unquote_to_bytes(path).decode("iso-8859-1"))


def assert_stays_on_site(response):
    if not 300 <= response.status_code < 400:
        return
    location = response["Location"]
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    parts = urlsplit(cleaned)
    assert not cleaned.startswith("//"), f"scheme-relative redirect to {location!r}"
    assert parts.netloc in ("", "testserver"), f"redirect off the site to {location!r}"


@pytest.fixture
def person(db):
    return PersonFactory(email="known@example.com")


QUERIES = ["", "?sp_t=x", "?sp_t=signed", "?sp_t=signed&utm_source=mail", "?next=//evil.example/"]


def test_a_hostile_path_never_redirects_off_the_site(client, home_page, person):
    """Every hostile path with every query (one page tree for all of them: this runs 55 requests)."""
    signed = tracked_link_token(person.pk)
    for path in HOSTILE_PATHS:
        for query in QUERIES:
            response = get_raw(client, path, query.replace("signed", signed))
            assert response.status_code < 500, (path, query)
            assert_stays_on_site(response)


def test_the_tracked_link_still_strips_its_token_on_site(client, home_page, person):
    response = client.get(f"/?sp_t={tracked_link_token(person.pk)}&utm_source=mail")
    assert response.status_code == 302
    assert response["Location"] == "/?utm_source=mail"


def test_the_tracked_link_on_a_scheme_relative_path_lands_on_a_local_path(client, home_page, person):
    response = get_raw(client, "//evil.example/pricing/", f"sp_t={tracked_link_token(person.pk)}")
    assert response.status_code == 302
    assert response["Location"] == "/evil.example/pricing/"


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example/",
        "http:evil.example",
        " //evil.example/",
        "\t//evil.example/",
    ],
)
def test_admin_login_never_sends_a_user_off_the_site(client, django_user_model, home_page, next_url):
    django_user_model.objects.create_superuser("ada", "ada@example.com", "pw-ada-secret-123")
    response = client.post("/admin/login/", {"username": "ada", "password": "pw-ada-secret-123", "next": next_url})
    assert response.status_code == 302
    assert_stays_on_site(response)
    response = client.get("/admin/logout/?next=" + next_url)
    assert_stays_on_site(response)


def test_the_guard_rewrites_any_scheme_relative_location(rf):
    """Whatever view builds it: the outermost middleware turns `//host` into a path on this site."""
    from django.http import HttpResponseRedirect

    from core.redirects import OffSiteRedirectGuard

    for location, expected in (
        ("//evil.example/x", "/evil.example/x"),
        ("/\\evil.example", "/evil.example"),
        ("\\\\evil.example", "/evil.example"),
        ("/fine/", "/fine/"),
        ("https://partner.example/", "https://partner.example/"),
    ):
        response = HttpResponseRedirect("/")
        response["Location"] = location
        guarded = OffSiteRedirectGuard(lambda request, r=response: r)(rf.get("/"))
        assert guarded["Location"] == expected
