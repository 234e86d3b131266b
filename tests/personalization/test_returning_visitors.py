"""A returning visitor's page views: the state is written when something segments (or recommendations)
read changed, once per visit, not on every view; the views in between are never lost."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache, caches
from freezegun import freeze_time

from personalization.models import Visitor
from personalization.services import pending_views, state_key
from tests.factories import SegmentFactory, TopicFactory, WhitepaperPageFactory
from tests.personalization.conftest import MOBILE_UA, Browser, personalised_hero

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_writes(monkeypatch):
    """The visitor states written to the cache, counted at the cache backend itself."""
    backend = caches["default"]
    real_set = backend.set  # LocMemCache.set_many calls set too
    written = []

    def counting_set(key, *args, **kwargs):
        if key.startswith("pz:v:"):
            written.append(key)
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(backend, "set", counting_set)
    return written


def cached_state(browser):
    return cache.get(state_key(browser.cookies["sp_vid"].value))


def headline(response) -> str:
    return response.content.decode().split('class="hero__headline">', 1)[1].split("<", 1)[0]


def test_viewing_again_with_nothing_new_writes_no_state(hero_page, browser, state_writes):
    browser.get("/?utm_campaign=banking-q4")
    browser.get("/")  # the cookie came back: the row is written once, with the state
    assert len(state_writes) == 2
    state_writes.clear()
    for _ in range(4):
        response = browser.get("/")
        assert headline(response) == "Campaign hero"  # the facts still hold: still in the campaign's segment
    assert state_writes == []


def test_a_view_that_changes_a_fact_segments_read_is_written(hero_page, browser, state_writes):
    browser.get("/?utm_campaign=banking-q4")
    browser.get("/")
    browser.get("/")
    state_writes.clear()
    assert headline(browser.get("/?utm_campaign=spring")) == "Default hero"  # a new campaign: no longer in it
    assert len(state_writes) == 1 and cached_state(browser).last_utm_campaign == "spring"
    assert headline(browser.get("/", HTTP_USER_AGENT=MOBILE_UA)) == "Mobile hero"  # another device
    assert len(state_writes) == 2 and cached_state(browser).device_type == "mobile"
    assert headline(browser.get("/", HTTP_USER_AGENT=MOBILE_UA)) == "Mobile hero"
    assert len(state_writes) == 2


def test_views_not_written_at_once_are_written_with_the_next_change(hero_page, browser, settings, state_writes):
    settings.PERSONALIZATION_SAVE_EVERY = 100
    browser.get("/")
    browser.get("/")
    for _ in range(3):
        browser.get("/")
    assert cached_state(browser).page_views == 2  # waiting in this process, not written
    browser.get("/?utm_campaign=banking-q4")  # a new campaign: the state and the row are written
    assert cached_state(browser).page_views == 6
    assert Visitor.objects.get().page_views == 6


def test_the_row_is_still_written_every_n_views(hero_page, browser, settings):
    settings.PERSONALIZATION_SAVE_EVERY = 5
    for _ in range(2 + 5):
        browser.get("/")
    assert Visitor.objects.get().page_views == 7


def test_a_segment_reading_page_views_sees_every_view(hero_page, browser, campaign_segment, state_writes):
    engaged = SegmentFactory(name="Engaged", priority=99, rules=[("page_views", "gte", "4")])
    hero_page.hero = json.dumps(personalised_hero("Default hero", [(engaged, "Engaged hero")]))
    hero_page.save_revision().publish()
    shown = [headline(browser.get("/")) for _ in range(5)]
    assert shown == ["Default hero"] * 3 + ["Engaged hero"] * 2
    assert len(state_writes) == 5  # page views are a fact a segment reads: every view is news


def test_reading_a_topic_is_written_at_once(hero_page, whitepaper_index, browser, state_writes):
    """Recommendations read the visitor's favourite topics: a topic read is news even when no segment reads it."""
    paper = WhitepaperPageFactory(
        parent=whitepaper_index, title="AI paper", topics=[TopicFactory(slug="ai")], publish_date=date(2025, 3, 1)
    )
    browser.get("/")
    browser.get("/")
    state_writes.clear()
    browser.get(paper.url)
    browser.get(paper.url)
    assert len(state_writes) == 2 and cached_state(browser).topics_viewed == {"ai": 2}


def test_a_new_visit_after_the_gap_is_written_and_counted(hero_page, browser, state_writes):
    with freeze_time("2026-12-01 09:00"):
        browser.get("/")
    with freeze_time("2026-12-01 09:01"):
        browser.get("/")
    with freeze_time("2026-12-01 09:10"):
        browser.get("/")  # the same visit: waits
    assert len(state_writes) == 2
    with freeze_time("2026-12-01 09:45"):  # 35 minutes after the last view
        browser.get("/")
        state = cached_state(browser)  # (read in frozen time: the cache's expiry reads the clock too)
    assert len(state_writes) == 3
    assert (state.visit_count, state.page_views) == (2, 4)
    assert Visitor.objects.get().visit_count == 2


def test_steady_browsing_stays_one_visit(hero_page, browser, settings, state_writes):
    """Views every 20 minutes for two hours: the last-seen time catches up within TOUCH seconds, so a
    visit never breaks while the visitor keeps reading, though only every second view is written."""
    settings.PERSONALIZATION_TOUCH_SECONDS = 60
    start = datetime(2026, 12, 1, 9, 0)
    for minute in range(0, 121, 20):
        with freeze_time(start + timedelta(minutes=minute)):
            browser.get("/")
    assert len(state_writes) == 4  # the first view, the cookie's return, then every second view
    with freeze_time(start + timedelta(minutes=125)):
        browser.get("/?utm_campaign=banking-q4")
        state = cached_state(browser)
    assert (state.visit_count, state.page_views) == (1, 8)


def test_the_views_of_a_visitor_gone_quiet_are_swept_into_their_state(hero_page, browser, settings):
    settings.PERSONALIZATION_TOUCH_SECONDS = 60
    with freeze_time("2026-12-01 09:00"):
        browser.get("/")
        browser.get("/")
        browser.get("/")
        browser.get("/")
        assert cached_state(browser).page_views == 2 and pending_views.waiting() == 1
    with freeze_time("2026-12-01 09:02"):
        Browser().get("/")  # another visitor's request sweeps what waited longer than TOUCH seconds
        assert cached_state(browser).page_views == 4 and pending_views.waiting() == 0


def test_a_variant_seen_again_is_not_news(hero_page, browser, state_writes):
    browser.get("/?utm_campaign=banking-q4")
    browser.get("/")
    seen = dict(cached_state(browser).seen_variants)
    state_writes.clear()
    browser.get("/")
    assert state_writes == [] and cached_state(browser).seen_variants == seen and len(seen) == 1
