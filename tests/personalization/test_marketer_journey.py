"""The issue's "done when", through the admin as a marketer would do it: three segments, a hero variant
for each, three browsers see three heroes and a fourth the default, and the API agrees."""

import re

import pytest
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import HomePage
from personalization.models import Segment
from personalization.services import tracked_link_token
from tests.factories import PersonFactory
from tests.personalization.conftest import MOBILE_UA, new_browser
from tests.personalization.test_admin import ADD_URL, segment_form

pytestmark = pytest.mark.django_db
HEADLINE = re.compile(r'class="hero__headline">([^<]*)<')


def listblock(items):
    """ListBlock form data, the shape Wagtail's ListBlock reads (streamfield() without block types)."""
    data = {str(n): {"value": value, "deleted": "", "order": str(n), "id": ""} for n, value in enumerate(items)}
    data["count"] = str(len(items))
    return data


def hero(headline):
    return {"headline": headline, "subhead": "", "image": "", "call_to_action": {"label": "", "page": "", "url": ""}}


def edit_home(client, home, variants, *, default="Everyone's hero"):
    return client.post(
        f"/admin/pages/{home.pk}/edit/",
        nested_form_data(
            {
                "title": home.title,
                "slug": home.slug,
                "hero": streamfield(
                    [
                        (
                            "personalised_hero",
                            {
                                "name": "Home hero",
                                "default": streamfield([("hero", hero(default))]),
                                "variants": listblock(
                                    [
                                        {"segment": segment.pk, "content": streamfield([("hero", hero(headline))])}
                                        for segment, headline in variants
                                    ]
                                ),
                            },
                        )
                    ]
                ),
                "body": streamfield([]),
                "action-publish": "publish",
            }
        ),
    )


def test_three_segments_three_heroes_and_a_default(admin_client_logged_in, home_page):
    for name, rules in [
        ("Spring campaign", [("utm_campaign", "is", "spring-26")]),
        ("Mobile visitors", [("device", "is", "mobile")]),
        ("Known A-grade", [("known", "true", ""), ("grade", "is", "A1,A2")]),
    ]:
        response = admin_client_logged_in.post(ADD_URL, segment_form(name=name, rules=rules))
        assert response.status_code == 302, response.content.decode()[:1500]
    campaign, mobile, a_grade = (
        Segment.objects.get(name=n) for n in ("Spring campaign", "Mobile visitors", "Known A-grade")
    )
    response = edit_home(
        admin_client_logged_in,
        home_page,
        [(a_grade, "Talk to your account team"), (campaign, "Spring offer"), (mobile, "On the go")],
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert HomePage.objects.get(pk=home_page.pk).live_revision_id

    person = PersonFactory(grade="A1")
    browsers = {
        "campaign": new_browser(),
        "mobile": new_browser(MOBILE_UA),
        "a_grade": new_browser(),
        "nobody": new_browser(),
    }
    browsers["campaign"].get("/?utm_campaign=spring-26")
    browsers["a_grade"].get(f"/?sp_t={tracked_link_token(person.pk)}")
    seen = {}
    for who, browser in browsers.items():
        html = browser.get("/").content.decode()
        api = browser.get(f"/api/v2/pages/{home_page.pk}/").json()["hero"][0]["value"]
        seen[who] = (HEADLINE.findall(html), api["content"][0]["value"]["headline"])
    assert seen == {
        "campaign": (["Spring offer"], "Spring offer"),
        "mobile": (["On the go"], "On the go"),
        "a_grade": (["Talk to your account team"], "Talk to your account team"),
        "nobody": (["Everyone&#x27;s hero"], "Everyone's hero"),
    }


def test_two_variants_for_one_segment_are_refused(admin_client_logged_in, home_page, campaign_segment):
    response = edit_home(admin_client_logged_in, home_page, [(campaign_segment, "One"), (campaign_segment, "Two")])
    assert response.status_code == 200
    assert "Each segment can have one variant in a block" in response.content.decode()
