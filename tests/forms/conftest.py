import re
from html import unescape

import pytest
from django.core.cache import cache
from wagtail.models import Collection, CollectionViewRestriction

from forms.models import ConsentPolicy
from tests.factories import DocumentFactory, LeadFormPageFactory, TopicFactory, WhitepaperPageFactory

EU_TEXT = "Yes, send me research and event invitations by email. I can unsubscribe at any time."
US_TEXT = "We'll send you occasional research by email; every email has an unsubscribe link."


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    """Rate-limit counters live in the cache; every test starts at zero and fills forms at human speed."""
    cache.clear()
    settings.FORMS_MIN_FILL_SECONDS = 0
    yield
    cache.clear()


@pytest.fixture
def consent_policies(db):
    """The shipped defaults (EU/EEA, UK, everywhere else) with the test's own wording, plus a notice country.
    Single opt-in everywhere, DE included (shipped with double opt-in: tests/forms/test_double_opt_in.py)."""
    rows = {"DE": (True, True, EU_TEXT), "US": (False, False, US_TEXT), "*": (True, True, EU_TEXT)}
    policies = {}
    for country, (show, required, text) in rows.items():
        policies[country], _ = ConsentPolicy.objects.update_or_create(
            country=country,
            defaults={"show_checkbox": show, "opt_in_required": required, "text": text, "double_opt_in": False},
        )
        policies[country].version = 1
        policies[country].save(update_fields=["version"])
    return policies


@pytest.fixture
def gate_form(home_page):
    return LeadFormPageFactory(parent=home_page, title="Get the whitepaper", slug="get-the-whitepaper")


@pytest.fixture
def private_collection(db):
    root = Collection.get_first_root_node()
    collection = root.add_child(name="Gated whitepapers")
    CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.LOGIN)
    return collection


@pytest.fixture
def whitepaper(whitepaper_index, gate_form, private_collection):
    document = DocumentFactory(collection=private_collection, title="Benchmark PDF")
    return WhitepaperPageFactory(
        parent=whitepaper_index,
        title="RevOps benchmark 2026",
        slug="revops-benchmark",
        document=document,
        gate_form=gate_form,
        topics=[TopicFactory(name="Revenue operations", slug="revops")],
    )


INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def form_inputs(html: str) -> dict:
    """The hidden inputs a browser would send back (tokens, attribution, consent policy)."""
    values = {}
    for tag in INPUT.findall(html):
        attrs = {k: unescape(v) for k, v in ATTR.findall(tag)}
        if attrs.get("type") == "hidden" and attrs.get("name"):
            values[attrs["name"]] = attrs.get("value", "")
    return values


GOOD_ANSWERS = {
    "work_email": "jana.novak@meridian-bank.de",
    "first_name": "Jana",
    "last_name": "Novák",
    "company": "Meridian Bank",
    "country": "DE",
}


def submit(client, url, answers=None, *, get_params="", headers=None, **extra):
    """Open the page like a visitor, then send the form with the page's own hidden fields."""
    headers = headers or {}
    page = client.get(url + get_params, headers=headers)
    assert page.status_code == 200, page.status_code
    data = {**form_inputs(page.content.decode()), **(GOOD_ANSWERS if answers is None else answers)}
    return client.post(url, data, headers=headers, **extra)
