"""The visitor behind a request: cookie, header, consent, bots, hostile input, and what it costs."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from personalization.models import Visitor
from personalization.services import tracked_link_token
from tests.factories import PersonFactory, SegmentFactory
from tests.personalization.conftest import DESKTOP_UA, MOBILE_UA, Browser, new_browser, personalised_hero

pytestmark = pytest.mark.django_db


def test_first_visit_issues_a_first_party_cookie(hero_page, browser, settings):
    response = browser.get("/")
    cookie = response.cookies["sp_vid"]
    assert cookie.value.startswith("v_") and len(cookie.value) == 26
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) == 365 * 24 * 3600
    assert not cookie["secure"]
    settings.SESSION_COOKIE_SECURE = True  # production: secure cookies
    assert new_browser().get("/").cookies["sp_vid"]["secure"]
    # The row waits for the cookie to come back: a client that never returns it costs no write.
    assert not Visitor.objects.exists()
    browser.get("/")
    visitor = Visitor.objects.get(visitor_id=cookie.value)
    assert (visitor.visit_count, visitor.page_views) == (1, 2)
    assert (visitor.device_type, visitor.browser) == ("desktop", "Chrome")


def test_visits_are_counted_once_per_session_of_activity(hero_page, browser):
    with freeze_time("2026-12-01 09:00"):
        browser.get("/?utm_campaign=spring&utm_source=linkedin", HTTP_REFERER="https://www.linkedin.com/feed/")
    with freeze_time("2026-12-01 09:20"):
        browser.get("/")
    with freeze_time("2026-12-01 11:00"):
        browser.get("/?utm_campaign=banking-q4", HTTP_REFERER="https://www.google.com/")
    visitor = Visitor.objects.get()
    assert (visitor.visit_count, visitor.page_views) == (2, 3)
    assert (visitor.first_utm_campaign, visitor.last_utm_campaign) == ("spring", "banking-q4")
    assert (visitor.first_referrer_domain, visitor.last_referrer_domain) == ("linkedin.com", "google.com")


def test_page_views_do_not_write_the_database_on_every_view(hero_page, browser, settings):
    settings.PERSONALIZATION_SAVE_EVERY = 10
    browser.get("/")
    browser.get("/")  # the visitor's row is written when the cookie first comes back
    writes = []
    for _ in range(8):
        with CaptureQueriesContext(connection) as queries:
            browser.get("/")
        writes += [q["sql"] for q in queries.captured_queries if "personalization_visitor" in q["sql"]]
    assert writes == []  # the same visit: the state lives in the cache
    assert Visitor.objects.get().page_views == 2
    browser.get("/")
    browser.get("/")  # the 10th view since the last write
    assert Visitor.objects.get().page_views == 12


@pytest.mark.parametrize("segments", [1, 50])
def test_visitor_resolution_costs_no_query_warm_and_two_cold(home_page, segments, django_assert_num_queries):
    """Visitor and segment resolution: 0 queries warm, at most 2 cold, whatever the number of segments."""
    from django.core.cache import cache

    from personalization.services import VisitorContext

    made = [
        SegmentFactory(
            name=f"S{n}",
            priority=n,
            rules=[("utm_campaign", "is", f"c{n}"), ("device", "is", "mobile"), ("visit_count", "lte", "1")],
        )
        for n in range(segments)
    ]
    person = PersonFactory(grade="A1")
    browser = Browser(MOBILE_UA)
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    browser.get("/?utm_campaign=c0")
    request = browser.get("/").wsgi_request

    def resolve():
        context = VisitorContext(request)
        return context.segment_ids, context.person

    resolve()  # compiles the segments in this process
    with django_assert_num_queries(0):
        ids, known = resolve()
    assert made[0].pk in ids and known is not None and known.grade == "A1"
    cache.delete(f"pz:v:{request.COOKIES['sp_vid']}")  # the state left the cache: read the row and the person
    with django_assert_num_queries(2):
        ids, known = resolve()
    assert made[0].pk in ids and known.grade == "A1"


@pytest.mark.parametrize("segments", [1, 50])
def test_a_personalised_page_costs_the_same_queries_with_1_or_50_segments(
    home_page, segments, settings, django_assert_max_num_queries
):
    # Variant statistics are written every few seconds, not per page (the test settings write at once):
    # this counts what serving a page costs. It passed before only while an earlier test's frozen clock
    # kept the statistics from being written.
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600
    made = [SegmentFactory(name=f"S{n}", priority=n, rules=[("utm_campaign", "is", f"c{n}")]) for n in range(segments)]
    home_page.hero = json.dumps(personalised_hero("Default", [(s, f"Hero {s.name}") for s in made]))
    home_page.save_revision().publish()
    browser = Browser()
    browser.get("/?utm_campaign=c0")  # renders (and creates the site settings)
    browser.get("/")
    # Served from the output cache before Wagtail routes the request: not even the site or the page is read.
    with django_assert_max_num_queries(0):
        response = browser.get("/")
    assert b"Hero S0" in response.content
    other = Browser()
    other.get("/")
    other.get("/")
    with django_assert_max_num_queries(0):
        assert b"Default" in other.get("/").content


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "v_" + "x" * 5000,
        "v_abc;DROP TABLE",
        "\x00\x01\x02",
        "v_" + "é" * 30,
        "../../etc/passwd",
    ],
)
def test_bad_cookies_are_ignored_safely(hero_page, cookie):
    browser = Browser()
    browser.cookies["sp_vid"] = cookie
    response = browser.get("/")
    assert response.status_code == 200 and b"Default hero" in response.content
    assert response.cookies["sp_vid"].value.startswith("v_") and response.cookies["sp_vid"].value != cookie


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": ""},
        {"HTTP_USER_AGENT": "x" * 100_000},
        {"HTTP_USER_AGENT": "\x00\ud800 bad"},
        {"HTTP_X_VISITOR_ID": "y" * 10_000},
        {"HTTP_CF_IPCOUNTRY": "not a country"},
        {"HTTP_REFERER": "http://[::1"},
        {"HTTP_REFERER": "x" * 50_000},
        {"HTTP_SEC_GPC": "garbage"},
    ],
)
def test_bad_headers_are_ignored_safely(hero_page, headers):
    response = Browser().get("/?utm_campaign=" + "c" * 3000, **headers)
    assert response.status_code == 200
    assert b"Default hero" in response.content


def test_requests_without_user_agent_or_from_bots_leave_nothing_behind(hero_page, client):
    assert client.get("/", HTTP_USER_AGENT="").status_code == 200
    bot = client.get("/", HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert b"Default hero" in bot.content and "sp_vid" not in bot.cookies
    assert not Visitor.objects.exists()


def test_someone_elses_or_forged_tracked_link_is_ignored(hero_page, browser):
    owner, other = PersonFactory(email="owner@bank.example"), PersonFactory(email="other@bank.example")
    browser.get(f"/?sp_t={tracked_link_token(owner.pk)}")
    assert Visitor.objects.get().person_id == owner.pk
    browser.get(f"/?sp_t={tracked_link_token(other.pk)}")  # a link forwarded by a colleague
    for forged in ["garbage", tracked_link_token(owner.pk)[:-3] + "abc", "x" * 10_000]:
        assert browser.get(f"/?sp_t={forged}", follow=True).status_code == 200
    assert Visitor.objects.get().person_id == owner.pk
    # A token of another kind (a signed value made with another salt) is not an identity.
    from django.core import signing

    stranger = Browser()
    stranger.get("/?sp_t=" + signing.dumps(other.pk, salt="signalpage.forms.download"))
    stranger.get("/")
    assert Visitor.objects.get(visitor_id=stranger.cookies["sp_vid"].value).person_id is None


def test_headless_visitor_id_travels_in_a_header(hero_page, client):
    first = client.get(f"/api/v2/pages/{hero_page.pk}/?utm_campaign=banking-q4", HTTP_USER_AGENT=DESKTOP_UA)
    visitor_id = first["X-Visitor-Id"]
    assert visitor_id.startswith("v_")
    assert first.json()["hero"][0]["value"]["segment"]["name"] == "Banking campaign"
    client.cookies.clear()
    again = client.get(f"/api/v2/pages/{hero_page.pk}/", HTTP_USER_AGENT=DESKTOP_UA, HTTP_X_VISITOR_ID=visitor_id)
    assert "X-Visitor-Id" not in again  # not new
    assert again.json()["hero"][0]["value"]["segment"]["name"] == "Banking campaign"
    assert "X-Visitor-Id" in again["Vary"] and "private" in again["Cache-Control"]
    who = client.get("/api/v1/personalization/visitor", HTTP_USER_AGENT=DESKTOP_UA, HTTP_X_VISITOR_ID=visitor_id)
    segment_id = who.json()["segments"][0]["id"]
    assert who.json() == {
        "visitor_id": visitor_id,
        "new": False,
        "tracking": True,
        "known": False,
        "segments": [{"id": segment_id, "name": "Banking campaign", "priority": 30}],
    }


def test_opt_in_consent_mode_tracks_nothing_until_consent(hero_page, settings):
    settings.PERSONALIZATION_CONSENT_MODE = "opt-in"
    browser = Browser()
    response = browser.get("/?utm_campaign=banking-q4")
    assert b"Campaign hero" in response.content  # contextual: what this request says
    assert "sp_vid" not in response.cookies and not Visitor.objects.exists()
    assert b"Default hero" in browser.get("/").content  # nothing was remembered
    browser.cookies["sp_consent"] = "granted"
    assert "sp_vid" in browser.get("/?utm_campaign=banking-q4").cookies
    assert b"Campaign hero" in browser.get("/").content


def test_global_privacy_control_is_honoured(hero_page, settings):
    browser = Browser(HTTP_SEC_GPC="1")
    assert b"Campaign hero" in browser.get("/?utm_campaign=banking-q4").content
    assert b"Default hero" in browser.get("/").content
    assert not Visitor.objects.exists()
    settings.PERSONALIZATION_HONOR_GPC = False
    assert "sp_vid" in Browser(HTTP_SEC_GPC="1").get("/").cookies


def test_the_forms_app_reuses_the_visitor_cookie(home_page, browser):
    """The first page view issues the cookie; a form on that page does not issue a second one."""
    from tests.factories import LeadFormPageFactory

    form_page = LeadFormPageFactory(
        parent=home_page, title="Contact sales", slug="contact-sales", purpose="contact_sales"
    )
    response = browser.get(form_page.url)
    assert response.status_code == 200
    assert response.cookies["sp_vid"].value == response.wsgi_request.personalization.visitor_id
    assert str(response.cookies).count("sp_vid=") == 1


def test_a_tracked_link_identifies_the_browser_then_leaves_the_address_bar(hero_page, browser):
    from leads.models import VisitorLink

    person = PersonFactory(email="jana@bank.example", first_name="Jana")
    response = browser.get(f"/pricing/?utm_campaign=banking-q4&sp_t={tracked_link_token(person.pk)}")
    assert response.status_code == 302 and response["Location"] == "/pricing/?utm_campaign=banking-q4"
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert "sp_vid" in response.cookies
    assert browser.get("/").wsgi_request.personalization.person.person_id == person.pk
    # Only personalisation knows: forms neither greet this browser as Jana nor open her gates.
    assert not VisitorLink.objects.exists()


def test_an_invented_visitor_id_writes_nothing_until_it_comes_back(hero_page):
    for number in range(3):
        Browser(HTTP_X_VISITOR_ID=f"v_invented{number:016d}").get("/")
    assert not Visitor.objects.exists()


def test_crawlers_get_the_default_content_and_are_not_counted(hero_page, client):
    from personalization.models import VariantStat

    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    response = client.get("/?utm_campaign=banking-q4", HTTP_USER_AGENT=googlebot)
    assert b"Default hero" in response.content and b"Campaign hero" not in response.content
    assert not VariantStat.objects.exists()


def test_a_request_holding_an_older_state_cannot_undo_an_identification(hero_page, browser):
    """A form fill processed elsewhere (a worker) identifies the visitor while a page request is in flight."""
    from personalization.services import VisitorContext, visitor_identified

    browser.get("/")
    request = browser.get("/").wsgi_request
    in_flight = VisitorContext(request)  # read the state before the identification
    person = PersonFactory(email="late@bank.example")
    visitor_identified(visitor_id=in_flight.visitor_id, person_id=person.pk, credit_conversions=True)
    in_flight.page_view(page_id=hero_page.pk, path="/")
    in_flight.finish()  # writes its older copy of the state back to the cache
    assert browser.get("/").wsgi_request.personalization.person.person_id == person.pk
