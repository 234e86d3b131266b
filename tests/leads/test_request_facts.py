"""What a request says about the visitor behind it (leads.request_facts): one reading for forms, events,
personalisation and cms, so two apps can no longer read the same visitor differently."""

from django.core import signing
from django.http import HttpResponse

from leads.request_facts import (
    ATTRIBUTION_COOKIE,
    ATTRIBUTION_SALT,
    attribution_remember,
    referrer_domain,
    request_attribution,
    request_country,
    request_referrer,
)
from leads.services.identity import new_visitor_id, valid_visitor_id

FRONT_END = {"HTTP_X_VISITOR_REFERRER": "https://news.example/article?id=7", "HTTP_REFERER": "https://front.example/"}


def test_the_configured_country_header_comes_first_then_the_front_ends(rf, settings):
    settings.VISITOR_COUNTRY_HEADER = "CF-IPCountry"
    assert request_country(rf.get("/", HTTP_CF_IPCOUNTRY="de", HTTP_X_VISITOR_COUNTRY="FR")) == "DE"
    assert request_country(rf.get("/", HTTP_X_VISITOR_COUNTRY="fr")) == "FR"
    # Unknown, Tor and junk are no country.
    for value in ("XX", "T1", "DEU", "1A", "", "d\x00"):
        assert request_country(rf.get("/", HTTP_CF_IPCOUNTRY=value)) == "", value


def test_a_front_ends_referrer_wins_over_its_own_request_referrer(rf):
    request = rf.get("/", **FRONT_END)
    assert request_referrer(request) == "https://news.example/article?id=7"
    assert referrer_domain(request) == "news.example"
    attribution = request_attribution(rf.get("/?utm_source=news&utm_campaign=q4", **FRONT_END))
    assert attribution["referrer"] == "https://news.example/article?id=7"
    assert attribution["utm_source"] == "news" and attribution["utm_campaign"] == "q4"


def test_only_a_touch_from_another_site_is_a_first_touch(rf):
    outside = request_attribution(rf.get("/pricing/", HTTP_REFERER="https://www.search.example/?q=lead+scoring"))
    assert outside == {
        "referrer": "https://www.search.example/?q=lead+scoring",
        "landing_page": "http://testserver/pricing/",
    }
    # A click within our own site, with or without www., is not where the visitor came from.
    for own in ("http://testserver/", "http://www.testserver/whitepapers/", "http://testserver"):
        assert request_attribution(rf.get("/pricing/", HTTP_REFERER=own)) == {}, own


def test_a_campaign_touch_is_remembered_and_a_tampered_cookie_is_ignored(rf):
    landing = rf.get("/?utm_source=linkedin&utm_medium=paid&utm_campaign=summit")
    response = HttpResponse()
    attribution_remember(response, landing, request_attribution(landing))
    cookie = response.cookies[ATTRIBUTION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    later = rf.get("/contact/")
    later.COOKIES[ATTRIBUTION_COOKIE] = cookie.value
    assert request_attribution(later)["utm_campaign"] == "summit"

    forged = rf.get("/contact/")
    forged.COOKIES[ATTRIBUTION_COOKIE] = cookie.value[:-2] + "xx"
    assert request_attribution(forged) == {}
    # A signed cookie that is not a dict (an older or foreign shape) is no attribution either.
    odd = rf.get("/contact/")
    odd.COOKIES[ATTRIBUTION_COOKIE] = signing.dumps(["utm_source", "x"], salt=ATTRIBUTION_SALT)
    assert request_attribution(odd) == {}


def test_a_post_or_a_page_without_a_campaign_remembers_nothing(rf):
    for request in (rf.post("/?utm_source=x"), rf.get("/", HTTP_REFERER="https://elsewhere.example/")):
        response = HttpResponse()
        attribution_remember(response, request, request_attribution(request))
        assert ATTRIBUTION_COOKIE not in response.cookies


def test_new_visitor_ids_are_valid_and_distinct():
    ids = {new_visitor_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(valid_visitor_id(visitor_id) == visitor_id for visitor_id in ids)
    assert valid_visitor_id("v_" + "a" * 500) == "" and valid_visitor_id("<script>") == ""
