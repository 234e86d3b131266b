"""Personalised blocks on the site and in the API: which variant, cache isolation, headers, preview."""

import json
import re

import pytest

from personalization.services import tracked_link_token
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory, StandardPageFactory
from tests.personalization.conftest import MOBILE_UA, committed, new_browser, personalised_hero

HEADLINE = re.compile(rb'class="hero__headline">([^<]*)<')


def headlines(response):
    assert response.status_code == 200, response.status_code
    return [h.decode() for h in HEADLINE.findall(response.content)]


@pytest.fixture
def personalised_home(home_page, campaign_segment, mobile_segment, a_grade_segment):
    home_page.hero = json.dumps(
        personalised_hero(
            "Default hero",
            [
                (campaign_segment, "Banking campaign hero"),
                (mobile_segment, "Mobile hero"),
                (a_grade_segment, "A-grade hero"),
            ],
        )
    )
    home_page.save_revision().publish()
    return home_page


@pytest.fixture
def a_grade_person(db):
    return PersonFactory(
        email="ada@northgate.example",
        grade="A1",
        fit_score=70,
        interest_score=65,
        company=CompanyFactory(industry="banking"),
    )


def test_each_browser_sees_its_segments_hero_and_the_api_agrees(personalised_home, a_grade_person):
    campaign, mobile, known, anonymous = (new_browser(), new_browser(MOBILE_UA), new_browser(), new_browser())
    assert headlines(campaign.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]
    assert headlines(mobile.get("/")) == ["Mobile hero"]
    known.get(f"/?sp_t={tracked_link_token(a_grade_person.pk)}")
    assert headlines(known.get("/")) == ["A-grade hero"]
    assert headlines(anonymous.get("/")) == ["Default hero"]

    # The content API, asked for the same visitor, resolves the same variant.
    for browser, expected in [
        (campaign, "Banking campaign"),
        (mobile, "Mobile visitors"),
        (known, "Known A-grade"),
        (anonymous, None),
    ]:
        data = browser.get(f"/api/v2/pages/{personalised_home.pk}/").json()
        block = data["hero"][0]["value"]
        assert (block["segment"] or {}).get("name") == expected
        assert block["content"][0]["value"]["headline"] == headlines(browser.get("/"))[0]


def test_campaign_is_remembered_for_the_rest_of_the_visit(personalised_home, browser):
    assert headlines(browser.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]
    assert headlines(browser.get("/")) == ["Banking campaign hero"]


def test_priority_decides_between_overlapping_segments(personalised_home):
    # Mobile (priority 10) and the campaign (30): the campaign wins whichever order the variants are in.
    browser = new_browser(MOBILE_UA)
    assert headlines(browser.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]


@pytest.mark.parametrize("order", ["campaign first", "mobile first"])
def test_cached_output_never_crosses_visitors(personalised_home, order):
    """Two visitors, two segments, the same URL, both orders (and a third in none): each always gets their own."""
    campaign, mobile, plain = new_browser(), new_browser(MOBILE_UA), new_browser()
    campaign.get("/?utm_campaign=banking-q4")  # joins the campaign segment
    plain.get("/about-nothing/")  # a 404, but the visitor now has a cookie
    pairs = [(campaign, "Banking campaign hero"), (mobile, "Mobile hero"), (plain, "Default hero")]
    if order == "mobile first":
        pairs = [pairs[1], pairs[0], pairs[2]]
    for _ in range(3):
        for browser, expected in pairs:
            assert headlines(browser.get("/")) == [expected]
            data = browser.get(f"/api/v2/pages/{personalised_home.pk}/").json()
            assert data["hero"][0]["value"]["content"][0]["value"]["headline"] == expected


def test_personalised_responses_keep_shared_caches_out(personalised_home, browser):
    first = browser.get("/")
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]
    assert "sp_vid" in first.cookies
    again = browser.get("/")  # served from the output cache: the same headers
    assert "private" in again["Cache-Control"] and "Cookie" in again["Vary"]
    assert "sp_vid" not in again.cookies  # the cookie is set once


def test_publishing_invalidates_cached_variants(personalised_home, browser, campaign_segment):
    assert headlines(browser.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]
    assert headlines(browser.get("/")) == ["Banking campaign hero"]  # now cached
    personalised_home.hero = json.dumps(personalised_hero("Default hero", [(campaign_segment, "New campaign hero")]))
    personalised_home.save_revision().publish()
    assert headlines(browser.get("/")) == ["New campaign hero"]


def test_editing_a_segment_changes_who_is_in_it(personalised_home, browser, campaign_segment):
    assert headlines(browser.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]
    rule = campaign_segment.rules.get()
    rule.value = "insurance-q4"
    rule.save()
    campaign_segment.save()  # as the admin does: the segment is saved with its rules
    assert headlines(browser.get("/")) == ["Default hero"]
    campaign_segment.is_active = False
    campaign_segment.save()
    assert headlines(browser.get("/?utm_campaign=insurance-q4")) == ["Default hero"]


def test_a_deleted_segment_falls_back_to_the_default(personalised_home, browser, campaign_segment):
    assert headlines(browser.get("/?utm_campaign=banking-q4")) == ["Banking campaign hero"]
    campaign_segment.delete()
    assert headlines(browser.get("/")) == ["Default hero"]
    assert browser.get(f"/api/v2/pages/{personalised_home.pk}/").status_code == 200


def test_known_person_facts_change_after_a_rescore(personalised_home, browser, a_grade_person):
    """A download raises the person's interest to grade A1: their browser gets the A-grade hero next time."""
    from leads.models import Person, ScoringRule
    from leads.services import interaction_record, person_rescore, stage_change

    ScoringRule.objects.create(name="Germany", kind="fit", attribute="country", operator="in", value="DE", points=70)
    ScoringRule.objects.create(
        name="Download",
        kind="interest",
        interaction_type="content_download",
        points=70,
        cap_points=100,
        cap_period_days=30,
        half_life_days=30,
        lookback_days=90,
    )
    person = person_rescore(a_grade_person)
    assert person.grade == "A4"  # fit only: no interest yet
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    assert headlines(browser.get("/")) == ["Default hero"]

    with committed():
        interaction_record(type="content_download", person=person, object_type="content", object_id="42")
    assert Person.objects.get(pk=person.pk).grade == "A1"
    assert headlines(browser.get("/")) == ["A-grade hero"]

    # Facts that change without a rescore (here the stage) refresh the person's browsers too.
    segment = SegmentFactory(name="Customers", priority=99, rules=[("stage", "is", "customer")])
    personalised_home.hero = json.dumps(personalised_hero("Default hero", [(segment, "Customer hero")]))
    personalised_home.save_revision().publish()
    assert headlines(browser.get("/")) == ["Default hero"]
    with committed():
        stage_change(Person.objects.get(pk=person.pk), "customer", reason_type="crm")
    assert headlines(browser.get("/")) == ["Customer hero"]


def test_preview_as_each_segment_and_as_nobody(personalised_home, rf, admin_user, campaign_segment, mobile_segment):
    modes = dict(personalised_home.preview_modes)
    assert modes["no-segment"] == "As a visitor in no segment"
    assert modes[f"segment-{campaign_segment.pk}"] == "As segment: Banking campaign"
    request = rf.get(f"/admin/pages/{personalised_home.pk}/edit/preview/")
    request.user = admin_user
    for mode, expected in [
        (f"segment-{campaign_segment.pk}", "Banking campaign hero"),
        (f"segment-{mobile_segment.pk}", "Mobile hero"),
        ("no-segment", "Default hero"),
    ]:
        response = personalised_home.make_preview_request(request, mode)
        assert headlines(response) == [expected], mode


def test_preview_records_nothing(personalised_home, rf, admin_user, campaign_segment):
    from personalization.models import VariantStat, Visitor

    request = rf.get("/")
    request.user = admin_user
    personalised_home.make_preview_request(request, f"segment-{campaign_segment.pk}")
    assert not Visitor.objects.exists() and not VariantStat.objects.exists()


def test_a_private_page_is_never_served_from_the_cache(personalised_home, browser):
    """A page behind a password is checked by Wagtail on every request, cached or not."""
    from wagtail.models import PageViewRestriction

    page = StandardPageFactory(parent=personalised_home, title="Partners", slug="partners")
    page.hero = json.dumps(personalised_hero("Partner hero", []))
    page.save_revision().publish()
    assert headlines(browser.get("/partners/")) == ["Partner hero"]
    PageViewRestriction.objects.create(page=page, restriction_type="password", password="s3cret")
    response = browser.get("/partners/")
    assert b"Partner hero" not in response.content and b"password" in response.content.lower()


def test_an_unpublished_or_moved_page_is_not_served_from_the_cache(personalised_home, browser):
    page = StandardPageFactory(parent=personalised_home, title="Offer", slug="offer")
    page.hero = json.dumps(personalised_hero("Offer hero", []))
    page.save_revision().publish()
    assert headlines(browser.get("/offer/")) == ["Offer hero"]
    assert headlines(browser.get("/offer/")) == ["Offer hero"]  # from the cache
    page.unpublish()
    assert browser.get("/offer/").status_code == 404
    page.save_revision().publish()
    assert headlines(browser.get("/offer/")) == ["Offer hero"]
    page.slug = "new-offer"
    page.save_revision().publish()
    assert browser.get("/offer/").status_code == 404
    assert headlines(browser.get("/new-offer/")) == ["Offer hero"]


def test_a_merged_persons_browsers_follow_the_survivor(personalised_home, browser):
    from leads.services import person_merge, visitor_link

    kept = PersonFactory(email="ada@bank.example")
    merged = PersonFactory(email="ada.l@bank.example")
    browser.get("/")
    with committed():  # the browser was identified by a form fill, as the merged address
        visitor_link(merged, browser.cookies["sp_vid"].value)
    assert browser.get("/").wsgi_request.personalization.person.person_id == merged.pk
    with committed():
        person_merge(keep=kept, merge=merged)
    assert browser.get("/").wsgi_request.personalization.person.person_id == kept.pk


def test_a_password_page_can_still_be_unlocked(personalised_home, browser):
    """Wagtail's own _util/ views (the password form, the front-end login) pass the page cache by."""
    from wagtail.models import PageViewRestriction

    page = StandardPageFactory(parent=personalised_home, title="Partners", slug="partners")
    page.save_revision().publish()
    restriction = PageViewRestriction.objects.create(page=page, restriction_type="password", password="s3cret")
    form = browser.get("/partners/")
    assert b"password" in form.content.lower()
    unlocked = browser.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/",
        {"password": "s3cret", "return_url": "/partners/"},
    )
    assert unlocked.status_code == 302 and unlocked["Location"] == "/partners/"
    assert browser.get("/partners/").status_code == 200
    assert browser.get("/_util/login/").status_code == 200


def test_editing_a_person_by_hand_refreshes_their_browsers(personalised_home, browser, a_grade_person):
    browser.get(f"/?sp_t={tracked_link_token(a_grade_person.pk)}")
    assert headlines(browser.get("/")) == ["A-grade hero"]
    a_grade_person.grade = "C2"
    with committed():
        a_grade_person.save()  # as the admin's edit view does
    assert headlines(browser.get("/")) == ["Default hero"]
