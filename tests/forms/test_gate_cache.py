"""A gated whitepaper comes from the page output cache: only its form panel is the visitor's (cms.page_holes).

The panel is filled for each request (CSRF token, the form's signed token, attribution, a known visitor's
questions and "Not you?"), so the page still works without JavaScript and no visitor sees another's.
"""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from cms.models import WhitepaperPage
from forms.models import LeadFormField
from leads.models import Lead
from tests.forms.conftest import GOOD_ANSWERS, form_inputs, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(whitepaper, consent_policies, settings):
    """The gate and the whitepaper published, as an editor leaves them (live revisions: cacheable)."""
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 3600  # count what serving costs, not the statistics
    whitepaper.gate_form.save_revision().publish()
    whitepaper.save_revision().publish()
    whitepaper.refresh_from_db()
    Client().get(whitepaper.url)  # the first render creates the site settings (a new content epoch)
    return whitepaper


def test_a_second_anonymous_get_comes_from_the_cache(published, django_assert_max_num_queries):
    browser = Client()
    first = browser.get(published.url)
    assert first.status_code == 200
    # Changed behind the cache's back (no publish): a page served from the cache does not show it.
    WhitepaperPage.objects.filter(pk=published.pk).update(summary="Changed without publishing")
    with django_assert_max_num_queries(2):  # who the visitor cookie belongs to; nothing else
        second = browser.get(published.url)
    html = second.content.decode()
    assert second.status_code == 200 and "Changed without publishing" not in html
    assert 'name="work_email"' in html and 'name="csrfmiddlewaretoken"' in html
    assert "sp-hole" not in html and "sphole" not in html  # every hole filled
    # It holds a CSRF token: a browser may keep it, a shared cache (a CDN) must not.
    assert "private" in second["Cache-Control"] and "no-cache" in second["Cache-Control"]
    assert "Cookie" in second["Vary"]


def test_a_new_visitor_from_the_cache_gets_a_visitor_cookie(published):
    Client().get(published.url)  # fills the cache
    browser = Client()
    response = browser.get(published.url)
    assert response.cookies[django_settings.VISITOR_COOKIE_NAME].value
    assert response.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_each_visitor_gets_a_token_of_their_own_and_can_send_the_form(published):
    Client().get(published.url)  # fills the cache
    jana, omar = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    jana_inputs = form_inputs(jana.get(published.url).content.decode())
    omar_inputs = form_inputs(omar.get(published.url).content.decode())
    assert jana_inputs["csrfmiddlewaretoken"] and omar_inputs["csrfmiddlewaretoken"]
    assert jana_inputs["sp_started"] and omar_inputs["sp_started"]
    # Omar's token does not pass with Jana's cookie: each token belongs to its own client.
    assert jana.post(published.url, {**omar_inputs, **GOOD_ANSWERS}).status_code == 403
    accepted = jana.post(published.url, {**jana_inputs, **GOOD_ANSWERS})
    assert accepted.status_code == 200 and "Download the PDF" in accepted.content.decode()
    assert (
        omar.post(published.url, {**omar_inputs, **GOOD_ANSWERS, "work_email": "omar@example.org"}).status_code == 200
    )
    assert Lead.objects.count() == 2


def test_attribution_is_the_visitors_own(published):
    campaign = Client().get(published.url + "?utm_source=linkedin&utm_campaign=q3")
    assert form_inputs(campaign.content.decode())["sp_utm_source"] == "linkedin"
    plain = Client().get(published.url)
    assert form_inputs(plain.content.decode()).get("sp_utm_source", "") == ""


def test_a_known_visitor_sees_their_next_questions_and_not_you(published, gate_form):
    gate_form.gate_behaviour = "always"
    gate_form.save_revision().publish()
    browser = Client()
    Client().get(published.url)  # an anonymous visitor fills the cache first
    submit(browser, published.url)
    html = browser.get(published.url).content.decode()
    assert "Welcome back, Jana" in html and "Not you?" in html
    assert 'name="job_title"' in html and 'name="work_email"' not in html  # progressive, known answers skipped
    anonymous = Client().get(published.url).content.decode()
    assert "Jana" not in anonymous and 'name="job_title"' not in anonymous and 'name="work_email"' in anonymous


def test_a_known_visitor_who_converted_finds_the_gate_open(published):
    browser = Client()
    submit(browser, published.url)
    html = browser.get(published.url).content.decode()
    assert "Welcome back, Jana" in html and "Not you?" in html and 'name="work_email"' not in html


def test_publishing_the_form_again_shows_the_new_form(published, gate_form):
    browser = Client()
    browser.get(published.url)
    assert 'name="department"' not in browser.get(published.url).content.decode()
    LeadFormField.objects.create(page=gate_form, sort_order=99, label="Department", field_type="singleline")
    gate_form.refresh_from_db()
    gate_form.submit_label = "Send me the report"
    gate_form.save_revision().publish()
    html = browser.get(published.url).content.decode()
    assert 'name="department"' in html and "Send me the report" in html


def test_changed_consent_wording_reaches_the_cached_page(published, consent_policies):
    headers = {"CF-IPCountry": "DE"}
    Client().get(published.url, headers=headers)
    policy = consent_policies["DE"]
    policy.text = "New wording for Germany"
    policy.save()
    html = Client().get(published.url, headers=headers).content.decode()
    assert "New wording for Germany" in html
    assert form_inputs(html)["sp_consent_policy"] == f"DE:{policy.version}"


def test_the_htmx_panel_is_not_served_from_the_page_cache(published):
    browser = Client()
    browser.get(published.url)
    panel = browser.get(published.url, headers={"HX-Request": "true"}).content.decode()
    assert panel.lstrip().startswith('<div class="lead-form"') and "<html" not in panel
