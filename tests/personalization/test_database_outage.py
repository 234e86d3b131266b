"""A database blip: pages already in the output cache are still served, and personalisation degrades.

During a 10-second outage, cached pages failed because saving the visitor's state (and flushing the
variant statistics) needed the database. The outage here is injected where Django talks to the
database (`connection.execute_wrapper`): every query fails as a dropped server connection would.
"""

import json
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

from personalization import stats
from personalization.models import VariantStat, Visitor
from personalization.services import state_key
from tests.personalization.conftest import MOBILE_UA, new_browser, personalised_hero

# Requests commit as in production (autocommit): a failed write inside the test's own transaction would
# leave it unusable, which a real request never meets.
pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_down():
    queries = []

    def refuse(execute, sql, params, many, context):
        queries.append(sql)
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield queries


@pytest.fixture
def hero_home(home_page, campaign_segment, mobile_segment):
    home_page.hero = json.dumps(
        personalised_hero("Default hero", [(campaign_segment, "Campaign hero"), (mobile_segment, "Mobile hero")])
    )
    home_page.save_revision().publish()
    return home_page


def test_cached_pages_are_served_while_the_database_is_down(hero_home, settings):
    settings.PERSONALIZATION_SAVE_EVERY = 2  # the second view of a visit writes the visitor's row
    returning, mobile = new_browser(), new_browser(MOBILE_UA)
    for browser in (returning, mobile):
        for _ in range(3):  # the cookie, the row, the cached page for this fingerprint
            assert browser.get("/").status_code == 200
    returning.get("/?utm_campaign=q4")  # another fingerprint in the cache too
    visitor_id = returning.cookies["sp_vid"].value
    views_before = Visitor.objects.get(visitor_id=visitor_id).page_views

    with database_down() as refused:
        for browser, headline in ((returning, b"Default hero"), (mobile, b"Mobile hero"), (returning, b"Default hero")):
            response = browser.get("/")
            assert response.status_code == 200
            assert headline in response.content
        assert new_browser().get("/").status_code == 200  # a first visit, with the default content
    assert refused, "the visitor's row was due to be written: the outage was met, not avoided"

    returning.get("/")  # the database is back: the views counted during the outage are written
    assert Visitor.objects.get(visitor_id=visitor_id).page_views >= views_before + 2


def test_a_visitor_not_in_the_cache_gets_the_default_and_keeps_their_stored_history(hero_home):
    from django.core.cache import cache

    campaign = new_browser()
    for _ in range(3):
        campaign.get("/?utm_campaign=banking-q4")
    visitor_id = campaign.cookies["sp_vid"].value
    cache.delete(state_key(visitor_id))  # evicted: only the database knows this visitor now
    for _ in range(2):
        new_browser().get("/")  # the default page is in the output cache

    with database_down():
        response = campaign.get("/")
    assert response.status_code == 200 and b"Default hero" in response.content
    assert cache.get(state_key(visitor_id)) is None, "an empty state must not hide the stored one"
    assert Visitor.objects.get(visitor_id=visitor_id).visit_count >= 1


def test_variant_statistics_wait_for_the_database_instead_of_failing_the_page(hero_home, settings):
    settings.PERSONALIZATION_STATS_FLUSH_SECONDS = 0  # every page view flushes: the outage is met
    browser = new_browser(MOBILE_UA)
    for _ in range(3):
        browser.get("/")  # the mobile page is in the output cache
    with database_down() as refused:
        assert browser.get("/").status_code == 200
        assert browser.get("/").status_code == 200
    assert refused, "the flush met the outage"
    stats.flush()
    assert sum(VariantStat.objects.values_list("impressions", flat=True)) == 5, "no count lost"
