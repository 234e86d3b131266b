"""The audience in the admin: the live count the campaign editor asks for as the audience changes, and
the Audience page with each reason explained. Permissions, masking, hostile input."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from campaigns.models import AudienceSource
from leads.models import PersonTag, Tag
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory
from tests.factories.campaigns import AudienceSourceFactory, CampaignFactory, EmailTopicFactory

pytestmark = pytest.mark.django_db
COUNT_URL = "/admin/campaigns/audience/count/"


def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def login(django_user_model, client):
    def make(*permissions):
        user = django_user_model.objects.create_user("marketer", "m@example.com", "pw-123-secret")
        user.user_permissions.add(permission("wagtailadmin.access_admin"), *(permission(p) for p in permissions))
        client.force_login(user)
        return client

    return make


@pytest.fixture
def tagged(db):
    label = Tag.objects.create(name="Nurture: banking", slug="nurture-banking")
    bank = CompanyFactory(name="<img src=x onerror=alert(1)>")
    members = [
        PersonFactory(first_name="<script>alert(1)</script>", last_name="Ok", consent="granted", company=bank),
        PersonFactory(first_name="Bea", consent="granted", email="bea@meridian.example"),
        PersonFactory(first_name="Cy", consent="unknown"),
        PersonFactory(first_name="Dee", consent="granted", is_test=True),
    ]
    for person in members:
        PersonTag.objects.create(person=person, tag=label, added_at=timezone.now())
    return label, members


def form(*sources, topic=""):
    data = {"audience-TOTAL_FORMS": str(len(sources)), "audience-INITIAL_FORMS": "0", "topic": topic}
    for number, source in enumerate(sources):
        for field, value in source.items():
            data[f"audience-{number}-{field}"] = value
    return data


def test_the_live_count_says_who_gets_it_and_why_the_rest_are_left_out(login, tagged):
    label, _ = tagged
    client = login("campaigns.add_campaign")
    response = client.post(COUNT_URL, form({"kind": "tag", "tag": str(label.pk)}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong data-cm-audience-eligible>2</strong>" in html
    assert "<span data-cm-audience-total>4</span>" in html
    assert (
        '<tr data-cm-reason="no_consent"><td>No consent for email in their country&#x27;s policy</td><td>1</td>' in html
    )
    assert '<tr data-cm-reason="test_or_competitor"><td>Test or competitor</td><td>1</td>' in html
    # Hostile names are text; without the personal-data right, initials and masked addresses.
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "bea@meridian.example" not in html


def test_the_live_count_follows_excludes_deleted_rows_and_the_topic(login, tagged):
    label, members = tagged
    out = Tag.objects.create(name="Customers", slug="customers")
    PersonTag.objects.create(person=members[1], tag=out, added_at=timezone.now())
    topic = EmailTopicFactory(name="Newsletter")
    client = login("campaigns.change_campaign", "leads.view_personal_data")
    data = form(
        {"kind": "tag", "tag": str(label.pk)},
        {"kind": "tag", "tag": str(out.pk), "exclude": "on"},
        {"kind": "segment", "segment": "", "DELETE": "on"},  # deleted in the editor: not counted, not an error
        topic=str(topic.pk),
    )
    html = client.post(COUNT_URL, data).content.decode()
    assert "<strong data-cm-audience-eligible>1</strong>" in html
    assert '<tr data-cm-reason="excluded">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ok" in html  # the full name, escaped, with the right


@pytest.mark.parametrize(
    "source, message",
    [
        ({"kind": "tag", "tag": ""}, "audience 1, tag: choose the tag"),
        ({"kind": "tag", "tag": "abc"}, "audience 1, tag: not one of the choices"),
        ({"kind": "tag", "tag": "9" * 40}, "audience 1, tag: not one of the choices"),
        ({"kind": "zzz"}, "audience 1, kind: not one of the choices"),
        ({"kind": "segment", "segment": "999999"}, "audience 1, segment: that segment no longer exists"),
        ({"kind": "saved_filter", "saved_filter": "999999"}, "saved_filter: that saved filter no longer exists"),
    ],
)
def test_a_bad_audience_row_is_a_message_naming_the_field(login, source, message):
    client = login("campaigns.change_campaign")
    response = client.post(COUNT_URL, form(source))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_hostile_form_data_never_breaks_the_count(login):
    client = login("campaigns.change_campaign")
    for data in (
        {"audience-TOTAL_FORMS": "abc"},
        {"audience-TOTAL_FORMS": "99999999999"},
        {},
        {**form({"kind": "tag", "tag": "1"}), "topic": "x<script>"},
    ):
        response = client.post(COUNT_URL, data)
        assert response.status_code == 200
        assert "<script>" not in response.content.decode()


def test_the_count_without_an_audience_asks_for_one(login):
    html = login("campaigns.change_campaign").post(COUNT_URL, form()).content.decode()
    assert "Add an audience" in html


def test_the_count_needs_the_right_to_edit_campaigns_and_a_post(login, client):
    anonymous = client.post(COUNT_URL, form())
    assert anonymous.status_code == 302 and anonymous.url.startswith("/admin/login/")
    refused = login().post(COUNT_URL, form())  # Wagtail answers PermissionDenied with a redirect home
    assert (refused.status_code, refused.url) == (302, "/admin/")
    assert client.get(COUNT_URL).status_code == 405


def test_the_count_of_a_campaign_being_edited_names_it(login, tagged):
    label, _ = tagged
    client = login("campaigns.change_campaign")
    campaign = CampaignFactory()
    response = client.post(f"{COUNT_URL}?campaign={campaign.pk}", form({"kind": "tag", "tag": str(label.pk)}))
    assert "<strong data-cm-audience-eligible>2</strong>" in response.content.decode()
    assert client.post(f"{COUNT_URL}?campaign=999999", form()).status_code == 404


def test_the_audience_page_explains_each_reason_with_a_few_people(login, tagged):
    label, _ = tagged
    campaign = CampaignFactory(name="Nurture <b>banking</b>")
    AudienceSourceFactory(campaign=campaign, kind=AudienceSource.Kind.TAG, tag=label)
    AudienceSourceFactory(
        campaign=campaign, kind=AudienceSource.Kind.SEGMENT, segment=SegmentFactory(is_active=False, name="Old")
    )
    client = login("campaigns.change_campaign")
    response = client.get(f"/admin/campaigns/{campaign.pk}/audience/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong data-cm-audience-eligible>2</strong>" in html
    assert 'data-cm-reason="no_consent"' in html and "asks for opt-in" in html
    assert "C." in html  # Cy, masked to initials, under no consent
    assert "The segment “Old” is inactive" in html
    assert "Nurture &lt;b&gt;banking&lt;/b&gt;" in html


def test_the_audience_page_needs_the_change_right(login):
    campaign = CampaignFactory()
    refused = login("campaigns.add_campaign").get(f"/admin/campaigns/{campaign.pk}/audience/")
    assert (refused.status_code, refused.url) == (302, "/admin/")


def test_the_audience_page_of_an_unknown_campaign_is_404(login):
    assert login("campaigns.change_campaign").get("/admin/campaigns/999999/audience/").status_code == 404


def test_the_edit_page_comes_without_counting_and_asks_for_the_count_once_shown(login, tagged):
    """Counting 160k people took 2.6 s of every edit page's load: the page leaves it to the script."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    label, _ = tagged
    campaign = CampaignFactory()
    AudienceSourceFactory(campaign=campaign, kind="tag", tag=label)
    client = login("campaigns.change_campaign")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("campaigns_campaign:edit", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert not any("left_out_reason" in query["sql"] for query in queries.captured_queries)
    assert "data-cm-audience-eligible" not in html and "Counting the audience" in html
    assert f'data-url="{COUNT_URL}?campaign={campaign.pk}" data-count-on-load' in html
    assert "campaigns/audience_count.js" in html


def test_a_new_campaigns_panel_asks_for_an_audience_and_counts_nothing_on_load(login):
    from django.urls import reverse

    client = login("campaigns.add_campaign")
    html = client.get(reverse("campaigns_campaign:add")).content.decode()
    assert "data-cm-audience-panel" in html and "data-count-on-load" not in html
    assert "Add an audience" in html
