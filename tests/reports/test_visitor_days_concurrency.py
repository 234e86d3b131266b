"""A page-view batch committing while the sweep computes the same visitor-day again (PostgreSQL, two
real connections): the sweep must not write back a count read before the batch committed."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from leads.behaviour import LocalBuffer, page_views_flush
from leads.signals import page_views_written
from reports import rollups
from reports.models import DailyVisitor

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


def test_a_sweep_of_a_day_whose_batch_is_committing_keeps_the_batchs_views():
    buffer = LocalBuffer()
    view(buffer, VISITOR, DAY + timedelta(hours=10))
    page_views_flush(buffer=buffer)
    rollups.visitor_days_mark([(VISITOR, DAY.date())])  # as an identification or a merge marks it

    # The writer's next batch stops after its rollup was added, before its transaction commits.
    added, release = threading.Event(), threading.Event()

    def hold(sender, **kwargs):
        added.set()
        release.wait(20)

    page_views_written.connect(hold, weak=False, dispatch_uid="test-hold-the-batch")
    try:

        def write():
            batch = LocalBuffer()
            view(batch, VISITOR, DAY + timedelta(hours=11))
            page_views_flush(buffer=batch)

        writer = _in_thread(write)
        assert added.wait(20)
    finally:
        page_views_written.disconnect(dispatch_uid="test-hold-the-batch")
    sweeper = _in_thread(rollups.rollups_refresh)
    try:
        assert _someone_waits_on_a_lock(), "the sweep reached the day while the batch was open"
    finally:
        release.set()
        writer.join(20)
        sweeper.join(20)
    assert DailyVisitor.objects.get().page_views == 2
    assert_visitor_days_agree_with_direct()
