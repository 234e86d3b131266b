"""Issue 17's "done when", in a real browser against a live server and a real SMTP server on loopback:

1. A marketer opens the December nurture email, adds the "Nurture: banking" audience (a shared saved
   filter), sees the live count and why the rest are left out, and sends it; the mail server receives
   exactly that many messages, each with working one-click unsubscribe headers.
2. A recipient's mail client unsubscribes with one click (no cookie): they are suppressed at once.
3. Another recipient opens and clicks: the click lands them on the site as that person, and after the
   tracking writer runs, their timeline shows the email sent, opened and clicked, and their score moved.

Screenshots go to /tmp/campaign-shots/."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from campaigns.models import Suppression
from campaigns.tracking_writer import tracking_flush
from leads.models import Person, ScoringRule
from personalization.services.visitor_store import person_key
from sales.models import ListName, SavedFilter
from sales.roles import MARKETER, roles_ensure
from sales.saved_filter_queries import query_canonical
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories import CompanyFactory, PersonFactory
from tests.factories.campaigns import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/campaign-shots")
PASSWORD = "correct-horse-battery"
TIMEOUT_MS = 15000


@pytest.fixture
def world(django_user_model, home_page, mail_server, settings, live_server):
    cache.clear()
    roles_ensure()
    settings.SITE_BASE_URL = live_server.url  # the links in the emails lead to this live server
    settings.CAMPAIGN_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.CAMPAIGN_FROM_EMAIL = "Northwind news <news@news.northwind.example>"
    marketer = django_user_model.objects.create_user("mia", "mia@signalpage.test", PASSWORD, first_name="Mia")
    marketer.groups.add(Group.objects.get(name=MARKETER))
    bank, shop = CompanyFactory(name="Meridian Bank", industry="banking"), CompanyFactory(industry="retail")
    bankers = [
        PersonFactory(
            first_name=name, email=f"{name.lower()}@meridian.example", company=bank, consent="granted", stage="lead"
        )
        for name in ("Anna", "Ben", "Chloe", "David")
    ]
    PersonFactory(first_name="Elif", email="elif@meridian.example", company=bank, consent="unknown", country="DE")
    PersonFactory(first_name="Finn", email="finn@meridian.example", company=bank, do_not_contact=True)
    PersonFactory(first_name="Shopper", email="shopper@shop.example", company=shop, consent="granted")
    SavedFilter.objects.create(
        owner=marketer,
        list_name=ListName.PEOPLE,
        name="Nurture: banking",
        query=query_canonical(ListName.PEOPLE, [("industry", "banking"), ("stage", "lead"), ("stage", "nurture")]),
        is_shared=True,
    )
    ScoringRule.objects.create(name="Email click", kind="interest", interaction_type="email_click", points=5)
    campaign = CampaignFactory(
        name="Nurture: banking, December",
        subject="{{ first_name|Hello }}, how banks answer leads in minutes",
        created_by=marketer,
        body=[
            {"type": "heading", "value": {"text": "Hi {{ first_name|there }},", "size": "h1"}},
            {"type": "text", "value": "<p>The playbook from Meridian Bank.</p>"},
            {"type": "button", "value": {"label": "Read the playbook", "page": None, "url": f"{live_server.url}/"}},
        ],
    )
    return {"campaign": campaign, "bankers": bankers}


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, base_url):
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/admin/")


def pick_the_audience(page, base_url, campaign):
    page.goto(f"{base_url}/admin/campaigns/edit/{campaign.pk}/")
    page.get_by_role("button", name=re.compile("Add audience part", re.I)).click()
    page.locator("select[name='audience-0-kind']").select_option("saved_filter")
    page.locator("select[name='audience-0-saved_filter']").select_option(label="Nurture: banking")
    # The part shows only the chooser its kind needs.
    assert page.locator("select[name='audience-0-saved_filter']").is_visible()
    assert not page.locator("select[name='audience-0-tag']").is_visible()
    # The live count: 6 bankers in the audience, 4 get it, Finn (do not contact) and Elif (no consent) don't.
    panel = page.locator("[data-cm-audience-panel]").first
    panel.locator("[data-cm-audience-eligible]").filter(has_text=re.compile(r"^4$")).wait_for(timeout=TIMEOUT_MS)
    assert panel.locator("[data-cm-audience-total]").inner_text() == "6"
    text = panel.inner_text()
    assert "Do not contact" in text and "No consent" in text, text
    shot(page, "1-editor-live-count")
    page.get_by_role("button", name=re.compile("^Save", re.I)).first.click()
    page.wait_for_load_state()


def send_it(page, base_url, campaign):
    page.goto(f"{base_url}/admin/campaigns/{campaign.pk}/send/")
    assert page.locator("[data-cm-send-eligible]").inner_text() == "4"
    shot(page, "2-send-confirmation")
    page.get_by_role("button", name="Send to 4 people").click()
    page.wait_for_url(re.compile(r"/progress/"), timeout=TIMEOUT_MS)
    page.locator("[data-cm-sent]").filter(has_text="4").wait_for(timeout=TIMEOUT_MS)
    shot(page, "3-progress")


def links_of(message):
    html = message.html
    return {
        "pixel": re.search(r'src="([^"]*/email/o/[^"]+)"', html).group(1),
        # The button's click link (the email also holds a hidden trap link, which no person clicks).
        "button": next(
            re.search(r'href="([^"]*/email/c/[^"]+)"', attributes).group(1)
            for attributes, text in re.findall(r"<a\b([^>]*)>(.*?)</a>", html, flags=re.S)
            if "Read the playbook" in text
        ),
        "unsubscribe": str(message.message["List-Unsubscribe"]).split(",")[0].strip(" <>"),
    }


def test_a_marketer_sends_to_an_audience_and_a_recipient_opens_clicks_and_lands_as_themselves(
    live_server, browser, world, mail_server
):
    campaign, bankers = world["campaign"], world["bankers"]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    log_in(page, live_server.url)
    pick_the_audience(page, live_server.url, campaign)
    send_it(page, live_server.url, campaign)

    # Exactly the four, each with the bulk-sender headers, as the mail server saw them.
    received = {item.rcpt_tos[0]: item for item in mail_server.messages}
    assert sorted(received) == sorted(person.email for person in bankers)
    for item in received.values():
        assert item.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "mailto:" in str(item.message["List-Unsubscribe"])

    # Anna's mail client unsubscribes with one click: a POST with no cookie, answered without a redirect.
    anna, ben = bankers[0], bankers[1]
    one_click = browser.new_context().request.post(
        links_of(received[anna.email])["unsubscribe"],
        form={"List-Unsubscribe": "One-Click"},
        max_redirects=0,
    )
    assert one_click.status == 200 and "location" not in one_click.headers
    assert Suppression.objects.filter(email_key=anna.email_key, reason="unsubscribed").exists()

    # Ben opens the email and clicks the button, in his own browser: he lands on the site as himself.
    before = Person.objects.get(pk=ben.pk).interest_score
    links = links_of(received[ben.email])
    bens_browser = browser.new_context(
        user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
    )
    reader = bens_browser.new_page()
    assert reader.goto(links["pixel"]).headers["content-type"] == "image/gif"
    landing = reader.goto(links["button"])
    assert urlsplit(reader.url).path == "/" and landing.ok
    visitor_id = next(cookie["value"] for cookie in bens_browser.cookies() if cookie["name"] == "sp_vid")
    assert (cache.get(person_key(visitor_id)) or {}).get("person_id") == ben.pk  # this browser is Ben's now
    tracking_flush(hold_seconds=0)

    # His timeline shows the email sent, opened and clicked; the click moved his score.
    page.goto(f"{live_server.url}/admin/leads/person/inspect/{ben.pk}/")
    timeline = page.locator("main").inner_text()
    assert campaign.name in timeline
    for words in ("Was sent an email", "Opened an email", "Clicked a link in an email"):
        assert words.lower() in timeline.lower(), words
    shot(page, "4-timeline")
    assert Person.objects.get(pk=ben.pk).interest_score > before
    page.goto(f"{live_server.url}/admin/campaigns/{campaign.pk}/results/")
    shot(page, "5-results")
    results = page.locator("main").inner_text()
    assert re.search(r"Sent\D*4", results) and re.search(r"Unsubscribe\w*\D*1", results), results
    context.close()
    bens_browser.close()
