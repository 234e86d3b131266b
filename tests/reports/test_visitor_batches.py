"""The page-view writer's batches reach the daily visitors through the sweep (reports.rollups.
visitor_batches on PostgreSQL: added to the rows; elsewhere: the days computed again) and the rows say
exactly what the raw views say: batch after batch, late views, views at the same moment in different
batches, a browser identified in between, views that changed or went before the sweep added them, a day
computed in full while some of its views wait, and rows written before last_known_at existed."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from leads.behaviour import LocalBuffer, page_views_flush
from leads.models import Interaction
from reports import rollups
from reports.models import DailyVisitor, PendingPageView
from reports.rollups.visitors import visitor_days_refresh
from tests.factories import PersonFactory
from tests.factories import reports as activity

from .test_rollups import assert_visitor_days_agree_with_direct, view

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 18, tzinfo=UTC)
SOURCES = [{}, {"utm": {"utm_source": "linkedin", "utm_medium": "paid_social"}}, {"referrer": "news.example.org"}]


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_batch_after_batch_with_late_views_and_the_same_moment_twice_equal_the_raw_rows(seed):
    rng = random.Random(seed)
    people = [PersonFactory() for _ in range(3)]
    visitors = [f"v_{rng.getrandbits(96):024x}" for _ in range(3)]
    # Few moments over three days: views in different batches often share one (which is first, which is
    # the latest known, is then decided by the order they were stored in).
    moments = [DAY + timedelta(days=day, hours=hour) for day in range(3) for hour in (1, 9, 9, 17, 23)]
    for _ in range(6):
        buffer = LocalBuffer()
        for _ in range(rng.randint(1, 12)):
            person = rng.choice(people) if rng.random() < 0.4 else None
            view(buffer, rng.choice(visitors), rng.choice(moments), person=person, **rng.choice(SOURCES))
        page_views_flush(buffer=buffer, batch=rng.randint(1, 5))  # several batches per flush
        rollups.rollups_refresh()  # the sweep adds what the writer recorded
        assert_visitor_days_agree_with_direct()
    assert DailyVisitor.objects.filter(page_views__gt=1).exists()


def test_a_row_from_before_last_known_at_is_computed_in_full_when_a_batch_reaches_it():
    visitor = "v_" + "1" * 24
    known, earlier = PersonFactory(), PersonFactory()
    buffer = LocalBuffer()
    view(buffer, visitor, DAY + timedelta(hours=10), person=known)
    view(buffer, visitor, DAY + timedelta(hours=12))
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    # As the migration left rows written before the column: a person, no time of their view.
    assert DailyVisitor.objects.update(last_known_at=None) == 1

    view(buffer, visitor, DAY + timedelta(hours=9), person=earlier)  # known, but earlier than `known`'s
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    row = DailyVisitor.objects.get()
    assert (row.page_views, row.person_id, row.last_known_at) == (3, known.pk, DAY + timedelta(hours=10))
    assert row.first_at == DAY + timedelta(hours=9)
    assert_visitor_days_agree_with_direct()


def test_a_later_view_of_the_day_that_became_the_same_persons_is_the_one_a_batch_compares_with():
    visitor = "v_" + "2" * 24
    rng = random.Random(1)
    person = activity.capture(rng, "ada@firm.example.com")
    other = PersonFactory()
    buffer = LocalBuffer()
    view(buffer, visitor, DAY + timedelta(hours=10), person=person)
    view(buffer, visitor, DAY + timedelta(hours=13))  # anonymous for now
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    activity.identify(rng, person, visitor)  # the 13:00 view is theirs now, and the day's latest known
    rollups.rollups_refresh()
    assert DailyVisitor.objects.get().last_known_at == DAY + timedelta(hours=13)

    view(buffer, visitor, DAY + timedelta(hours=12), person=other)  # known, between the two
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    row = DailyVisitor.objects.get()
    assert (row.page_views, row.person_id) == (3, person.pk)
    assert_visitor_days_agree_with_direct()


@pytest.mark.django_db(transaction=True)
def test_a_mark_made_on_its_own_is_one_upsert_that_leaves_the_connection_as_it_was(django_assert_num_queries):

    from reports.models import RollupDirtyPerson
    from reports.rollups.dirty import people_mark

    first, second = PersonFactory(), PersonFactory()
    RollupDirtyPerson.objects.all().delete()  # the factories' own saves marked them
    early = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):  # SQLite: in a transaction
        assert people_mark([first.pk, first.pk, second.pk, None], at=early) == 2
    assert people_mark([second.pk], at=early + timedelta(hours=1)) == 1  # marked again: the later time
    assert dict(RollupDirtyPerson.objects.values_list("person_id", "marked_at")) == {
        first.pk: early,
        second.pk: early + timedelta(hours=1),
    }
    if connection.vendor == "postgresql":  # the mark's commit did not wait for the disk; nothing else changed
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_a_new_day_after_several_takes_its_previous_days_from_the_row_just_before_it():
    visitor = "v_" + "3" * 24
    person = PersonFactory()
    buffer = LocalBuffer()
    for day, who in ((0, person), (1, None), (3, None)):  # each day in its own batch, in order
        view(buffer, visitor, DAY + timedelta(days=day, hours=10), person=who)
        page_views_flush(buffer=buffer)
        rollups.rollups_refresh()  # the sweep adds what the writer recorded
    newest = DailyVisitor.objects.get(day=(DAY + timedelta(days=3)).date())
    assert (newest.previous_day, newest.previous_known_day) == ((DAY + timedelta(days=1)).date(), DAY.date())
    assert_visitor_days_agree_with_direct()


def test_within_one_batch_the_days_latest_known_view_names_its_person_and_its_first_view_its_source():
    visitor = "v_" + "4" * 24
    earlier, later, same_moment = PersonFactory(), PersonFactory(), PersonFactory()
    buffer = LocalBuffer()
    view(buffer, visitor, DAY + timedelta(hours=11), person=earlier, **SOURCES[2])
    view(buffer, visitor, DAY + timedelta(hours=8), **SOURCES[1])  # late in the buffer, first of the day
    view(buffer, visitor, DAY + timedelta(hours=15), person=later)
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    row = DailyVisitor.objects.get()
    assert (row.person_id, row.last_known_at, row.source) == (later.pk, DAY + timedelta(hours=15), "linkedin")

    # Two known views at one moment, in one batch: the one stored last is the later.
    view(buffer, visitor, DAY + timedelta(hours=20), person=earlier)
    view(buffer, visitor, DAY + timedelta(hours=20), person=same_moment)
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()  # the sweep adds what the writer recorded
    assert DailyVisitor.objects.get().person_id == same_moment.pk
    assert_visitor_days_agree_with_direct()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pending page views: PostgreSQL's path")
def test_a_day_computed_in_full_while_some_of_its_views_wait_counts_each_view_once():
    visitor = "v_" + "5" * 24
    buffer = LocalBuffer()
    view(buffer, visitor, DAY + timedelta(hours=10))
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    view(buffer, visitor, DAY + timedelta(hours=9), **SOURCES[1])  # late, waiting for the sweep
    page_views_flush(buffer=buffer)
    assert PendingPageView.objects.count() == 1

    # The day computed again meanwhile (a browser identified, a merge): without the waiting view, which
    # the sweep then adds once.
    visitor_days_refresh([(visitor, DAY.date())])
    assert DailyVisitor.objects.get().page_views == 1
    rollups.rollups_refresh()
    row = DailyVisitor.objects.get()
    assert (row.page_views, row.first_at, row.source) == (2, DAY + timedelta(hours=9), "linkedin")
    assert_visitor_days_agree_with_direct()

    # The day's added views go (their person erased) while another waits: the row goes, and the waiting
    # view makes the day again.
    gone = PersonFactory()
    Interaction.objects.filter(visitor_id=visitor).update(person=gone)
    rollups.rollups_refresh()
    view(buffer, visitor, DAY + timedelta(hours=12))
    page_views_flush(buffer=buffer)
    with activity.committed():
        gone.delete()
    assert visitor_days_refresh([(visitor, DAY.date())])["deleted"] == 1
    rollups.rollups_refresh()
    row = DailyVisitor.objects.get()
    assert (row.page_views, row.person_id, row.first_at) == (1, None, DAY + timedelta(hours=12))
    assert_visitor_days_agree_with_direct()


def test_views_that_changed_hands_or_went_before_the_sweep_added_them_count_as_they_are_then():
    identified, erased = "v_" + "6" * 24, "v_" + "7" * 24
    rng = random.Random(2)
    person = activity.capture(rng, "grace@firm.example.com")
    gone = PersonFactory()
    buffer = LocalBuffer()
    view(buffer, identified, DAY + timedelta(hours=10))  # anonymous when stored
    view(buffer, erased, DAY + timedelta(hours=11), person=gone)
    view(buffer, erased, DAY + timedelta(hours=12))
    page_views_flush(buffer=buffer)
    activity.identify(rng, person, identified)  # before the sweep: the view is theirs now
    with activity.committed():
        gone.delete()  # their view goes with them (CASCADE)
    rollups.rollups_refresh()
    assert sorted(DailyVisitor.objects.values_list("visitor_id", "person_id", "page_views")) == [
        (identified, person.pk, 1),
        (erased, None, 1),
    ]
    assert not PendingPageView.objects.exists()
    assert_visitor_days_agree_with_direct()
