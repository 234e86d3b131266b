"""The campaign editor in the admin: editing, preview (desktop, phone, as a person), send a test."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from campaigns.models import Campaign
from outbox.models import OutgoingEmail
from tests.factories.campaigns import CampaignFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def _site_base_url(settings, home_page):
    settings.SITE_BASE_URL = "http://testserver"


@pytest.fixture
def make_user(django_user_model):
    def make(username, *permissions):
        user = django_user_model.objects.create_user(username, f"{username}@signalpage.test", "pw-123-secret")
        group = Group.objects.create(name=f"{username} group")
        for label in ("wagtailadmin.access_admin", *permissions):
            app_label, codename = label.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        user.groups.add(group)
        return user

    return make


@pytest.fixture
def marketer(client, make_user):
    client.force_login(make_user("marketer", "campaigns.add_campaign", "campaigns.change_campaign"))
    return client


@pytest.fixture
def plain(client, make_user):
    client.force_login(make_user("plain"))
    return client


def edit_form(campaign, **changes):
    data = {
        "name": campaign.name,
        "topic": "",
        "subject": campaign.subject,
        "preheader": "",
        "from_name": "",
        "reply_to": "",
        "body-count": "1",
        "body-0-type": "heading",
        "body-0-deleted": "",
        "body-0-order": "0",
        "body-0-id": "",
        "body-0-value-text": "Hello",
        "body-0-value-size": "h2",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "",
        "content_topics": "",
    }
    for prefix in ("subject_variants", "audience"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


# --- Editing ------------------------------------------------------------------------------------------
def test_the_campaigns_menu_and_list_show_escaped_names(marketer):
    CampaignFactory(name=HOSTILE, subject="Hi")
    response = marketer.get(reverse("campaigns_campaign:index"))
    assert response.status_code == 200
    assert HOSTILE not in response.content.decode() and "&lt;script&gt;" in response.content.decode()
    home = marketer.get(reverse("wagtailadmin_home")).content.decode()
    assert "Campaign emails" in home


def test_a_plain_admin_user_cannot_list_edit_preview_or_send(plain):
    campaign = CampaignFactory()
    for url in (
        reverse("campaigns_campaign:index"),
        reverse("campaigns_campaign:edit", args=[campaign.pk]),
        reverse("campaigns_preview", args=[campaign.pk]),
        reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]),
    ):
        response = plain.get(url)
        assert response.status_code in (302, 403), url
    assert plain.post(reverse("campaigns_send_test", args=[campaign.pk])).status_code in (302, 403)
    assert OutgoingEmail.objects.count() == 0


def test_saving_with_an_unknown_merge_field_is_refused_naming_it(marketer):
    campaign = CampaignFactory(subject="Hi")
    url = reverse("campaigns_campaign:edit", args=[campaign.pk])
    response = marketer.post(
        url, edit_form(campaign, subject="Hi {{ shoe_size }}", **{"body-0-value-text": "Yo {{ frist_name }}"})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "shoe_size" in page and "frist_name" in page and "Block 1" in page
    assert Campaign.objects.get(pk=campaign.pk).subject == "Hi"


def test_saving_with_known_merge_fields_works(marketer):
    campaign = CampaignFactory(subject="Hi")
    url = reverse("campaigns_campaign:edit", args=[campaign.pk])
    response = marketer.post(url, edit_form(campaign, subject="Hi {{ first_name|there }}"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.subject == "Hi {{ first_name|there }}" and campaign.body[0].value["text"] == "Hello"


# --- Preview --------------------------------------------------------------------------------------------
def test_preview_desktop_and_phone_with_the_sample_person(marketer):
    PersonFactory(first_name="Sam", is_test=False)
    campaign = CampaignFactory(
        subject="Hi {{ first_name|there }}",
        body=[{"type": "heading", "value": {"text": "Dear {{ first_name }}", "size": "h1"}}],
    )
    page = marketer.get(reverse("campaigns_preview", args=[campaign.pk]))
    assert page.status_code == 200
    desktop = marketer.get(reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]))
    assert desktop.status_code == 200 and "Dear S." in desktop.content.decode()  # initials: no personal-data right
    assert desktop.headers["X-Frame-Options"] == "SAMEORIGIN"
    phone = marketer.get(reverse("campaigns_preview_email", args=[campaign.pk, "phone"])).content.decode()
    assert 'width="375"' in phone and "srcdoc=" in phone and "Dear S." in phone
    assert campaign.preview_modes == [("desktop", "Desktop"), ("phone", "Phone")]


def test_preview_falls_back_to_alex_example_without_people(marketer):
    campaign = CampaignFactory(body=[{"type": "heading", "value": {"text": "Dear {{ full_name }}", "size": "h1"}}])
    html = marketer.get(reverse("campaigns_preview_email", args=[campaign.pk, "desktop"])).content.decode()
    assert "Dear A. E." in html or "Dear Alex Example" in html


def test_preview_as_a_person_searches_by_email_masked_without_the_right(marketer):
    person = PersonFactory(email="jane.hostile@bank.example", first_name=HOSTILE, last_name="Doe")
    campaign = CampaignFactory(body=[{"type": "heading", "value": {"text": "Mail to {{ email }}", "size": "h1"}}])
    url = reverse("campaigns_preview", args=[campaign.pk])
    found = marketer.get(url, {"q": "hostile@bank"}).content.decode()
    assert f"?person={person.pk}" in found
    assert "jane.hostile@bank.example" not in found and "j***@bank.example" in found
    assert "<script>alert" not in found
    html = marketer.get(
        reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]), {"person": person.pk}
    ).content.decode()
    assert "Mail to j***@bank.example" in html


def test_preview_as_a_person_shows_everything_with_the_personal_data_right(client, make_user):
    client.force_login(make_user("lead", "campaigns.change_campaign", "leads.view_personal_data"))
    person = PersonFactory(email="jane@bank.example", first_name=HOSTILE)
    campaign = CampaignFactory(
        body=[{"type": "heading", "value": {"text": "Hi {{ first_name }} {{ email }}", "size": "h1"}}]
    )
    html = client.get(
        reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]), {"person": person.pk}
    ).content.decode()
    assert "Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; jane@bank.example" in html
    page = client.get(reverse("campaigns_preview", args=[campaign.pk]), {"person": person.pk}).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999", "1" * 40, "1 OR 1=1"])
def test_a_malformed_or_unknown_person_is_a_400_naming_the_field(marketer, bad):
    campaign = CampaignFactory()
    response = marketer.get(reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]), {"person": bad})
    assert response.status_code == 400 and b"person" in response.content
    page = marketer.get(reverse("campaigns_preview", args=[campaign.pk]), {"person": bad})
    assert page.status_code == 400 and b"person:" in page.content


def test_an_unknown_mode_or_campaign_is_refused(marketer):
    campaign = CampaignFactory()
    assert marketer.get(reverse("campaigns_preview_email", args=[campaign.pk, "tv"])).status_code == 400
    assert marketer.get(reverse("campaigns_preview", args=[campaign.pk + 1000])).status_code == 404


# --- Send a test ------------------------------------------------------------------------------------------
def test_send_a_test_arrives_at_the_mail_server_with_both_parts_and_no_tracking(
    marketer, mail_server, django_capture_on_commit_callbacks
):
    person = PersonFactory(first_name="Jane")
    campaign = CampaignFactory(
        subject="Hello {{ first_name|there }}",
        body=[
            {"type": "heading", "value": {"text": "Hi {{ first_name }}", "size": "h1"}},
            {"type": "button", "value": {"label": "Read", "page": None, "url": "https://a.example/report"}},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.post(reverse("campaigns_send_test", args=[campaign.pk]), {"person": str(person.pk)})
    assert response.status_code == 302
    [received] = mail_server.messages
    assert received.rcpt_tos == ["marketer@signalpage.test"]
    assert received.subject == "[Test] Hello J."  # masked: the marketer lacks the personal-data right
    assert sorted(received.parts()) == ["multipart/alternative", "text/html", "text/plain"]
    assert "Hi J." in received.text and "https://a.example/report" in received.text
    html = received.html
    assert 'href="https://a.example/report"' in html
    assert "/email/c/" not in html and "/email/o/" not in html
    assert re.search(r"style=\"[^\"]*font-size: ?28px", html)
    email = OutgoingEmail.objects.get()
    assert email.kind == "campaigns.test" and email.status == "sent"


def test_send_a_test_without_an_address_says_so(client, make_user, mail_server):
    user = make_user("noaddress", "campaigns.change_campaign")
    user.email = ""
    user.save()
    client.force_login(user)
    campaign = CampaignFactory()
    response = client.post(reverse("campaigns_send_test", args=[campaign.pk]), follow=True)
    assert "no email address" in response.content.decode()
    assert mail_server.messages == [] and OutgoingEmail.objects.count() == 0


def test_send_a_test_needs_a_post(marketer, mail_server):
    campaign = CampaignFactory()
    assert marketer.get(reverse("campaigns_send_test", args=[campaign.pk])).status_code == 405
    assert mail_server.messages == []
