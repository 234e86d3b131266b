"""The way back after "unsubscribe from everything" (issue 17 leftovers, item 1): the preference centre lets
a person who unsubscribed subscribe again by an explicit POST. The unsubscribe is lifted, consent is granted
again on the ledger ("Resubscribed in the preference centre"); bounces and complaints stay and the page
says so; under double opt-in the forms' confirmation email goes out and consent waits for its link."""

import re

import pytest
from django.test import Client

from campaigns.models import CampaignRecipient, Suppression
from campaigns.signing import recipient_token
from forms.models import ConsentPolicy, ConsentRecord
from leads.models import Interaction, Person
from outbox.models import OutgoingEmail
from tests.factories.campaigns import CampaignRecipientFactory, SuppressionFactory
from tests.factories.forms import ConsentPolicyFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

Confirmation = ConsentRecord.Confirmation
POLICY_TEXT = "Yes, send me research and event invitations by email. I can unsubscribe at any time."
CONFIRM_LINK = re.compile(r"http://testserver(/consent/[^/\s]+/)")


@pytest.fixture
def policies(db):
    """Opt-in everywhere; Germany with double opt-in, France without."""
    for country, double in (("DE", True), ("FR", False), ("*", False)):
        ConsentPolicy.objects.filter(country=country).delete()
        ConsentPolicyFactory(country=country, text=POLICY_TEXT, double_opt_in=double)


def recipient_in(country: str) -> CampaignRecipient:
    person = PersonFactory(
        email="jana+news@meridian-bank.example",
        email_key="jana@meridian-bank.example",
        first_name="Jana",
        country=country,
        consent="granted",
    )
    return CampaignRecipientFactory(person=person, status=CampaignRecipient.Status.SENT)


def preferences_url(recipient):
    return f"/email/p/{recipient_token(recipient.pk, 'preferences')}/"


def unsubscribe_url(recipient):
    return f"/email/u/{recipient_token(recipient.pk, 'unsubscribe')}/"


def csrf_from(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def unsubscribed_browser(recipient):
    """A browser that left everything in the preference centre; returns it with the page it now shows."""
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(preferences_url(recipient)).content.decode()
    page = browser.post(preferences_url(recipient), {"csrfmiddlewaretoken": csrf_from(html), "unsubscribe_all": "1"})
    assert Suppression.objects.get().reason == "unsubscribed"
    assert Person.objects.get().consent == "withdrawn"
    return browser, page.content.decode()


def resubscribe(browser, recipient, html, **extra):
    return browser.post(
        preferences_url(recipient), {"csrfmiddlewaretoken": csrf_from(html), "resubscribe": "1"}, **extra
    )


def test_someone_who_left_everything_subscribes_again(policies):
    recipient = recipient_in("FR")
    browser, html = unsubscribed_browser(recipient)
    assert "Subscribe again" in html and POLICY_TEXT in html  # offered at once, with the wording agreed to
    assert 'name="unsubscribe_all"' not in html

    response = resubscribe(browser, recipient, html, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 200
    page = response.content.decode()
    assert "subscribed again" in page and "Subscribe again</button>" not in page
    assert 'name="unsubscribe_all"' in page  # and the way out again
    assert not Suppression.objects.exists()
    assert Person.objects.get().consent == "granted"
    granted = ConsentRecord.objects.filter(granted=True).get()
    assert granted.text == f"Resubscribed in the preference centre: {POLICY_TEXT}"
    assert (granted.email, granted.channel, granted.confirmation, granted.policy_country, granted.ip_address) == (
        "jana+news@meridian-bank.example",
        "email",
        Confirmation.NOT_REQUIRED,
        "FR",
        "198.51.100.7",
    )
    assert ConsentRecord.objects.count() == 2  # the withdrawal before it stays on the ledger
    # No kind of interaction fits (and no scoring rule would read one); the unsubscribe stays as it happened.
    assert list(Interaction.objects.values_list("type", flat=True)) == ["unsubscribe"]
    assert not OutgoingEmail.objects.exists()


def test_the_email_goes_to_them_again(policies):
    """What counts in the end: the audience takes them back."""
    from campaigns.eligibility import annotate_reason, rules_for

    recipient = recipient_in("FR")
    browser, html = unsubscribed_browser(recipient)
    rules = rules_for(campaign_id=None, topic_id=None)

    def reason():
        return annotate_reason(Person.objects.all(), rules, exclude_q=None).get().left_out_reason

    assert reason() == "unsubscribed"
    resubscribe(browser, recipient, html)
    assert reason() == ""


def test_a_second_post_records_nothing_more(policies):
    recipient = recipient_in("FR")
    browser, html = unsubscribed_browser(recipient)
    resubscribe(browser, recipient, html)
    again = resubscribe(browser, recipient, html)
    assert again.status_code == 200
    assert ConsentRecord.objects.filter(granted=True).count() == 1


def test_the_old_emails_unsubscribe_link_works_again_after_resubscribing(policies):
    recipient = recipient_in("FR")
    browser, html = unsubscribed_browser(recipient)
    resubscribe(browser, recipient, html)

    page = Client().get(unsubscribe_url(recipient)).content.decode()
    assert "<h1>Unsubscribe</h1>" in page  # the button is back, not "you're unsubscribed"
    Client().post(unsubscribe_url(recipient), {"List-Unsubscribe": "One-Click"})

    assert Suppression.objects.get().reason == "unsubscribed"
    assert Person.objects.get().consent == "withdrawn"
    withdrawals = ConsentRecord.objects.filter(granted=False).order_by("recorded_at", "pk")
    assert [row.text for row in withdrawals] == ["Unsubscribed from all marketing email"] * 2
    assert Interaction.objects.filter(type="unsubscribe").count() == 2


@pytest.mark.parametrize(
    ("reason", "says"),
    [("hard_bounce", "bounced"), ("complaint", "reported our email as spam"), ("imported", "do-not-email list")],
)
def test_bounces_complaints_and_imports_stay_and_the_page_says_so(policies, reason, says):
    recipient = recipient_in("FR")
    SuppressionFactory(email_key="jana@meridian-bank.example", reason=reason)
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(preferences_url(recipient)).content.decode()
    assert says in html and "Subscribe again</button>" not in html

    # A hand-made POST changes nothing either.
    response = resubscribe(browser, recipient, html)
    assert response.status_code == 200 and says in response.content.decode()
    assert Suppression.objects.get().reason == reason
    assert not ConsentRecord.objects.exists()
    assert Person.objects.get().consent == "granted"


def test_someone_never_unsubscribed_is_offered_nothing_and_a_post_records_nothing(policies):
    recipient = recipient_in("FR")
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(preferences_url(recipient)).content.decode()
    assert "Subscribe again" not in html
    assert resubscribe(browser, recipient, html).status_code == 200
    assert not ConsentRecord.objects.exists() and not Suppression.objects.exists()


def test_resubscribing_needs_the_pages_csrf_token_and_a_good_link(policies):
    recipient = recipient_in("FR")
    unsubscribed_browser(recipient)
    assert Client(enforce_csrf_checks=True).post(preferences_url(recipient), {"resubscribe": "1"}).status_code == 403
    assert Client().post("/email/p/nope/", {"resubscribe": "1"}).status_code == 404
    assert Suppression.objects.get().reason == "unsubscribed"
    assert not ConsentRecord.objects.filter(granted=True).exists()


def test_under_double_opt_in_consent_waits_for_the_emailed_link(
    policies, mail_server, django_capture_on_commit_callbacks
):
    recipient = recipient_in("DE")
    browser, html = unsubscribed_browser(recipient)

    with django_capture_on_commit_callbacks(execute=True):
        response = resubscribe(browser, recipient, html)

    assert "sent you an email with a link" in response.content.decode()
    assert not Suppression.objects.exists()
    assert Person.objects.get().consent == "withdrawn"  # not yet
    awaiting = ConsentRecord.objects.get(confirmation=Confirmation.AWAITING)
    assert awaiting.text == f"Resubscribed in the preference centre: {POLICY_TEXT}" and awaiting.policy_country == "DE"
    assert OutgoingEmail.objects.get(kind="forms.consent_confirmation").about == awaiting
    [received] = mail_server.to("jana+news@meridian-bank.example")
    assert received.subject == "Please confirm that you'd like to hear from us"
    assert received.text.startswith("Hello Jana,")

    # The forms app's own confirmation page, as after a form.
    path = CONFIRM_LINK.search(received.text).group(1)
    confirm_page = browser.get(path).content.decode()
    browser.post(path, {"csrfmiddlewaretoken": csrf_from(confirm_page)})
    assert Person.objects.get().consent == "granted"
    assert ConsentRecord.objects.get(confirms=awaiting).confirmation == Confirmation.DOUBLE_OPT_IN


def test_under_double_opt_in_a_suppressed_address_still_saying_granted_waits_too(
    policies, mail_server, django_capture_on_commit_callbacks
):
    """Suppressed as unsubscribed without a withdrawal (an import of unsubscribes, a provider's event for an
    address we had not sent to): the person's consent still says granted, which must not count before the
    link is clicked."""
    recipient = recipient_in("DE")
    SuppressionFactory(email_key="jana@meridian-bank.example", reason="unsubscribed")
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(preferences_url(recipient)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resubscribe(browser, recipient, html)
    assert not Suppression.objects.exists()
    assert Person.objects.get().consent == "withdrawn"
    assert ConsentRecord.objects.get().confirmation == Confirmation.AWAITING
