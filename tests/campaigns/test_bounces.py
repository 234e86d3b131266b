"""Bounces and complaints through Anymail's tracking webhooks (issue 17, item 4): a provider's real payload
(Postmark's; every provider Anymail supports arrives as the same signal) posted with the webhook's basic auth puts the
address on the suppression list and marks the recipient; a wrong or missing secret records nothing; soft
bounces suppress nothing."""

import base64
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from campaigns import bounces
from campaigns.models import CampaignRecipient, RecipientActivity, Suppression
from campaigns.suppression import is_suppressed
from leads.models import Interaction, Person
from tests.factories.campaigns import CampaignRecipientFactory, SuppressionFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/email/anymail/postmark/tracking/"
SECRET = "hook:s3cret-webhook-password"


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture(autouse=True)
def webhook_secret():
    with override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET}):
        yield


@pytest.fixture
def recipient(db):
    person = PersonFactory(email="jana@meridian-bank.de", email_key="jana@meridian-bank.de", consent="granted")
    return CampaignRecipientFactory(
        person=person, status=CampaignRecipient.Status.SENT, message_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )


def postmark(record_type="Bounce", type_="HardBounce", *, email="jana@meridian-bank.de", metadata=None, **extra):
    """A Postmark bounce/spam webhook body, as Postmark's documentation shows it."""
    return {
        "RecordType": record_type,
        "ID": 4323372036854775807,
        "Type": type_,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "newsletter",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": metadata if metadata is not None else {},
        "ServerID": 23,
        "MessageStream": "broadcast",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "news@northwind-signal.example",
        "BouncedAt": "2026-03-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Five ideas for your data team",
        **extra,
    }


def post(body, **headers):
    return Client(enforce_csrf_checks=True).post(URL, json.dumps(body), content_type="application/json", **headers)


def test_a_hard_bounce_suppresses_the_address_and_marks_the_recipient(recipient):
    response = post(postmark(metadata={"recipient": str(recipient.pk)}), **auth())
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.email_key, suppression.reason, suppression.campaign) == (
        "jana@meridian-bank.de",
        "hard_bounce",
        recipient.campaign,
    )
    assert "550 5.1.1" in suppression.detail or "unable to deliver" in suppression.detail
    recipient.refresh_from_db()
    assert recipient.bounced_at is not None and recipient.complained_at is None
    assert RecipientActivity.objects.get().kind == "bounce"


def test_the_recipient_is_found_by_message_id_without_metadata(recipient):
    post(postmark(email="JANA+news@Meridian-Bank.de"), **auth())
    recipient.refresh_from_db()
    assert recipient.bounced_at is not None
    assert Suppression.objects.get().email_key == "jana@meridian-bank.de"


def test_a_complaint_suppresses_as_a_complaint_over_an_earlier_unsubscribe(recipient):
    SuppressionFactory(email_key="jana@meridian-bank.de", reason="unsubscribed")
    post(postmark("SpamComplaint", "SpamComplaint", metadata={"recipient": recipient.pk}), **auth())
    assert Suppression.objects.get().reason == "complaint"
    recipient.refresh_from_db()
    assert recipient.complained_at is not None
    assert RecipientActivity.objects.get().kind == "complaint"


def test_a_providers_unsubscribe_is_a_one_click_unsubscribe(recipient):
    body = {
        "RecordType": "SubscriptionChange",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "MessageStream": "broadcast",
        "ChangedAt": "2026-03-05T16:40:00Z",
        "Recipient": "jana@meridian-bank.de",
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "newsletter",
        "Metadata": {"recipient": str(recipient.pk)},
    }
    assert post(body, **auth()).status_code == 200
    assert Suppression.objects.get().reason == "unsubscribed"
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    assert Interaction.objects.filter(type="unsubscribe", person=recipient.person).count() == 1
    assert Person.objects.get().consent == "withdrawn"


@pytest.mark.parametrize("soft", ["SoftBounce", "Transient", "DnsError"])
def test_soft_bounces_suppress_nothing_and_are_counted(recipient, soft):
    before = bounces.outcomes["soft"]
    assert post(postmark(type_=soft, metadata={"recipient": recipient.pk}), **auth()).status_code == 200
    assert not Suppression.objects.exists()
    recipient.refresh_from_db()
    assert recipient.bounced_at is None and recipient.soft_bounced_at is not None
    assert RecipientActivity.objects.get().kind == "soft_bounce"
    assert bounces.outcomes["soft"] == before + 1


def test_soft_bounces_show_in_the_results_apart_from_bounces(recipient, admin_client_logged_in):
    from campaigns.results import campaign_results

    campaign = recipient.campaign
    CampaignRecipient.objects.filter(pk=recipient.pk).update(sent_at=timezone.now())
    other = CampaignRecipientFactory(campaign=campaign, status="sent", sent_at=timezone.now())
    soft = postmark(type_="SoftBounce", metadata={"recipient": recipient.pk})
    post(soft, **auth())
    post(soft, **auth())  # the provider tells again (or retries the webhook): one recipient, counted once
    post(postmark(type_="Transient", MessageID="not-ours", email="someone@elsewhere.example"), **auth())
    post(postmark(metadata={"recipient": other.pk}, email=other.email), **auth())  # a hard bounce

    results = campaign_results(campaign)
    assert (results.sent, results.soft_bounced, results.bounced, results.delivered) == (2, 1, 1, 1)
    assert Suppression.objects.get().reason == "hard_bounce"  # only the hard bounce's address
    html = admin_client_logged_in.get(f"/admin/campaigns/{campaign.pk}/results/").content.decode()
    row = '<th scope="row">Soft bounced (not suppressed; the provider retries)</th><td data-cm-count>1<'
    assert f'data-cm-row="soft-bounced">{row}' in html


def test_a_bounce_for_an_address_no_recipient_matches_still_suppresses_it(db):
    post(postmark(email="gone@old-domain.example", MessageID="not-ours"), **auth())
    assert is_suppressed("gone@old-domain.example")


def test_a_batch_with_one_event_twice_records_the_recipient_once(recipient):
    body = postmark(metadata={"recipient": recipient.pk})
    post(body, **auth())
    post(body, **auth())
    assert Suppression.objects.count() == 1 and RecipientActivity.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("hook:wrong"),
        auth("someone:s3cret-webhook-password"),
        {"HTTP_AUTHORIZATION": "Basic not-base64!!"},
        {"HTTP_AUTHORIZATION": "Bearer " + SECRET},
    ],
)
def test_a_wrong_or_missing_secret_records_nothing(recipient, headers):
    response = post(postmark(metadata={"recipient": recipient.pk}), **headers)
    assert 400 <= response.status_code < 500
    assert not Suppression.objects.exists() and not RecipientActivity.objects.exists()
    recipient.refresh_from_db()
    assert recipient.bounced_at is None


def test_with_no_secret_configured_the_webhook_is_refused(recipient):
    with override_settings(ANYMAIL={}):
        response = post(postmark(metadata={"recipient": recipient.pk}))
    assert response.status_code == 403 and not Suppression.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "",
        "[]",
        json.dumps({"RecordType": "Bounce"}),  # no address at all
        json.dumps(postmark(email="<script>@x", metadata={"recipient": "1; DROP TABLE"}, MessageID="")),
    ],
)
def test_malformed_or_hostile_bodies_never_suppress_anything(recipient, body):
    response = Client().post(URL, body, content_type="application/json", **auth())
    assert response.status_code in (200, 400)
    assert not Suppression.objects.exists() and not RecipientActivity.objects.exists()
