"""The reports' rollups (reports.rollups): kept current from the lead store's signals, they say exactly
what a direct computation over the raw rows says (reports.rollups.direct), for every person and every
visitor-day, on random data with late page views, browsers identified, and a person merged half-way.
"""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from leads.behaviour import LocalBuffer, page_view_buffer, page_views_flush
from leads.models import Company, Interaction, Lead, Person
from leads.services.lifecycle import stage_change
from leads.signals import people_changed, send_after_commit
from reports import rollups
from reports.dashboard import top_content, top_content_from_interactions
from reports.models import (
    DailyVisitor,
    DailyVisitorCount,
    PendingPageView,
    PersonJourney,
    RollupDirtyPerson,
    RollupDirtyVisitorDay,
)
from reports.periods import Period
from reports.rollups import direct
from tests.factories import PersonFactory
from tests.factories import reports as activity
from tests.factories.leads import SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db

JOURNEY_FIELDS = [
    "created_at",
    "channel",
    "source",
    "medium",
    "campaign",
    "referrer_domain",
    "first_origin_type",
    "first_origin_id",
    "first_origin_label",
    "industry",
    "country",
    "owner_id",
    "team",
    "stage",
    "is_excluded",
    "mql_at",
    "sql_at",
    "opportunity_at",
    "customer_at",
    "recycled_at",
    "returned_at",
    "pipeline_amount",
    "won_amount",
]
VISITOR_FIELDS = [
    "previous_day",
    "previous_known_day",
    "first_at",
    "page_views",
    "person_id",
    "last_known_at",
    "source",
    "medium",
    "campaign",
    "referrer_domain",
    "channel",
]


def rollup_journeys():
    return {row["person_id"]: row for row in PersonJourney.objects.values("person_id", *JOURNEY_FIELDS)}


def rollup_visitor_days():
    return {
        (row["day"], row["visitor_id"]): row
        for row in DailyVisitor.objects.values("day", "visitor_id", *VISITOR_FIELDS)
    }


def assert_rollups_agree_with_direct():
    journeys, expected = rollup_journeys(), direct.journeys_direct()
    assert set(journeys) == set(expected)
    for pk, row in expected.items():
        assert {field: journeys[pk][field] for field in JOURNEY_FIELDS} == row, f"PID-{pk}"
    assert_visitor_days_agree_with_direct()
    assert_top_content_agrees_with_the_interactions()


def assert_top_content_agrees_with_the_interactions():
    """PostgreSQL: the dashboard's top content from the content rollup (ContentDay, counted by triggers)
    is what the interactions say, for everybody and for each owner, over 30 days and over a year."""
    if connection.vendor != "postgresql":
        return
    everybody = UserFactory(is_superuser=True)
    owners = list(get_user_model().objects.filter(pk__in=Person.objects.exclude(owner=None).values("owner")))
    today = timezone.localdate()
    for period in (Period(today - timedelta(days=29), today), Period(today - timedelta(days=364), today)):
        for user in (everybody, *owners):
            assert top_content(user, period) == top_content_from_interactions(user, period), (user, period)


def assert_visitor_days_agree_with_direct():
    days, expected_days = rollup_visitor_days(), direct.daily_visitors_direct()
    assert set(days) == set(expected_days)
    for key, row in expected_days.items():
        assert {field: days[key][field] for field in VISITOR_FIELDS} == row, key
    assert_visitor_counts_agree_with_the_rows()


def assert_visitor_counts_agree_with_the_rows():
    """PostgreSQL: the counts its triggers keep (DailyVisitorCount) are the visitor-days counted."""
    if connection.vendor != "postgresql":
        return
    never = date(1, 1, 1)
    expected = Counter()
    for day, previous_day, previous_known_day, person_id in DailyVisitor.objects.values_list(
        "day", "previous_day", "previous_known_day", "person_id"
    ):
        expected[(day, False, previous_day or never)] += 1
        if person_id is not None:
            expected[(day, True, previous_known_day or never)] += 1
    held = {
        (day, known, since): visitors
        for day, known, since, visitors in DailyVisitorCount.objects.values_list("day", "known", "since", "visitors")
        if visitors
    }
    assert held == dict(expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_kept_from_the_signals_equal_the_raw_rows_with_late_views_and_a_merge_half_way(seed):
    rng = random.Random(seed)
    store = activity.lead_store_random(rng, people=10, views=120)
    people, visitors = store["people"], store["visitors"]
    rollups.rollups_refresh()
    assert_rollups_agree_with_direct()

    # Half-way: browsers identified (their anonymous days now have someone), late page views (earlier
    # than the days' first, so the day's attribution changes), a person merged into another.
    for person, visitor in zip(people[:3], visitors[:3], strict=False):
        activity.identify(rng, person, visitor)
    activity.page_views(rng, visitors, people, 60)
    keep, other = people[0], people[1]
    other_pk = other.pk
    activity.stage_moves(rng, other, 2)
    activity.deal(rng, other)
    activity.merge(keep, other)
    activity.page_views(rng, visitors, [keep, *people[2:]], 40)
    activity.stage_moves(rng, keep, 2)
    rollups.rollups_refresh()

    assert not Person.objects.filter(pk=other_pk).exists()
    assert other_pk not in rollup_journeys()
    assert not DailyVisitor.objects.filter(person_id=other_pk).exists()
    assert_rollups_agree_with_direct()
    assert not RollupDirtyPerson.objects.exists() and not RollupDirtyVisitorDay.objects.exists()


def test_the_journey_reads_first_capture_stage_path_recycling_and_deals():
    """By hand, one person: what each column means (reports.models.PersonJourney)."""
    rng = random.Random(7)
    t0 = timezone.now() - timedelta(days=20)
    person = activity.capture(
        rng,
        "jane@northbank.de",
        at=t0 + timedelta(days=2),
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="brand",
    )
    # An import of an older form fill arrives later: it is the first capture, so how she came.
    activity.capture(
        rng, "jane@northbank.de", at=t0, utm_source="linkedin", utm_medium="paid_social", utm_campaign="q4-banking"
    )
    for to_stage, day in [("sql", 3), ("nurture", 4), ("disqualified", 5), ("opportunity", 6), ("customer", 9)]:
        person.refresh_from_db()
        with activity.committed():
            stage_change(person, to_stage, reason_type="user", at=t0 + timedelta(days=day))
    for status, amount in [("open", 1000), ("won", 50_000), ("lost", 7)]:
        deal = activity.deal(rng, person)
        deal.status, deal.amount_report = status, Decimal(amount)
        deal.save()
    with activity.committed():
        send_after_commit(people_changed, person_ids=[person.pk])
    rollups.rollups_refresh()

    journey = PersonJourney.objects.get(person=person)
    assert (journey.source, journey.medium, journey.campaign, journey.channel) == (
        "linkedin",
        "paid_social",
        "q4-banking",
        "Paid social",
    )
    # Straight to SQL: she reached MQL then too.
    assert journey.mql_at == journey.sql_at == t0 + timedelta(days=3)
    assert journey.opportunity_at == t0 + timedelta(days=6) and journey.customer_at == t0 + timedelta(days=9)
    assert journey.recycled_at == t0 + timedelta(days=4)  # the first move back, not the second
    assert journey.returned_at == t0 + timedelta(days=6)
    assert (journey.pipeline_amount, journey.won_amount) == (Decimal("51000.00"), Decimal("50000.00"))
    assert journey.stage == "customer" and not journey.is_excluded


def test_a_person_who_never_reached_mql_is_never_recycled_and_a_referrer_gives_the_channel():
    rng = random.Random(8)
    person = activity.capture(rng, "sam@shop.example.com", referrer="https://www.news.example.org/a?b=c")
    with activity.committed():
        stage_change(person, "nurture", reason_type="user")
    rollups.rollups_refresh()
    journey = PersonJourney.objects.get(person=person)
    assert (journey.referrer_domain, journey.channel) == ("news.example.org", "Referral")
    assert journey.mql_at is None and journey.recycled_at is None and journey.returned_at is None


def test_who_they_are_follows_company_owner_and_team_changes():
    rng = random.Random(9)
    person = activity.capture(rng, "kim@acme.example.com")
    company = Company.objects.create(name="Acme", name_key="acme", industry="insurance", country="FR")
    rep = SalesRepFactory(user=UserFactory(), team="Enterprise")
    with activity.committed():
        Person.objects.filter(pk=person.pk).update(country="")
        person.refresh_from_db()
        person.company, person.owner, person.is_test = company, rep.user, True
        person.save()
    rollups.rollups_refresh()
    journey = PersonJourney.objects.get(person=person)
    assert (journey.industry, journey.country, journey.team, journey.is_excluded) == (
        "insurance",
        "FR",
        "Enterprise",
        True,
    )

    with activity.committed():
        company.industry = "banking"
        company.save()
        rep.team = "Mid-market"
        rep.save()
    rollups.rollups_refresh()
    journey.refresh_from_db()
    assert (journey.industry, journey.team) == ("banking", "Mid-market")


def test_everybody_changed_is_caught_up_from_the_watermark_not_by_recomputing_everyone():
    rng = random.Random(10)
    people = [activity.capture(rng, f"p{n}@firm.example.com") for n in range(3)]
    call_command("reports_rebuild", stdout=StringIO())  # a rebuild sets the watermark
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Person.objects.update(updated_at=an_hour_ago)
    Lead.objects.update(processed_at=an_hour_ago)
    Company.objects.update(updated_at=an_hour_ago)
    # Written without a signal for each (a bulk update), then "everybody" (as the nightly rescore says).
    Person.objects.filter(pk=people[1].pk).update(country="AT", updated_at=timezone.now())
    with activity.committed():
        send_after_commit(people_changed, person_ids=None)
    assert RollupDirtyPerson.objects.count() == 0  # nothing marked yet: the sweep looks
    done = rollups.rollups_refresh()
    assert done["people"] == 1
    assert PersonJourney.objects.get(person=people[1]).country == "AT"
    assert_rollups_agree_with_direct()


def view(buffer, visitor, at, *, person=None, **fields):
    page_view_buffer(
        visitor_id=visitor,
        person_id=person.pk if person else None,
        page_id=1,
        path="/p/",
        occurred_at=at,
        buffer=buffer,
        **fields,
    )


def test_a_late_view_earlier_than_the_days_first_takes_the_days_attribution_and_a_rewrite_counts_once():
    visitor = "v_" + "b" * 24
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    buffer = LocalBuffer()
    view(buffer, visitor, noon, utm={"utm_source": "google", "utm_medium": "cpc"})
    view(buffer, visitor, noon + timedelta(hours=2))
    page_views_flush(buffer=buffer)
    # The writer only records what the sweep must add (PostgreSQL: the views' ids; elsewhere their days).
    assert not DailyVisitor.objects.exists()
    if connection.vendor == "postgresql":
        assert PendingPageView.objects.count() == 2
    else:
        assert RollupDirtyVisitorDay.objects.count() == 1
    rollups.rollups_refresh()
    assert not PendingPageView.objects.exists() and not RollupDirtyVisitorDay.objects.exists()
    row = DailyVisitor.objects.get(visitor_id=visitor)
    assert (row.page_views, row.first_at, row.channel, row.person_id) == (2, noon, "Paid search", None)

    person = PersonFactory()
    view(buffer, visitor, noon - timedelta(hours=3), referrer="www.LinkedIn.com", person=person)
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    row.refresh_from_db()
    assert (row.page_views, row.first_at, row.channel, row.referrer_domain, row.source) == (
        3,
        noon - timedelta(hours=3),
        "Social",
        "linkedin.com",
        "",
    )
    assert row.person_id == person.pk  # the only view that day with someone
    # The same batch written twice (a flush that died before trimming its buffer) stores it once.
    event = Interaction.objects.filter(visitor_id=visitor).order_by("occurred_at").first()
    page_view_buffer(
        visitor_id=visitor,
        person_id=None,
        page_id=1,
        path="/p/",
        occurred_at=event.occurred_at,
        event_id=event.event_id,
        buffer=buffer,
    )
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    row.refresh_from_db()
    assert row.page_views == 3


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_a_day_is_the_sites_day_not_utcs():
    visitor = "v_" + "c" * 24
    buffer = LocalBuffer()
    view(buffer, visitor, datetime(2026, 11, 20, 10, 30, tzinfo=UTC))  # 23:30 in Auckland, the 20th
    view(buffer, visitor, datetime(2026, 11, 20, 11, 30, tzinfo=UTC))  # 00:30 in Auckland, the 21st
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    assert sorted(DailyVisitor.objects.values_list("day", "page_views")) == [
        (date(2026, 11, 20), 1),
        (date(2026, 11, 21), 1),
    ]
    assert_rollups_agree_with_direct()


def test_the_day_of_a_shared_browser_counts_the_later_person_and_a_view_without_a_visitor_is_no_visitor():
    visitor = "v_" + "d" * 24
    first, second = PersonFactory(), PersonFactory()
    noon = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    buffer = LocalBuffer()
    view(buffer, visitor, noon + timedelta(hours=1), person=first)
    view(buffer, visitor, noon, person=second)
    view(buffer, visitor, noon + timedelta(hours=2))  # anonymous again (logged out): does not undo it
    page_view_buffer(visitor_id="", person_id=first.pk, page_id=1, path="/p/", occurred_at=noon, buffer=buffer)
    assert page_views_flush(buffer=buffer)["written"] == 4
    rollups.rollups_refresh()
    assert list(DailyVisitor.objects.values_list("visitor_id", "person_id", "page_views")) == [(visitor, first.pk, 3)]


def test_a_failing_rollup_never_costs_the_page_views_and_the_sweep_makes_it_good(monkeypatch):
    visitor = "v_" + "e" * 24
    buffer = LocalBuffer()
    view(buffer, visitor, timezone.now() - timedelta(hours=1))

    def broken(*args):
        raise RuntimeError("rollup broken")

    # PostgreSQL: recording the views' ids fails, and their day is marked instead (elsewhere the day is
    # what the writer marks anyway).
    monkeypatch.setattr(rollups, "pending_record", broken)
    assert page_views_flush(buffer=buffer)["written"] == 1
    assert Interaction.objects.filter(visitor_id=visitor).count() == 1
    assert not DailyVisitor.objects.exists() and not PendingPageView.objects.exists()
    assert RollupDirtyVisitorDay.objects.count() == 1
    monkeypatch.undo()
    assert rollups.rollups_sweep() == 1
    assert DailyVisitor.objects.get(visitor_id=visitor).page_views == 1
    assert not RollupDirtyVisitorDay.objects.exists()


def test_an_erased_person_leaves_the_visitor_days_they_were_in():
    visitor = "v_" + "f" * 24
    person = PersonFactory()
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # not "two hours ago": after 23:55 that crossed midnight
    buffer = LocalBuffer()
    view(buffer, visitor, noon, person=person)
    view(buffer, visitor, noon + timedelta(minutes=5))
    view(buffer, "v_" + "9" * 24, noon, person=person)
    page_views_flush(buffer=buffer)
    rollups.rollups_refresh()
    assert DailyVisitor.objects.count() == 2
    with activity.committed():
        person.delete()  # their views go with them (CASCADE)
    rollups.rollups_refresh()
    assert list(DailyVisitor.objects.values_list("visitor_id", "page_views", "person_id")) == [(visitor, 1, None)]
    assert_rollups_agree_with_direct()


def test_a_served_page_view_reaches_the_daily_visitors_through_the_writer(home_page):
    from tests.personalization.conftest import Browser

    browser = Browser()
    browser.get("/?utm_source=linkedin&utm_medium=social&utm_campaign=q4-banking")
    browser.get("/")
    with activity.committed():
        page_views_flush()
    rollups.rollups_sweep()
    row = DailyVisitor.objects.get()
    assert (row.page_views, row.source, row.campaign, row.channel) == (2, "linkedin", "q4-banking", "Social")
    assert row.person_id is None


def test_reports_rebuild_computes_everything_again_from_scratch():
    rng = random.Random(11)
    activity.lead_store_random(rng, people=6, views=60)
    rollups.rollups_refresh()
    PersonJourney.objects.update(channel="wrong", won_amount=Decimal(1))
    DailyVisitor.objects.update(page_views=999)
    DailyVisitorCount.objects.update(visitors=7)  # PostgreSQL's counts, as a restore without triggers left them
    buffer = LocalBuffer()  # and views the writer stored that no sweep has added yet (no worker runs)
    for hours in (1, 30):
        view(buffer, "v_" + "a" * 24, timezone.now() - timedelta(hours=hours))
    page_views_flush(buffer=buffer)
    out = StringIO()
    call_command("reports_rebuild", stdout=out)
    assert not PendingPageView.objects.exists()
    assert "journeys: 6 of 6 people" in out.getvalue() and "Rebuilt 6 journeys" in out.getvalue()
    assert_rollups_agree_with_direct()


def test_reports_rebuild_since_a_date_and_a_bad_date_named():
    with pytest.raises(CommandError, match="--since: expected a date"):
        call_command("reports_rebuild", since="last tuesday", stdout=StringIO())
    out = StringIO()
    call_command("reports_rebuild", since=str(date.today()), stdout=out)
    assert "Rebuilt 0 journeys" in out.getvalue()


def test_the_sweep_is_registered_for_the_workers():
    from django.conf import settings

    assert "reports.rollups.rollups_sweep" in settings.WORKER_SWEEPS


def test_a_merge_gives_the_merged_persons_days_and_journey_to_the_person_kept():
    rng = random.Random(12)
    keep = activity.capture(rng, "old@merge.de", utm_source="newsletter", utm_medium="email")
    other = activity.capture(rng, "new@merge.de", at=timezone.now() - timedelta(days=30), utm_source="google")
    visitor = "v_" + "7" * 24
    buffer = LocalBuffer()
    view(buffer, visitor, timezone.now() - timedelta(hours=3), person=other)
    page_views_flush(buffer=buffer)
    with activity.committed():
        stage_change(other, "sql", reason_type="user", at=timezone.now() - timedelta(days=2))
    rollups.rollups_refresh()
    assert DailyVisitor.objects.get(visitor_id=visitor).person_id == other.pk

    activity.merge(keep, other)  # the older id is kept
    rollups.rollups_refresh()
    assert DailyVisitor.objects.get(visitor_id=visitor).person_id == keep.pk
    journey = PersonJourney.objects.get(person=keep)
    # The merged person's older capture is now the first: how the kept person came changes with it.
    assert (journey.source, journey.sql_at is not None) == ("google", True)
    assert PersonJourney.objects.count() == 1
    assert_rollups_agree_with_direct()
