"""One-click unsubscribe (RFC 8058) and the preference centre (issue 17, item 4): the provider's POST with
no cookie unsubscribes at once and answers 200 without a redirect; a GET only asks; tampered links record
nothing; the preference centre keeps kinds of email per person and works on a first visit."""

import re

import pytest
from django.test import Client

from campaigns.models import CampaignRecipient, RecipientActivity, Suppression, TopicOptOut
from campaigns.signing import recipient_token
from forms.models import ConsentRecord
from leads.models import Interaction, Person, ScoringRule
from tests.factories.campaigns import CampaignRecipientFactory, EmailTopicFactory, SuppressionFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def recipient(home_page):
    person = PersonFactory(email="jana+news@meridian-bank.de", email_key="jana@meridian-bank.de", consent="granted")
    return CampaignRecipientFactory(person=person, status=CampaignRecipient.Status.SENT)


def unsubscribe_url(recipient):
    return f"/email/u/{recipient_token(recipient.pk, 'unsubscribe')}/"


def preferences_url(recipient):
    return f"/email/p/{recipient_token(recipient.pk, 'preferences')}/"


def nothing_recorded():
    return (
        not Suppression.objects.exists()
        and not RecipientActivity.objects.exists()
        and not Interaction.objects.filter(type="unsubscribe").exists()
        and not ConsentRecord.objects.exists()
        and not CampaignRecipient.objects.filter(unsubscribed_at__isnull=False).exists()
    )


def test_the_one_click_post_without_cookies_unsubscribes_at_once_and_never_redirects(recipient):
    ScoringRule.objects.create(name="Unsubscribed", kind="interest", interaction_type="unsubscribe", points=-40)
    provider = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token, no login: as a mailbox provider posts
    response = provider.post(unsubscribe_url(recipient), ONE_CLICK)

    assert response.status_code == 200 and "Location" not in response
    assert response["Content-Type"].startswith("text/html") and "unsubscribed" in response.content.decode()
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    suppression = Suppression.objects.get()
    assert (suppression.email_key, suppression.reason, suppression.campaign) == (
        "jana@meridian-bank.de",  # the lead store's key: the +tag folded
        "unsubscribed",
        recipient.campaign,
    )
    assert RecipientActivity.objects.get().kind == "unsubscribe"
    interaction = Interaction.objects.get(type="unsubscribe")
    assert interaction.person == recipient.person and interaction.object_id == str(recipient.campaign.pk)
    person = Person.objects.get()
    assert person.consent == "withdrawn"
    assert person.interest_score < 0  # the shipped negative rule fired
    ledger = ConsentRecord.objects.get()
    assert (ledger.granted, ledger.channel, ledger.text, ledger.email) == (
        False,
        "email",
        "Unsubscribed from all marketing email",
        "jana+news@meridian-bank.de",
    )


def test_a_second_post_changes_nothing_more(recipient):
    provider = Client(enforce_csrf_checks=True)
    provider.post(unsubscribe_url(recipient), ONE_CLICK)
    first = recipient.__class__.objects.get(pk=recipient.pk).unsubscribed_at
    again = provider.post(unsubscribe_url(recipient), ONE_CLICK)
    assert again.status_code == 200
    assert recipient.__class__.objects.get(pk=recipient.pk).unsubscribed_at == first
    assert RecipientActivity.objects.count() == 1 and Interaction.objects.filter(type="unsubscribe").count() == 1
    assert ConsentRecord.objects.count() == 1 and Suppression.objects.count() == 1


def test_a_get_only_shows_a_page_with_a_single_button(recipient):
    response = Client().get(unsubscribe_url(recipient))
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    main = html[html.index('id="main"') :]
    [form] = re.findall(r'<form[^>]*method="post"[^>]*>', main)
    assert "action" not in form  # posts to the same signed address
    assert len(re.findall(r"<button", main[main.index("<h1") :])) == 1
    assert nothing_recorded() and Person.objects.get().consent == "granted"


def test_the_pages_button_unsubscribes_without_a_csrf_token(recipient):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_url(recipient))
    assert response.status_code == 200 and "Location" not in response
    assert Suppression.objects.get().reason == "unsubscribed"
    assert Interaction.objects.get(type="unsubscribe").properties == {"via": "unsubscribe page"}


def test_a_stronger_reason_on_the_list_is_kept(recipient):
    SuppressionFactory(email_key="jana@meridian-bank.de", reason="complaint")
    Client().post(unsubscribe_url(recipient), ONE_CLICK)
    assert Suppression.objects.get().reason == "complaint"
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None  # the recipient's own act is still recorded


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "1:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "x" * 5000,
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "1' OR '1'='1",
    ],
)
def test_tampered_tokens_are_refused_and_record_nothing(recipient, token):
    for method in (Client().get, Client().post):
        response = (
            method(f"/email/u/{token}/", ONE_CLICK) if method.__name__ == "post" else method(f"/email/u/{token}/")
        )
        assert response.status_code == 404
    assert nothing_recorded()


def test_tokens_made_for_another_purpose_or_recipient_are_refused(recipient):
    open_token = recipient_token(recipient.pk, "open")
    flipped = recipient_token(recipient.pk, "unsubscribe")[:-1] + "x"
    gone = recipient_token(recipient.pk + 1000, "unsubscribe")
    for token in (open_token, flipped, gone):
        assert Client().post(f"/email/u/{token}/", ONE_CLICK).status_code == 404
    assert Client().post(f"/email/p/{recipient_token(recipient.pk, 'unsubscribe')}/").status_code == 404
    assert nothing_recorded()


def test_a_recipient_whose_person_was_deleted_is_still_suppressed(recipient):
    Person.objects.all().delete()  # recipient.person becomes NULL; the address stays on the row
    response = Client().post(unsubscribe_url(recipient), ONE_CLICK)
    assert response.status_code == 200
    assert Suppression.objects.get().email_key == "jana@meridian-bank.de"


# --- The preference centre ---------------------------------------------------------------------


@pytest.fixture
def topics(db):
    return [
        EmailTopicFactory(name="Newsletter", sort_order=1),
        EmailTopicFactory(name="Events", sort_order=2),
        EmailTopicFactory(name="Product news", sort_order=3),
    ]


def csrf_from(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_preference_centre_works_on_a_first_visit_and_keeps_the_ticked_kinds(recipient, topics):
    EmailTopicFactory(name="Retired kind", is_active=False)
    browser = Client(enforce_csrf_checks=True)  # no cookie before the GET
    page = browser.get(preferences_url(recipient))
    assert page.status_code == 200
    html = page.content.decode()
    assert [name for name in ("Newsletter", "Events", "Product news") if name in html] == [
        "Newsletter",
        "Events",
        "Product news",
    ]
    assert "Retired kind" not in html and html.count("checked") == 3
    newsletter, events, product = topics

    saved = browser.post(
        preferences_url(recipient), {"csrfmiddlewaretoken": csrf_from(html), "topics": [str(newsletter.pk)]}
    )
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    assert set(TopicOptOut.objects.values_list("topic__name", flat=True)) == {"Events", "Product news"}
    assert saved.content.decode().count("checked") == 1

    # Ticked again: the opt-out goes.
    browser.post(
        preferences_url(recipient),
        {"csrfmiddlewaretoken": csrf_from(html), "topics": [str(newsletter.pk), str(events.pk)]},
    )
    assert set(TopicOptOut.objects.values_list("topic__name", flat=True)) == {"Product news"}
    assert not Suppression.objects.exists()  # leaving a kind is not leaving everything


def test_the_preference_form_needs_its_csrf_token(recipient, topics):
    response = Client(enforce_csrf_checks=True).post(preferences_url(recipient), {"topics": []})
    assert response.status_code == 403 and not TopicOptOut.objects.exists()


def test_unsubscribe_from_all_in_the_preference_centre(recipient, topics):
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(preferences_url(recipient)).content.decode()
    response = browser.post(
        preferences_url(recipient), {"csrfmiddlewaretoken": csrf_from(html), "unsubscribe_all": "1"}
    )
    assert response.status_code == 200 and "unsubscribed from all" in response.content.decode()
    assert Suppression.objects.get().reason == "unsubscribed"
    assert Person.objects.get().consent == "withdrawn"


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 40, "<script>"])
def test_malformed_topic_values_are_a_clear_error(recipient, topics, value):
    client = Client()
    client.get(preferences_url(recipient))
    response = client.post(preferences_url(recipient), {"topics": [value]})
    assert response.status_code == 400 and b"topics" in response.content
    assert not TopicOptOut.objects.exists()


def test_unknown_topic_numbers_are_ignored(recipient, topics):
    client = Client()
    client.post(preferences_url(recipient), {"topics": ["999999", str(topics[0].pk)]})
    assert set(TopicOptOut.objects.values_list("topic__name", flat=True)) == {"Events", "Product news"}


def test_hostile_topic_names_render_escaped(recipient):
    EmailTopicFactory(name="<script>alert('x')</script>", description="<img src=x onerror=alert(1)>")
    html = Client().get(preferences_url(recipient)).content.decode()
    assert "<script>alert('x')</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_a_tampered_preference_link_is_refused(recipient, topics):
    assert Client().get("/email/p/nope/").status_code == 404
    assert Client().post("/email/p/nope/", {"unsubscribe_all": "1"}).status_code == 404
    assert nothing_recorded() and not TopicOptOut.objects.exists()
