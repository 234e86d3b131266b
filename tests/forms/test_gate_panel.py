"""The gate on a whitepaper page: easy to reach on a phone, and a thank-you that says each thing once."""

import re

import pytest

from cms.demo import content
from tests.factories import WhitepaperPageFactory
from tests.forms.conftest import submit

pytestmark = pytest.mark.django_db


def done_panel(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'<div class="lead-form__done".*?</div>', html, re.S)
    assert match, html[:3000]
    return match.group(0)


def test_the_thank_you_says_each_thing_once(client, whitepaper, consent_policies):
    """The demo's own gate: its thank-you text, then the link, then that the link was emailed too."""
    whitepaper.gate_form.thank_you_text = content.WHITEPAPER_GATE["thank_you"]
    whitepaper.gate_form.save_revision().publish()

    panel = done_panel(submit(client, whitepaper.url, headers={"CF-IPCountry": "DE"}))

    assert "Enjoy the read." in panel
    assert panel.count("Download the PDF") == 1
    assert len(re.findall(r"e-?mailed", panel)) == 1, panel
    assert "We've also emailed you the link." in panel


def test_no_email_is_promised_when_none_is_sent(client, whitepaper, consent_policies):
    whitepaper.gate_form.send_confirmation = False
    whitepaper.gate_form.save_revision().publish()

    panel = done_panel(submit(client, whitepaper.url, headers={"CF-IPCountry": "DE"}))

    assert "Download the PDF" in panel and "emailed" not in panel
    assert "It's personal and works for a limited time." in panel


def test_without_javascript_the_answer_comes_back_scrolled_to_the_panel(client, whitepaper, consent_policies):
    """On a phone the panel is a screen or more down the page: the form posts to the panel's own anchor."""
    html = client.get(whitepaper.url).content.decode()
    panel_id = f"lead-form-{whitepaper.gate_form.pk}"
    assert f'id="{panel_id}"' in html
    assert f'action="{whitepaper.url}#{panel_id}"' in html


def test_the_top_of_a_gated_whitepaper_leads_to_its_form(client, whitepaper):
    html = client.get(whitepaper.url).content.decode()
    jump = html.index('href="#get-the-pdf"')
    assert 'id="get-the-pdf"' in html and jump < html.index('class="lead-form__form"')
    assert jump < html.index('class="article-header__media"')  # above the cover, right under the summary


def test_the_top_of_an_open_whitepaper_has_its_download(client, whitepaper_index):
    paper = WhitepaperPageFactory(parent=whitepaper_index, gated=False)
    html = client.get(paper.url).content.decode()
    header = html[: html.index("article-facts")]
    assert f'href="{paper.document.url}"' in header and "#get-the-pdf" not in header
