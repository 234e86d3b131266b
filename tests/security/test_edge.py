"""The request edge (core.edge): a query string no view should read is a 400 naming the parameter, in the
shape of the API it was sent to, before any view, session or visitor lookup sees it."""

import pytest
from django.test import RequestFactory

from core.edge import DATABASE_INT_MAX, query_string_problems

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, parameter",
    [
        # The examples: NUL in text parameters reached PostgreSQL ("cannot contain NUL").
        ("/api/v2/pages/?search=%00", "search"),
        ("/api/v2/pages/?locale=a%00b", "locale"),
        ("/api/v2/pages/?site=%00", "site"),
        ("/api/v2/pages/find/?html_path=%00", "html_path"),
        ("/api/v2/preview/?content_type=%00&token=x", "content_type"),
        ("/api/v2/images/?search=%00", "search"),
        # Numbers no database column holds ("bigint out of range"), and ids that are not numbers at all.
        ("/api/v2/pages/?offset=99999999999999999999999", "offset"),
        ("/api/v2/images/?offset=9223372036854775808", "offset"),
        ("/api/v2/documents/?offset=99999999999999999999999", "offset"),
        ("/api/v2/pages/?limit=%C2%B2", "limit"),
        ("/api/v2/pages/find/?id=abc", "id"),
        ("/api/v2/pages/find/?id=", "id"),
        ("/api/v2/pages/?child_of=1.5", "child_of"),
        ("/api/v2/pages/?descendant_of=-1", "descendant_of"),
        # Bytes that are not UTF-8, other control characters, absurd lengths; in names as well as values.
        ("/api/v2/pages/?search=%ff", "search"),
        ("/api/v2/pages/?search=%ed%a0%80", "search"),  # an encoded lone surrogate
        ("/api/v2/pages/?title=%1b%5b2J", "title"),
        ("/api/v2/pages/?search=" + "x" * 10_001, "search"),
        ("/api/v2/pages/?%00=1", "\\x00"),
    ],
)
def test_the_content_api_answers_400_naming_the_parameter(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{parameter}: ")


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/events?topic=%00", "topic"),
        ("/api/v1/events?city=a%00b", "city"),
        ("/api/v1/events?type=%ff", "type"),
        ("/api/v1/forms/1?visitor_id=%0d%0aSet-Cookie", "visitor_id"),
    ],
)
def test_the_product_api_answers_400_in_its_documented_error_shape(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert list(response.json()) == ["errors"] and list(response.json()["errors"]) == [parameter]


def test_site_pages_answer_a_plain_400_page_naming_the_parameter(client, home_page):
    response = client.get("/?utm_campaign=spring%00&q=%ff")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "utm_campaign: holds control characters" in text and "q: is not UTF-8 text" in text
    assert "\x00" not in text  # a parameter's value is never echoed


def test_every_bad_parameter_is_named_at_once(client):
    errors = client.get("/api/v1/events?topic=%00&city=%ff&when=past").json()["errors"]
    assert sorted(errors) == ["city", "topic"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/pages/?offset=0&limit=20",
        f"/api/v2/pages/?offset={DATABASE_INT_MAX}",
        "/api/v2/pages/?child_of=root",
        "/api/v2/pages/?search=caf%C3%A9+%22exact+phrase%22",
        "/api/v2/pages/?search=%F0%9F%98%80",
    ],
)
def test_good_values_pass_untouched(client, home_page, url):
    assert client.get(url).status_code == 200


def test_the_admin_reads_its_own_query_strings(admin_client_logged_in):
    """Staff listings ignore a filter they cannot read (tests/sales, tests/events): the edge leaves them be."""
    assert admin_client_logged_in.get("/admin/pages/search/?q=%ff%01").status_code == 200


def test_numbers_are_only_typed_where_they_are_numbers(client, home_page):
    """`id` and `page` mean something else in the admin and on site pages: only the content API types them."""
    assert client.get("/?id=abc&offset=x").status_code == 200
    assert query_string_problems(b"id=abc", "/admin/bulk/") == []


def test_the_raw_bytes_are_judged_not_djangos_replacement_characters():
    """request.GET shows %ff as U+FFFD; the edge reads the bytes that were sent: WSGI hands them over as
    latin-1 text, ASGI as bytes."""
    from types import SimpleNamespace

    from core.edge import QueryStringGuard

    guard = QueryStringGuard(lambda request: None)
    for query in ["q=%ff", "q=\xff"]:
        request = RequestFactory().get("/search/")
        request.META["QUERY_STRING"] = query
        assert guard(request).status_code == 400, query
    request = RequestFactory().get("/search/")
    request.META["QUERY_STRING"] = "q=caf\u00e9".encode().decode("latin-1")  # raw UTF-8 through WSGI
    assert guard(request) is None
    asgi = SimpleNamespace(scope={"query_string": "q=caf\u00e9".encode()}, META={}, path_info="/search/")
    assert guard(asgi) is None
    asgi.scope["query_string"] = b"q=caf\xe9"
    assert guard(asgi).status_code == 400
