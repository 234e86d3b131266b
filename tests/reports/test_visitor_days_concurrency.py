"""Pending page views being added while another sweep computes the same visitor-day again (PostgreSQL,
two real connections): the computation must not write back a count read before the views were added."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from leads.behaviour import LocalBuffer, page_views_flush
from reports import rollups
from reports.models import DailyVisitor, PendingPageView
from reports.rollups.visitor_batches import pending_add

from .test_rollups import assert_visitor_days_agree_with_direct, view

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once: PostgreSQL's locking"),
]

DAY = datetime(2026, 11, 18, tzinfo=UTC)
VISITOR = "v_" + "c" * 24


def _in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _someone_waits_on_a_lock(seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_day_computed_in_full_while_its_pending_views_are_being_added_keeps_them():
    buffer = LocalBuffer()
    view(buffer, VISITOR, DAY + timedelta(hours=10))
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    view(buffer, VISITOR, DAY + timedelta(hours=11))
    page_views_flush(buffer=buffer)  # waiting for the sweep
    rollups.visitor_days_mark([(VISITOR, DAY.date())])  # as an identification or a merge marks it

    # One sweep adds the waiting view and stops before its transaction commits.
    added, release = threading.Event(), threading.Event()

    def add():
        with transaction.atomic():
            assert pending_add(100)[0] == 1
            added.set()
            release.wait(20)

    adder = _in_thread(add)
    assert added.wait(20)
    sweeper = _in_thread(rollups.rollups_refresh)  # another worker's sweep reaches the marked day
    try:
        assert _someone_waits_on_a_lock(), "the day's computation waited for the views being added"
    finally:
        release.set()
        adder.join(20)
        sweeper.join(20)
    assert DailyVisitor.objects.get().page_views == 2
    assert not PendingPageView.objects.exists()
    assert_visitor_days_agree_with_direct()


def test_a_round_another_workers_sweep_holds_is_skipped_and_done_once_it_is_free():
    from reports.models import RollupDirtyPerson
    from reports.rollups import PAGE_VIEWS_ROUND, PEOPLE_ROUND
    from tests.factories import PersonFactory

    buffer = LocalBuffer()
    view(buffer, VISITOR, DAY + timedelta(hours=10))
    page_views_flush(buffer=buffer)
    PersonFactory()  # marked by its save
    assert PendingPageView.objects.count() == 1 and RollupDirtyPerson.objects.exists()

    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s), pg_advisory_xact_lock(%s)", [PEOPLE_ROUND, PAGE_VIEWS_ROUND]
            )
            held.set()
            release.wait(20)

    holder = _in_thread(hold)
    try:
        assert held.wait(20)
        assert rollups.rollups_refresh() == {"page_views": 0, "people": 0, "visitor_days": 0}
        assert PendingPageView.objects.count() == 1 and RollupDirtyPerson.objects.exists()
    finally:
        release.set()
        holder.join(20)
    done = rollups.rollups_refresh()
    assert done["page_views"] == 1 and done["people"] >= 1
    assert not PendingPageView.objects.exists() and not RollupDirtyPerson.objects.exists()
    assert_visitor_days_agree_with_direct()
