"""Marketers build segments in the admin and watch the audience as they type; variant statistics."""

import json
import re

import pytest
from django.contrib.auth.models import Permission

from personalization import stats
from personalization.models import Segment, VariantStat
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory
from tests.personalization.conftest import Browser, personalised_hero

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/snippets/personalization/segment/add/"
AUDIENCE_URL = "/admin/personalisation/audience/"


def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def make_user(django_user_model, client):
    def make(*permissions):
        user = django_user_model.objects.create_user("marketer", "m@example.com", "pw-123-secret")
        user.user_permissions.add(permission("wagtailadmin.access_admin"), *(permission(p) for p in permissions))
        client.force_login(user)
        return client

    return make


def segment_form(name="Banking A-grades", match="all", rules=(), **extra):
    data = {
        "name": name,
        "description": "",
        "priority": "20",
        "match": match,
        "is_active": "on",
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for number, (fact, operator, value, *negate) in enumerate(rules):
        data.update(
            {
                f"rules-{number}-fact": fact,
                f"rules-{number}-operator": operator,
                f"rules-{number}-value": value,
                f"rules-{number}-ORDER": str(number + 1),
                f"rules-{number}-id": "",
            }
        )
        if negate and negate[0]:
            data[f"rules-{number}-negate"] = "on"
    return data


@pytest.fixture
def audience(db):
    bank = CompanyFactory(name="Meridian Bank", industry="banking")
    people = [
        PersonFactory(email=f"p{n}@meridian.example", grade=grade, company=bank, first_name=f"P{n}")
        for n, grade in enumerate(["A1", "A2", "B1", "C3"])
    ]
    PersonFactory(email="r@shop.example", grade="A1", company=CompanyFactory(industry="retail"))
    PersonFactory(email="t@test.example", grade="A1", company=bank, is_test=True)  # never counted
    return people


def test_a_marketer_creates_a_segment_with_rules(admin_client_logged_in):
    response = admin_client_logged_in.post(
        ADD_URL,
        segment_form(rules=[("industry", "is", "banking"), ("grade", "is", "A1,A2"), ("device", "is", "mobile", True)]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get(name="Banking A-grades")
    assert [str(rule) for rule in segment.rules.all()] == [
        "Industry (company) is one of banking",
        "Grade is one of A1,A2",
        "not Device type is one of mobile",
    ]
    assert admin_client_logged_in.get("/admin/snippets/personalization/segment/").status_code == 200


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (("visit_count", "gte", "many"), "is not a number"),
        (("device", "gte", "2"), "can be tested with"),
        (("time_of_day", "between", "9 to 5"), "Enter hours as from-to"),
    ],
)
def test_a_bad_rule_is_refused_on_its_field(admin_client_logged_in, rule, message):
    response = admin_client_logged_in.post(ADD_URL, segment_form(rules=[rule]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Segment.objects.exists()


def test_the_editor_shows_a_live_audience_count_and_sample(admin_client_logged_in, audience):
    data = segment_form(rules=[("industry", "is", "banking"), ("grade", "is", "A1,A2")])
    response = admin_client_logged_in.post(AUDIENCE_URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong data-pz-audience-count>2</strong> known people match" in html
    assert "p0@meridian.example" in html and "p1@meridian.example" in html and "p2@" not in html
    # As the marketer changes the rules the count follows: any rule, one rule negated, a bad value.
    html = admin_client_logged_in.post(
        AUDIENCE_URL, segment_form(match="any", rules=[("industry", "is", "banking"), ("grade", "is", "A1")])
    ).content.decode()
    assert "<strong data-pz-audience-count>5</strong>" in html
    html = admin_client_logged_in.post(
        AUDIENCE_URL, segment_form(rules=[("industry", "is", "banking"), ("grade", "is", "A1,A2", True)])
    ).content.decode()
    assert "<strong data-pz-audience-count>2</strong>" in html
    html = admin_client_logged_in.post(AUDIENCE_URL, segment_form(rules=[("score", "gte", "lots")])).content.decode()
    assert "Rule 1, value: “lots” is not a number." in html
    deleted = segment_form(rules=[("industry", "is", "banking")], **{"rules-0-DELETE": "on"})
    assert "Add a rule" in admin_client_logged_in.post(AUDIENCE_URL, deleted).content.decode()


def test_the_saved_segment_shows_its_audience_when_opened(admin_client_logged_in, audience):
    segment = SegmentFactory(name="Banking", rules=[("industry", "is", "banking")])
    html = admin_client_logged_in.get(f"/admin/snippets/personalization/segment/edit/{segment.pk}/").content.decode()
    assert "<strong data-pz-audience-count>4</strong>" in html and 'data-url="/admin/personalisation/audience/"' in html


def test_the_audience_count_is_one_query_plus_the_sample(
    admin_client_logged_in, audience, django_assert_max_num_queries
):
    data = segment_form(
        rules=[("industry", "is", "banking"), ("viewed_topic", "any", "ai"), ("downloaded", "any", "")], match="any"
    )
    admin_client_logged_in.post(AUDIENCE_URL, data)
    with django_assert_max_num_queries(5):  # session, user, permissions, COUNT, sample
        response = admin_client_logged_in.post(AUDIENCE_URL, data)
    # Few queries are only worth something if they still answer: the count and the sample are there.
    html = response.content.decode()
    assert response.status_code == 200 and "<strong data-pz-audience-count>4</strong>" in html, html[:2000]
    assert "p***@meridian.example" in html or "p0@meridian.example" in html, "the sample is shown"


def test_contact_details_are_masked_without_the_personal_data_permission(make_user, audience):
    client = make_user("personalization.add_segment", "personalization.change_segment")
    html = client.post(AUDIENCE_URL, segment_form(rules=[("industry", "is", "banking")])).content.decode()
    assert "p0@meridian.example" not in html and "p***@meridian.example" in html
    assert "P0 " not in html and ">P. " in html  # names become initials


def test_people_with_the_personal_data_permission_see_emails(make_user, audience):
    client = make_user("personalization.change_segment", "leads.view_personal_data")
    assert (
        "p0@meridian.example"
        in client.post(AUDIENCE_URL, segment_form(rules=[("industry", "is", "banking")])).content.decode()
    )


def test_the_audience_needs_the_segment_permission(make_user, client, audience):
    anonymous = client.post(AUDIENCE_URL, segment_form(rules=[("industry", "is", "banking")]))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    editor = make_user("leads.view_personal_data")
    # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
    refused = editor.post(AUDIENCE_URL, segment_form(rules=[("industry", "is", "banking")]))
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert editor.get("/admin/personalisation/statistics/")["Location"] == "/admin/"


def test_the_audience_survives_hostile_form_data(admin_client_logged_in, audience):
    data = segment_form(rules=[("industry", "is", "x" * 10_000)])
    data["rules-TOTAL_FORMS"] = "999999999"
    assert admin_client_logged_in.post(AUDIENCE_URL, data).status_code == 200
    data["rules-TOTAL_FORMS"] = "lots"
    assert admin_client_logged_in.post(AUDIENCE_URL, data).status_code == 200
    assert admin_client_logged_in.get(AUDIENCE_URL).status_code == 405


@pytest.fixture
def shown_home(home_page, campaign_segment):
    home_page.hero = json.dumps(personalised_hero("Default hero", [(campaign_segment, "Campaign hero")]))
    home_page.save_revision().publish()
    return home_page


def test_impressions_and_clicks_per_variant(shown_home, campaign_segment):
    campaign, plain = Browser(), Browser()
    for _ in range(3):
        campaign.get("/?utm_campaign=banking-q4")
    plain.get("/")
    totals = {row.segment_id: row for row in VariantStat.objects.all()}
    assert (totals[campaign_segment.pk].impressions, totals[0].impressions) == (3, 1)
    # The page hands out the variant's signed key; the beacon counts a click on a link inside it.
    html = campaign.get("/").content.decode()
    key = html.split('data-pz-variant="')[1].split('"')[0]
    assert campaign.post("/personalisation/click/", {"variant": key}).status_code == 204
    assert campaign.post("/personalisation/click/", {"variant": key.replace(":", ":x")}).status_code == 400
    assert campaign.post("/personalisation/click/", {"variant": "1|Home hero|0"}).status_code == 400  # unsigned
    api_key = campaign.get(f"/api/v2/pages/{shown_home.pk}/").json()["hero"][0]["value"]["variant_key"]
    response = campaign.post(
        "/api/v1/personalization/clicks", {"variant_key": api_key}, content_type="application/json"
    )
    assert response.status_code == 204
    assert (
        campaign.post(
            "/api/v1/personalization/clicks", {"variant_key": "forged"}, content_type="application/json"
        ).status_code
        == 422
    )
    stat = VariantStat.objects.get(segment_id=campaign_segment.pk)
    assert (stat.impressions, stat.clicks) == (5, 2)  # four pages and one API read; two clicks


def test_a_replayed_click_key_counts_a_limited_number_of_times(shown_home, campaign_segment):
    from personalization.views import CLICKS_PER_HOUR

    campaign = Browser()
    html = campaign.get("/?utm_campaign=banking-q4").content.decode()
    key = html.split('data-pz-variant="')[1].split('"')[0]
    for _ in range(CLICKS_PER_HOUR + 15):
        assert campaign.post("/personalisation/click/", {"variant": key}).status_code == 204
    assert VariantStat.objects.get(segment_id=campaign_segment.pk).clicks == CLICKS_PER_HOUR
    other_address = campaign.post("/personalisation/click/", {"variant": key}, REMOTE_ADDR="10.9.8.7")
    assert other_address.status_code == 204
    assert VariantStat.objects.get(segment_id=campaign_segment.pk).clicks == CLICKS_PER_HOUR + 1


def test_a_form_fill_after_seeing_a_variant_is_a_conversion(shown_home, campaign_segment, whitepaper_with_form):
    from tests.forms.conftest import submit

    campaign = Browser()
    campaign.get("/?utm_campaign=banking-q4")
    response = submit(campaign, whitepaper_with_form.url)
    assert response.status_code == 200 and "Download" in response.content.decode()
    assert VariantStat.objects.get(segment_id=campaign_segment.pk).conversions == 1
    submit(campaign, whitepaper_with_form.url)  # a second fill without seeing the variant again
    assert VariantStat.objects.get(segment_id=campaign_segment.pk).conversions == 1
    stats.flush()


@pytest.fixture
def whitepaper_with_form(whitepaper_index, settings):
    from tests.factories import LeadFormPageFactory, WhitepaperPageFactory

    settings.FORMS_MIN_FILL_SECONDS = 0
    form = LeadFormPageFactory(parent=whitepaper_index.get_parent(), title="Get it", slug="get-it")
    return WhitepaperPageFactory(parent=whitepaper_index, title="AI in banking", slug="ai-banking", gate_form=form)


def test_the_statistics_report_shows_each_variant_with_bars(admin_client_logged_in, shown_home, campaign_segment):
    Browser().get("/?utm_campaign=banking-q4")
    Browser().get("/")
    Browser().get("/")
    response = admin_client_logged_in.get("/admin/personalisation/statistics/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0].startswith("/admin/reports/content/?period=30d")
    assert "Personalised blocks: variants" in html and "Banking campaign" in html and "Default" in html
    assert 'data-value="2.0"' in html and 'data-value="1.0"' in html  # the default's 2 impressions against 1
    assert admin_client_logged_in.get("/admin/personalisation/statistics/?days=bad", follow=True).status_code == 200


def test_the_statistics_page_has_a_title(admin_client_logged_in):
    html = admin_client_logged_in.get("/admin/personalisation/statistics/", follow=True).content.decode()
    assert "<title>Content performance - " in html  # was " - Wagtail"
    assert re.search(r"<h1[^>]*>(?:(?!</h1>).)*Content performance", html, flags=re.S)


def test_the_audience_panel_loads_its_script_from_a_static_file(admin_client_logged_in):
    # The admin's CSP refuses inline event handlers; the panel's behaviour lives in one file, loaded
    # as the panel's media, so nothing about it is inline in the page.
    html = admin_client_logged_in.get(ADD_URL).content.decode()
    assert 'src="/static/personalization/audience_panel.js"' in html
    assert 'href="/static/personalization/audience_panel.css"' in html
    assert "MutationObserver" not in html and "data-pz-audience-body" in html


def test_without_javascript_the_count_comes_back_with_the_form(admin_client_logged_in, audience):
    # Saving with a mistake elsewhere (no name) shows the count of the rules as they were posted.
    response = admin_client_logged_in.post(ADD_URL, segment_form(name="", rules=[("industry", "is", "banking")]))
    html = response.content.decode()
    assert response.status_code == 200 and not Segment.objects.exists()
    assert "<strong data-pz-audience-count>4</strong>" in html
    segment = SegmentFactory(name="Banking", rules=[("industry", "is", "banking")])
    edited = segment_form(name="Banking", rules=[("industry", "is", "banking"), ("grade", "is", "A1")])
    edited.update({"rules-0-id": str(segment.rules.get().pk), "rules-INITIAL_FORMS": "1", "priority": "not a number"})
    html = admin_client_logged_in.post(
        f"/admin/snippets/personalization/segment/edit/{segment.pk}/", edited
    ).content.decode()
    assert "<strong data-pz-audience-count>1</strong>" in html  # the posted rules, not the saved one


@pytest.mark.parametrize(
    "permission", ["personalization.view_segment", "personalization.add_segment", "personalization.change_segment"]
)
def test_whoever_may_open_the_statistics_finds_them_in_the_menu(make_user, permission):
    client = make_user(permission)
    assert client.get("/admin/personalisation/statistics/", follow=True).status_code == 200
    assert "Content performance" in client.get("/admin/").content.decode()


def test_without_a_segment_right_neither_the_statistics_nor_their_menu_item(make_user):
    client = make_user("leads.view_personal_data")
    assert client.get("/admin/personalisation/statistics/")["Location"] == "/admin/"
    assert "Variant statistics" not in client.get("/admin/").content.decode()
