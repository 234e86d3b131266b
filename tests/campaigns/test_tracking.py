"""The open pixel and the click redirect (campaigns.tracking): what they answer, what they buffer, and
what the batch writer makes of it (campaigns.tracking_writer)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from campaigns import tracking_buffer
from campaigns.models import CampaignLink, CampaignRecipient, RecipientActivity
from campaigns.signing import recipient_token
from campaigns.tracking_writer import tracking_flush
from leads.models import Interaction, ScoringRule
from tests.factories.campaigns import CampaignFactory, CampaignRecipientFactory
from tests.factories.leads import PersonFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
IPHONE_MAIL = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)


@pytest.fixture(autouse=True)
def _empty_buffer():
    tracking_buffer.discard_buffered()
    yield
    tracking_buffer.discard_buffered()


@pytest.fixture
def sent():
    """A sent campaign with two visible links (ours, another site's) and the trap, and one recipient."""
    campaign = CampaignFactory(name="Banking <b>nurture</b>", content_topics="banking, ai")
    CampaignLink.objects.create(campaign=campaign, position=1, url="http://testserver/report/?utm_source=newsletter")
    CampaignLink.objects.create(campaign=campaign, position=2, url="https://partner.example/offer", label="Offer")
    CampaignLink.objects.create(campaign=campaign, position=3, url="http://testserver/hidden/", is_trap=True)
    recipient = CampaignRecipientFactory(
        campaign=campaign, status=CampaignRecipient.Status.SENT, sent_at=timezone.now()
    )
    return recipient


def click_url(recipient, position):
    return f"/email/c/{recipient_token(f'{recipient.pk}-{position}', 'click')}/"


def open_url(recipient):
    return f"/email/o/{recipient_token(recipient.pk, 'open')}/"


def flush_later(seconds=60):
    return tracking_flush(now=timezone.now() + timedelta(seconds=seconds))


def test_the_pixel_is_a_transparent_gif_never_cached_and_writes_no_row(sent, django_assert_num_queries):
    client = Client(HTTP_USER_AGENT=BROWSER)
    with django_assert_num_queries(0):
        response = client.get(open_url(sent))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    gif = response.content
    assert gif.startswith(b"GIF89a") and gif[6:10] == b"\x01\x00\x01\x00" and len(gif) < 50  # 1 x 1
    assert "no-store" in response["Cache-Control"]
    assert len(tracking_buffer._local) == 1
    assert not RecipientActivity.objects.exists()  # only the writer writes


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "",
        "1:bad",
        "A" * 5000,
        "<script>alert(1)</script>",
        "'; DROP TABLE campaigns_campaignrecipient; --",
    ],
)
def test_a_tampered_pixel_is_a_404_and_records_nothing(sent, token):
    response = Client().get(f"/email/o/{token}/")
    assert response.status_code in (400, 404)
    assert len(tracking_buffer._local) == 0


def test_tokens_of_another_purpose_or_recipient_do_not_open(sent):
    client = Client()
    unsubscribe = recipient_token(sent.pk, "unsubscribe")
    assert client.get(f"/email/o/{unsubscribe}/").status_code == 404
    good = recipient_token(sent.pk, "open")
    forged = f"{sent.pk + 1}:{good.split(':', 1)[1]}"  # another recipient with this one's signature
    assert client.get(f"/email/o/{forged}/").status_code == 404
    assert client.get(f"/email/o/{recipient_token(sent.pk, 'click')}/").status_code == 404  # "click" salt
    assert len(tracking_buffer._local) == 0


def test_a_click_goes_to_the_links_url_only(sent, django_assert_num_queries):
    with django_assert_num_queries(1):  # the link, read; nothing written
        response = Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    assert response.status_code == 302 and response["Location"] == "https://partner.example/offer"
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert len(tracking_buffer._local) == 1


def test_a_click_tampered_to_another_position_or_recipient_never_redirects(sent):
    other = CampaignRecipientFactory(campaign=sent.campaign)
    client = Client()
    good = recipient_token(f"{sent.pk}-1", "click")
    signature = good.split(":", 1)[1]
    for token in [
        f"{sent.pk}-2:{signature}",  # another position with this one's signature
        f"{other.pk}-1:{signature}",  # another recipient
        recipient_token(sent.pk, "open"),  # a pixel's token
        recipient_token(f"{sent.pk}-1", "open"),  # the right value under another purpose
        f"{sent.pk}-1:https://evil.example",
        "https:%2F%2Fevil.example",
    ]:
        response = client.get(f"/email/c/{token}/")
        assert response.status_code == 404, token
    assert len(tracking_buffer._local) == 0


def test_a_position_without_a_link_is_a_404_and_a_foreign_campaigns_link_is_not_followed(sent):
    elsewhere = CampaignFactory()
    CampaignLink.objects.create(campaign=elsewhere, position=9, url="https://evil.example/")
    response = Client().get(click_url(sent, 9))  # signed, but this campaign has no link 9
    assert response.status_code == 404
    assert Client().get(click_url(sent, 99999)).status_code == 404
    assert len(tracking_buffer._local) == 0


def test_a_link_that_is_not_http_is_never_followed(sent):
    CampaignLink.objects.filter(campaign=sent.campaign, position=2).update(url="javascript:alert(1)")
    assert Client().get(click_url(sent, 2)).status_code == 404


@override_settings(SITE_BASE_URL="http://testserver")
def test_a_click_to_our_site_identifies_the_browser_and_the_landing_knows_the_person(sent, home_page):
    from personalization.services import person_id_from_token

    browser = Client(HTTP_USER_AGENT=BROWSER)
    response = browser.get(click_url(sent, 1))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://testserver/report/?utm_source=newsletter&sp_t=")
    token = parse_qs(urlsplit(location).query)["sp_t"][0]
    assert person_id_from_token(token) == sent.person_id
    # The landing: personalisation identifies the browser and strips the token; the next page knows them.
    landing = browser.get(location)
    assert landing.status_code == 302 and "sp_t" not in landing["Location"]
    assert "utm_source=newsletter" in landing["Location"]
    page = browser.get("/")
    assert page.wsgi_request.personalization.state.person_id == sent.person_id


@override_settings(SITE_BASE_URL="http://testserver")
def test_a_click_to_another_site_carries_no_identity(sent):
    response = Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    assert "sp_t" not in response["Location"]
    for n, lookalike in enumerate(
        ["http://testserver.evil.example/", "http://testserver:8080/", "http://evil.example/?x=testserver"]
    ):
        CampaignLink.objects.create(campaign=sent.campaign, position=10 + n, url=lookalike)
        assert Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 10 + n))["Location"] == lookalike


@override_settings(SITE_BASE_URL="http://testserver")
def test_a_scanner_that_says_so_gets_no_identity(sent):
    response = Client(HTTP_USER_AGENT="Mimecast Link Scanner").get(click_url(sent, 1))
    assert response["Location"] == "http://testserver/report/?utm_source=newsletter"


def test_the_trap_link_answers_a_blank_page_and_is_recorded_as_a_machines(sent):
    response = Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 3))
    assert response.status_code == 200 and b"noindex" in response.content
    assert "Location" not in response
    assert flush_later()["written"] == 1
    hit = RecipientActivity.objects.get()
    assert hit.is_machine and hit.link.is_trap
    assert not Interaction.objects.filter(type="email_click").exists()


def test_a_human_open_and_click_reach_the_lead_store_and_move_the_score(sent):
    ScoringRule.objects.create(name="Email click", kind="interest", interaction_type="email_click", points=5)
    ScoringRule.objects.create(name="Email open", kind="interest", interaction_type="email_open", points=0)
    browser = Client(HTTP_USER_AGENT=IPHONE_MAIL, REMOTE_ADDR="203.0.113.9")
    browser.get(open_url(sent))
    browser.get(open_url(sent))  # read twice: one open for the lead store
    Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    result = flush_later()
    assert result["written"] == 3 and result["people"] == 1
    sent.refresh_from_db()
    assert sent.opened_at and sent.clicked_at and sent.machine_opened_at is None
    opens = Interaction.objects.filter(type="email_open", person=sent.person)
    assert [o.properties for o in opens] == [{"machine": False}]
    click = Interaction.objects.get(type="email_click", person=sent.person)
    assert click.object_id == str(sent.campaign_id) and click.object_label == "Banking <b>nurture</b>"
    assert click.object_topics == ",banking,ai,"
    assert click.properties == {"url": "https://partner.example/offer", "position": 2, "label": "Offer"}
    sent.person.refresh_from_db()
    assert sent.person.interest_score == 5


def test_an_apple_privacy_proxy_open_is_a_machine_open(sent):
    Client(HTTP_USER_AGENT="Mozilla/5.0", REMOTE_ADDR="172.225.8.10").get(open_url(sent))  # MPP's bare agent
    flush_later()
    sent.refresh_from_db()
    assert sent.machine_opened_at is not None and sent.opened_at is None
    assert RecipientActivity.objects.get().is_machine
    assert Interaction.objects.get(type="email_open").properties == {"machine": True}


def test_gmails_image_proxy_counts_as_a_human_open(sent):
    agent = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
    Client(HTTP_USER_AGENT=agent, REMOTE_ADDR="66.249.84.1").get(open_url(sent))
    flush_later()
    sent.refresh_from_db()
    assert sent.opened_at is not None and sent.machine_opened_at is None


def test_clicks_around_a_trap_hit_are_machine_clicks_and_score_nothing(sent):
    ScoringRule.objects.create(name="Email click", kind="interest", interaction_type="email_click", points=5)
    start = timezone.now() - timedelta(minutes=10)  # scored as of now: nothing in the future
    scanner = [(1, 0), (3, 2), (2, 9)]  # a real link, the trap 2 s later, another link 9 s later
    for position, seconds in scanner:
        tracking_buffer.tracking_record(
            "c", sent.pk, position=position, user_agent=BROWSER, at=start + timedelta(seconds=seconds)
        )
    # The person clicks for real a minute later.
    tracking_buffer.tracking_record("c", sent.pk, position=2, user_agent=BROWSER, at=start + timedelta(seconds=70))
    assert tracking_flush(now=start + timedelta(seconds=200))["written"] == 4
    kinds = list(RecipientActivity.objects.order_by("occurred_at").values_list("link__position", "is_machine"))
    assert kinds == [(1, True), (3, True), (2, True), (2, False)]
    sent.refresh_from_db()
    assert sent.clicked_at == start + timedelta(seconds=70)
    assert Interaction.objects.filter(type="email_click").count() == 1
    sent.person.refresh_from_db()
    assert sent.person.interest_score == 5


def test_a_click_just_outside_the_window_is_a_persons(sent):
    start = timezone.now()
    tracking_buffer.tracking_record("c", sent.pk, position=3, user_agent=BROWSER, at=start)
    tracking_buffer.tracking_record("c", sent.pk, position=2, user_agent=BROWSER, at=start + timedelta(seconds=11))
    tracking_flush(now=start + timedelta(seconds=100))
    assert list(RecipientActivity.objects.order_by("occurred_at").values_list("is_machine", flat=True)) == [True, False]


def test_a_click_written_before_its_trap_hit_waits_for_it(sent):
    """The writer holds the last HOLD_SECONDS: a click whose trap hit comes 8 s later, still held when the
    click is written, is a machine's all the same."""
    start = timezone.now()
    tracking_buffer.tracking_record("c", sent.pk, position=1, user_agent=BROWSER, at=start)
    tracking_buffer.tracking_record("c", sent.pk, position=3, user_agent=BROWSER, at=start + timedelta(seconds=8))
    first = tracking_flush(now=start + timedelta(seconds=16))  # the click is old enough; the trap hit is held
    assert first["written"] == 1 and len(tracking_buffer._local) == 1
    assert RecipientActivity.objects.get().is_machine
    tracking_flush(now=start + timedelta(seconds=60))
    assert RecipientActivity.objects.filter(is_machine=True).count() == 2
    assert not Interaction.objects.filter(type="email_click").exists()


def test_a_trap_hit_arriving_late_corrects_the_clicks_written_as_human(sent):
    ScoringRule.objects.create(name="Email click", kind="interest", interaction_type="email_click", points=5)
    start = timezone.now() - timedelta(minutes=5)
    tracking_buffer.tracking_record("c", sent.pk, position=2, user_agent=BROWSER, at=start)
    tracking_flush()
    assert Interaction.objects.filter(type="email_click").count() == 1
    sent.person.refresh_from_db()
    assert sent.person.interest_score == 5
    # The trap hit 3 s after the click reaches the buffer late (Redis was away).
    tracking_buffer.tracking_record("c", sent.pk, position=3, user_agent=BROWSER, at=start + timedelta(seconds=3))
    tracking_flush()
    assert not RecipientActivity.objects.filter(is_machine=False).exists()
    assert not Interaction.objects.filter(type="email_click").exists()
    sent.refresh_from_db()
    sent.person.refresh_from_db()
    assert sent.clicked_at is None and sent.person.interest_score == 0


def test_a_click_by_a_library_is_a_machine_click(sent):
    Client(HTTP_USER_AGENT="python-requests/2.32").get(click_url(sent, 2))
    flush_later()
    assert RecipientActivity.objects.get().is_machine


def test_a_batch_written_twice_counts_once(sent):
    """A flush that died after writing and before trimming the buffer is repeated: same rows, once."""
    Client(HTTP_USER_AGENT=IPHONE_MAIL).get(open_url(sent))
    Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    records = tracking_buffer._local.peek(10)
    flush_later()
    tracking_buffer._local.push_many(records)  # the same records again
    flush_later()
    assert RecipientActivity.objects.count() == 2
    assert Interaction.objects.filter(type__in=["email_open", "email_click"]).count() == 2


def test_recent_records_wait_and_malformed_ones_are_skipped(sent):
    for junk in [
        "not json",
        "[]",
        '{"e": "zz"}',
        '{"e": "%s", "k": "c", "r": 1, "at": "2020-01-01T00:00:00+00:00"}' % ("0" * 32),
    ]:
        tracking_buffer._local.push(junk)
    Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    result = tracking_flush()  # now: the click is too recent to classify
    assert result["written"] == 0 and result["skipped"] == 4 and len(tracking_buffer._local) == 1
    assert flush_later()["written"] == 1


def test_a_deleted_recipient_or_link_is_dropped_quietly(sent):
    Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
    CampaignLink.objects.filter(campaign=sent.campaign, position=2).delete()
    Client(HTTP_USER_AGENT=BROWSER).get(open_url(sent))
    sent.delete()
    assert flush_later() == {"written": 0, "skipped": 2, "people": 0, "became MQL": 0}


def test_a_recipient_without_a_person_is_tracked_but_not_in_the_lead_store(sent):
    CampaignRecipient.objects.filter(pk=sent.pk).update(person=None)
    response = Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 1))
    assert "sp_t" not in response["Location"]
    flush_later()
    assert RecipientActivity.objects.count() == 1 and not Interaction.objects.exists()


def test_the_writer_reads_a_fixed_number_of_queries_whatever_the_batch(sent, django_assert_max_num_queries):
    campaign = sent.campaign
    people = [CampaignRecipientFactory(campaign=campaign, person=PersonFactory()) for _ in range(120)]
    for recipient in people:
        tracking_buffer.tracking_record("o", recipient.pk, user_agent=IPHONE_MAIL)
        tracking_buffer.tracking_record("c", recipient.pk, position=2, user_agent=BROWSER)
    # Per batch, whatever the number of recipients (the scoring's own statements included).
    with django_assert_max_num_queries(25):
        assert flush_later()["written"] == 240


@override_settings(WORKER_SWEEPS=["campaigns.tracking_buffer.tracking_sweep"])
def test_the_sweep_writes_the_buffer(sent):
    from django.utils.module_loading import import_string

    Client(HTTP_USER_AGENT=IPHONE_MAIL).get(open_url(sent))
    RecipientActivity.objects.all().delete()
    # The sweep holds the last seconds too: it writes what is old enough.
    tracking_buffer._local.drop(1)
    tracking_buffer.tracking_record("o", sent.pk, user_agent=IPHONE_MAIL, at=timezone.now() - timedelta(minutes=1))
    assert import_string("campaigns.tracking_buffer.tracking_sweep")() == 1


def test_without_redis_a_timer_writes_the_last_clicks_of_a_quiet_moment(sent, settings):
    """The buffer is this process's: a one-shot timer (armed once, not per click) writes what was held."""
    settings.CAMPAIGN_TRACKING_FLUSH_TIMER = True
    settings.REDIS_URL = ""
    try:
        Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 2))
        timer = tracking_buffer._timer
        assert timer is not None and timer.is_alive()
        Client(HTTP_USER_AGENT=BROWSER).get(click_url(sent, 1))
        assert tracking_buffer._timer is timer  # one at a time
    finally:
        timer.cancel()
        tracking_buffer._timer = None
    # What the timer runs, run here: the clicks are too recent to write, so it arms itself again.
    settings.CAMPAIGN_TRACKING_FLUSH_TIMER = False
    tracking_buffer._timed_flush()
    assert len(tracking_buffer._local) == 2 and not RecipientActivity.objects.exists()


def test_through_redis_the_tracking_list_is_its_own_and_trimmed_only_after_writing(sent):
    """The lead store's RedisBuffer under the tracking list's name: page views never see these records."""
    import socket
    import uuid

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    import redis

    from leads.behaviour_buffer import RedisBuffer

    client = redis.Redis(host="127.0.0.1", port=6379, db=15)
    name = f"signalpage:test:campaign-tracking:{uuid.uuid4().hex}"
    web, worker, page_views = RedisBuffer(client, name=name), RedisBuffer(client, name=name), RedisBuffer(client)
    try:
        before = len(page_views)
        tracking_buffer.tracking_record("c", sent.pk, position=2, user_agent=BROWSER)
        web.push_many(tracking_buffer._local.peek(10))
        tracking_buffer.discard_buffered()
        assert len(worker) == 1 and len(page_views) == before
        assert tracking_flush(buffer=worker, now=timezone.now() + timedelta(minutes=1))["written"] == 1
        assert len(worker) == 0 and RecipientActivity.objects.count() == 1
    finally:
        client.delete(name)
