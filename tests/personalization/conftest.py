import json
import uuid

import pytest
from django.core.cache import cache
from django.test import Client, TestCase

from personalization import segments, stats
from personalization.services import pending_views
from tests.factories import SegmentFactory

MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and no compiled segments (they live per process)."""
    cache.clear()
    segments.segments_changed()
    stats.discard_pending()
    pending_views.discard()
    yield
    cache.clear()
    segments.segments_changed()
    pending_views.discard()


def committed():
    """Run on-commit callbacks at the end of the block, as a real commit would (tests run in one transaction).

    The lead store tells personalisation what changed after each commit (leads.signals)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


class Browser(Client):
    """A browser: keeps its cookies, sends a desktop User-Agent, and each request commits."""

    def __init__(self, user_agent=DESKTOP_UA, **defaults):
        super().__init__(HTTP_USER_AGENT=user_agent, **defaults)

    def request(self, **request):
        with committed():
            return super().request(**request)


def new_browser(user_agent=DESKTOP_UA):
    return Browser(user_agent)


@pytest.fixture
def browser(db):
    return Browser()


@pytest.fixture
def campaign_segment(db):
    return SegmentFactory(name="Banking campaign", priority=30, rules=[("utm_campaign", "is", "banking-q4")])


@pytest.fixture
def mobile_segment(db):
    return SegmentFactory(name="Mobile visitors", priority=10, rules=[("device", "is", "mobile")])


@pytest.fixture
def a_grade_segment(db):
    return SegmentFactory(name="Known A-grade", priority=50, rules=[("known", "true", ""), ("grade", "is", "A1,A2")])


def hero(headline):
    return {
        "type": "hero",
        "value": {
            "headline": headline,
            "subhead": "",
            "image": None,
            "call_to_action": {"label": "Talk to us", "page": None, "url": "https://example.com/demo"},
        },
    }


def personalised_hero(default, variants, name="Home hero"):
    """A personalised_hero StreamField value: variants is [(segment, headline), ...]."""
    return [
        {
            "type": "personalised_hero",
            "value": {
                "name": name,
                "default": [hero(default)],
                "variants": [
                    {
                        "type": "item",
                        "id": str(uuid.uuid4()),
                        "value": {"segment": segment.pk, "content": [hero(headline)]},
                    }
                    for segment, headline in variants
                ],
            },
        }
    ]


@pytest.fixture
def hero_page(home_page, campaign_segment, mobile_segment):
    """The home page with a personalised hero: the campaign's, the mobile one, and the default."""
    home_page.hero = json.dumps(
        personalised_hero("Default hero", [(campaign_segment, "Campaign hero"), (mobile_segment, "Mobile hero")])
    )
    home_page.save_revision().publish()
    return home_page
