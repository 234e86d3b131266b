"""The anonymous story joins the person (issue 16, item 2): by a form fill and by a tracked link, with
the views' own times, rescored and through the stage rules; one browser identified as two people is
kept apart and logged, never merged."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.behaviour import page_views_flush
from leads.models import CrmDelivery, Interaction, LeadStoreSettings, SalesRep, ScoringRule, VisitorLink
from leads.services import visitor_link
from personalization.services import tracked_link_token
from tests.factories import PersonFactory
from tests.personalization.conftest import Browser, committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_home(home_page):
    home_page.save_revision().publish()
    return home_page


def anonymous_views(visitor_id, count, *, start):
    Interaction.objects.bulk_create(
        [
            Interaction(
                type="page_view",
                visitor_id=visitor_id,
                occurred_at=start + timedelta(minutes=n),
                object_type="page",
                object_id="pricing",
                properties={"path": "/pricing/", "visit": 1},
            )
            for n in range(count)
        ]
    )


def test_a_tracked_link_joins_the_browsers_anonymous_views_with_their_times(published_home):
    person = PersonFactory()
    browser = Browser()
    browser.get("/")
    browser.get("/")  # two anonymous page views, buffered
    visitor_id = browser.cookies["sp_vid"].value
    with committed():
        page_views_flush()
    before = list(Interaction.objects.filter(visitor_id=visitor_id).values_list("occurred_at", flat=True))
    assert len(before) == 2 and not Interaction.objects.filter(person=person).exists()

    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")  # the click: identified, history joined

    joined = Interaction.objects.filter(person=person, type="page_view")
    assert sorted(joined.values_list("occurred_at", flat=True)) == sorted(before)  # original times
    assert not VisitorLink.objects.filter(person=person).exists()  # forms do not greet them by a link


def test_views_still_buffered_at_the_click_join_too(published_home):
    person = PersonFactory()
    browser = Browser()
    browser.get("/")  # buffered, not flushed yet
    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")
    assert Interaction.objects.filter(person=person, type="page_view").count() == 1


def test_a_late_join_by_a_tracked_link_rescores_and_can_make_an_mql(published_home, django_user_model):
    """Nothing is captured on a tracked link, so the join itself rescores and runs the stage rules."""
    ScoringRule.objects.create(
        name="Pricing page", kind="interest", interaction_type="page_view", object_id="pricing", points=25
    )
    lead_store = LeadStoreSettings.load()
    lead_store.mql_min_total = 40
    lead_store.save()
    SalesRep.objects.create(user=django_user_model.objects.create_user("anna", "anna@northwind.example", "pw"))
    person = PersonFactory()
    browser = Browser()
    visitor = browser.get("/").cookies["sp_vid"].value
    anonymous_views(visitor, 2, start=timezone.now() - timedelta(days=2))

    browser.get(f"/?sp_t={tracked_link_token(person.pk)}")

    person.refresh_from_db()
    assert person.interest_score >= 40 and person.stage == "mql" and person.owner is not None
    assert person.stage_transitions.filter(to_stage="mql").count() == 1
    assert CrmDelivery.objects.filter(person=person).count() == 1


def test_a_tracked_link_never_takes_over_a_browser_known_as_someone_else(published_home, caplog):
    first, second = PersonFactory(), PersonFactory()
    browser = Browser()
    browser.get(f"/?sp_t={tracked_link_token(first.pk)}")
    browser.get("/")
    visitor = browser.cookies["sp_vid"].value
    anonymous_views(visitor, 3, start=timezone.now() - timedelta(days=1))
    with caplog.at_level(logging.INFO, logger="signalpage.identity"):
        browser.get(f"/?sp_t={tracked_link_token(second.pk)}")
    assert not Interaction.objects.filter(person=second).exists()
    assert "One browser, two people" in caplog.text and f"PID-{second.pk}" in caplog.text


def test_a_second_person_on_one_browser_gets_their_own_link_and_a_log_line(caplog):
    visitor = "v_" + "b" * 24
    first, second = PersonFactory(), PersonFactory()
    early = timezone.now() - timedelta(days=3)
    anonymous_views(visitor, 2, start=early)
    visitor_link(first, visitor, at=early + timedelta(hours=1))
    anonymous_views(visitor, 1, start=early + timedelta(days=1))  # anonymous again (logged out, say)
    with caplog.at_level(logging.INFO, logger="signalpage.identity"):
        visitor_link(second, visitor, at=early + timedelta(days=2))
    # What was anonymous before the first identification stays the first person's; only the later view
    # joins the second person; nobody is merged.
    assert Interaction.objects.filter(person=first).count() == 2
    assert Interaction.objects.filter(person=second).count() == 1
    assert VisitorLink.objects.filter(visitor_id=visitor).count() == 2
    assert "One browser, two people" in caplog.text and f"PID-{first.pk}" in caplog.text


def test_joining_a_thousand_views_is_a_couple_of_queries(django_assert_max_num_queries):
    visitor = "v_" + "c" * 24
    person = PersonFactory()
    anonymous_views(visitor, 1000, start=timezone.now() - timedelta(days=10))
    with django_assert_max_num_queries(8):
        visitor_link(person, visitor)
    assert Interaction.objects.filter(person=person).count() == 1000


def test_views_after_the_identification_are_not_taken_back_in_time():
    """Only what happened up to the identification joins: a later anonymous view (another person at the
    same browser after a logout) is not pulled into this person's past."""
    visitor = "v_" + "d" * 24
    person = PersonFactory()
    now = timezone.now()
    anonymous_views(visitor, 1, start=now + timedelta(minutes=5))
    visitor_link(person, visitor, at=now)
    assert not Interaction.objects.filter(person=person).exists()
