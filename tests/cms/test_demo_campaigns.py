"""The demo's campaign email: a newsletter that went out with its opens and clicks, and the December
nurture email to the "Nurture: banking" audience, ready to send."""

import pytest
from django.core import mail
from django.core.management import call_command

from campaigns.audience import audience_summary
from campaigns.models import Campaign, EmailTopic, RecipientActivity
from campaigns.results import campaign_results
from leads.models import Interaction

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_sent_newsletter_with_its_results_and_a_nurture_email_ready_to_send():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert set(EmailTopic.objects.values_list("name", flat=True)) == {"Newsletter", "Events", "Product news"}
    newsletter = Campaign.objects.get(name="November newsletter")
    results = campaign_results(newsletter)
    assert newsletter.status == Campaign.Status.SENT
    assert results.sent > 20 and results.human_opens > 0 and results.machine_opens > 0 and results.clicked > 0
    assert results.unsubscribed == 1 and results.bounced == 1
    assert mail.outbox == []  # the demo's addresses are made up: nothing was handed to a mail server
    clicks = Interaction.objects.filter(type="email_click", object_id=str(newsletter.pk))
    assert clicks.count() == RecipientActivity.objects.filter(recipient__campaign=newsletter, kind="click").count()
    assert Interaction.objects.filter(type="email_sent", object_id=str(newsletter.pk)).count() == results.sent
    december = Campaign.objects.get(name="Nurture: banking, December")
    assert december.status == Campaign.Status.DRAFT
    summary = audience_summary(december)
    assert summary.eligible > 0 and summary.total_in_audience > summary.eligible  # and some are left out, with reasons
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert Campaign.objects.count() == 2  # loaded once
