"""A campaign's results (campaigns.results) and its admin page (campaigns.results_admin)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from campaigns import tracking_buffer
from campaigns.models import CampaignLink, CampaignRecipient, SubjectVariant
from campaigns.results import campaign_results
from campaigns.tracking_writer import tracking_flush
from leads.models import Interaction
from tests.factories.campaigns import CampaignFactory, CampaignRecipientFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil")' + "x" * 10_000


@pytest.fixture(autouse=True)
def _empty_buffer():
    tracking_buffer.discard_buffered()
    yield
    tracking_buffer.discard_buffered()


@pytest.fixture
def campaign():
    """Ten recipients sent, one bounced, one complained, one unsubscribed, two never sent; opens and clicks
    through the real tracking path (buffer + writer)."""
    campaign = CampaignFactory(name="Q3 banking")
    report = CampaignLink.objects.create(
        campaign=campaign, position=1, url="https://example.com/report/", label="Report"
    )
    CampaignLink.objects.create(campaign=campaign, position=2, url="https://example.com/pricing/", label="Pricing")
    CampaignLink.objects.create(campaign=campaign, position=3, url="https://example.com/trap/", is_trap=True)
    now = timezone.now() - timedelta(days=1)
    sent = [
        CampaignRecipientFactory(campaign=campaign, status=CampaignRecipient.Status.SENT, sent_at=now)
        for _ in range(10)
    ]
    for _ in range(2):
        CampaignRecipientFactory(campaign=campaign, status=CampaignRecipient.Status.PENDING)
    CampaignRecipient.objects.filter(pk=sent[9].pk).update(bounced_at=now)
    CampaignRecipient.objects.filter(pk=sent[8].pk).update(complained_at=now)
    CampaignRecipient.objects.filter(pk=sent[7].pk).update(unsubscribed_at=now)

    def record(kind, recipient, seconds, position=None, agent=BROWSER):
        tracking_buffer.tracking_record(
            kind, recipient.pk, position=position, user_agent=agent, at=now + timedelta(seconds=seconds)
        )

    for recipient in sent[:4]:  # four people open, one of them twice
        record("o", recipient, 100)
    record("o", sent[0], 200)
    for recipient in sent[3:6]:  # three Apple Mail proxies (one of them a person who also opened)
        record("o", recipient, 5, agent="Mozilla/5.0")
    record("c", sent[0], 300, 1)  # human clicks: 0 on the report twice and on pricing, 1 on the report
    record("c", sent[0], 400, 1)
    record("c", sent[0], 500, 2)
    record("c", sent[1], 300, 1)
    record("c", sent[6], 50, 1)  # a scanner: report, trap, pricing within seconds
    record("c", sent[6], 52, 3)
    record("c", sent[6], 55, 2)
    tracking_flush(now=timezone.now())
    return {"campaign": campaign, "sent": sent, "clicked_at": now + timedelta(seconds=300), "report": report}


def test_the_numbers_of_a_small_campaign(campaign):
    results = campaign_results(campaign["campaign"])
    assert (results.sent, results.delivered, results.bounced) == (10, 9, 1)
    assert (results.human_opens, results.machine_opens) == (4, 3)
    assert results.clicked == 2  # unique people; the scanner's clicks are not theirs
    assert (results.machine_clicks, results.trap_hits) == (3, 1)
    assert (results.unsubscribed, results.complained) == (1, 1)
    links = {link.position: (link.clicks, link.people, link.share) for link in results.links}
    assert links == {1: (3, 2, 100), 2: (1, 1, 33)}  # the trap is not a link people see
    assert results.rate(results.human_opens) == "44.4%"


def test_conversions_count_people_who_converted_within_the_days_after_their_click(campaign):
    first, second = campaign["sent"][0], campaign["sent"][1]
    clicked = campaign["clicked_at"]
    Interaction.objects.create(person=first.person, type="form_submit", occurred_at=clicked + timedelta(days=2))
    Interaction.objects.create(person=first.person, type="event_registered", occurred_at=clicked + timedelta(days=3))
    Interaction.objects.create(person=second.person, type="form_submit", occurred_at=clicked - timedelta(hours=1))
    Interaction.objects.create(person=second.person, type="page_view", occurred_at=clicked + timedelta(hours=1))
    scanner = campaign["sent"][6]  # clicked by a machine only: never a conversion
    Interaction.objects.create(person=scanner.person, type="form_submit", occurred_at=clicked + timedelta(hours=1))
    assert campaign_results(campaign["campaign"], conversion_days=7).conversions == 1
    assert campaign_results(campaign["campaign"], conversion_days=1).conversions == 0
    Interaction.objects.create(person=second.person, type="content_download", occurred_at=clicked + timedelta(hours=5))
    assert campaign_results(campaign["campaign"], conversion_days=1).conversions == 1


def test_an_empty_campaign_has_zeros_and_no_rates():
    results = campaign_results(CampaignFactory())
    assert (results.sent, results.delivered, results.clicked, results.conversions, results.links) == (0, 0, 0, 0, [])
    assert results.rate(0) == "-"


def test_the_results_take_a_fixed_number_of_queries(campaign, django_assert_max_num_queries):
    extra = [CampaignRecipientFactory(campaign=campaign["campaign"], sent_at=timezone.now()) for _ in range(20)]
    for recipient in extra:
        tracking_buffer.tracking_record(
            "c", recipient.pk, position=2, user_agent=BROWSER, at=timezone.now() - timedelta(minutes=5)
        )
    tracking_flush()
    with django_assert_max_num_queries(5):
        campaign_results(campaign["campaign"])


def test_the_ab_result_is_shown_per_variant(campaign, admin_client_logged_in):
    the_campaign = campaign["campaign"]
    SubjectVariant.objects.create(campaign=the_campaign, subject="Variant B: a <b>bold</b> subject")
    CampaignRecipient.objects.filter(campaign=the_campaign, sent_at__isnull=False).update(in_test=True, variant=0)
    CampaignRecipient.objects.filter(pk__in=[r.pk for r in campaign["sent"][5:]]).update(variant=1)
    results = campaign_results(the_campaign)
    assert [v.sent for v in results.ab.variants] == [5, 5] and results.ab.verdict == "not enough data"
    html = admin_client_logged_in.get(f"/admin/campaigns/{the_campaign.pk}/results/").content.decode()
    assert "Variant B: a &lt;b&gt;bold&lt;/b&gt; subject" in html and "not enough data yet" in html


def user_client(django_user_model, *codenames):
    user = django_user_model.objects.create_user(f"u{len(codenames)}", "u@example.com", "pw-results-123")
    for label in ("wagtailadmin.access_admin", *codenames):
        app_label, codename = label.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_the_results_page_needs_a_right_to_see_campaigns(campaign, django_user_model):
    url = f"/admin/campaigns/{campaign['campaign'].pk}/results/"
    assert Client().get(url).status_code == 302  # to the login
    nobody = user_client(django_user_model)
    assert nobody.get(url).status_code in (302, 403)
    assert b"Q3 banking" not in nobody.get(url, follow=True).content
    viewer = user_client(django_user_model, "campaigns.view_campaign")
    response = viewer.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-cm-row="human-opens"><th scope="row">Opened by a person (unique)</th><td data-cm-count>4<' in html
    assert '<meter min="0" max="100" value="100"' in html and "https://example.com/report/" in html
    assert "https://example.com/trap/" not in html
    assert viewer.get("/admin/campaigns/999999/results/").status_code == 404
    assert viewer.post(url).status_code == 405


def test_hostile_names_are_escaped_on_the_results_page(campaign, admin_client_logged_in):
    the_campaign = campaign["campaign"]
    the_campaign.name = HOSTILE[:200]
    the_campaign.save()
    CampaignLink.objects.filter(pk=campaign["report"].pk).update(label=HOSTILE[:255])
    response = admin_client_logged_in.get(f"/admin/campaigns/{the_campaign.pk}/results/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_persons_timeline_shows_each_email_opened_and_clicked(campaign, admin_client_logged_in):
    """Read from the lead store (sales never imports campaigns): a human open, a machine open, a click."""
    reader, proxy, scanned = campaign["sent"][3], campaign["sent"][4], campaign["sent"][6]
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{reader.person_id}/").content.decode()
    assert html.count('data-type="email_open"') == 2  # the person, and Apple's proxy before them
    assert "by the person" in html and "by a machine (mail-privacy proxy or scanner)" in html
    assert "Q3 banking" in html
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{proxy.person_id}/").content.decode()
    assert html.count('data-type="email_open"') == 1 and "by the person" not in html
    clicker = campaign["sent"][0]
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{clicker.person_id}/").content.decode()
    assert html.count('data-type="email_click"') == 3 and "Clicked a link in an email" in html
    assert '<span class="sp-muted" data-detail>Pricing</span>' in html
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{scanned.person_id}/").content.decode()
    assert 'data-type="email_click"' not in html  # a scanner's clicks are never the person's


def test_an_email_sent_interaction_shows_on_the_timeline(admin_client_logged_in):
    person = PersonFactory()
    Interaction.objects.create(
        person=person, type="email_sent", occurred_at=timezone.now(), object_type="email", object_label="Q4 <i>news</i>"
    )
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{person.pk}/").content.decode()
    assert "Was sent an email" in html and "Q4 &lt;i&gt;news&lt;/i&gt;" in html
