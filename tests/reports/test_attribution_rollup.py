"""The attribution credit rollup (reports.attribution.rollup) says exactly what crediting every touch
says (reports.attribution.selectors.attribution), for every kept model, for everybody and for a rep,
kept current by the people sweep through identified browsers, late page views, stage moves, won deals,
email clicks, events, a merge and an erasure; a rebuild gives the same rows; the screen says which
path answered.
"""

import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leads.models import Deal, Person
from leads.signals import people_changed, send_after_commit
from reports import rollups
from reports.access import journeys_for
from reports.attribution import rollup
from reports.attribution.selectors import attribution
from reports.filters import ReportFilters
from reports.models import KEPT_ATTRIBUTION, AttributionCredit, AttributionPath, PersonCredit, RollupWatermark
from reports.periods import Period
from sales.roles import MARKETER, SALES_REP, roles_ensure
from tests.factories import reports as activity
from tests.factories.leads import InteractionFactory, SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db

EVERYTHING = Period(date.today() - timedelta(days=60), date.today() + timedelta(days=1))
LAST_WEEK = Period(date.today() - timedelta(days=6), date.today())


def user_with(role):
    user = UserFactory()
    user.groups.add(roles_ensure()[role])
    return user


def summary(result) -> dict:
    """What a report shows, zeros left out: conversions, amounts, and per dimension key and kind the
    credit and amount."""
    rows = {}
    for dimension, table in result.rows.items():
        for key, row in table.items():
            for kind in set(row.credit) | set(row.amount):
                credit, amount = row.credit.get(kind, Decimal(0)), row.amount.get(kind, Decimal(0))
                if credit or amount:
                    rows[(dimension, key, kind)] = (credit, amount)
    return {
        "conversions": {kind: n for kind, n in result.conversions.items() if n},
        "amounts": {kind: a for kind, a in result.amounts.items() if a},
        "rows": rows,
    }


def assert_rollup_agrees(user, periods=(EVERYTHING, LAST_WEEK)):
    """The rollup, and the paths summed for journey filters (each channel and country the people have),
    say what crediting every touch says."""
    journeys = journeys_for(user)
    filters = [
        *({"channel": channel} for channel in set(journeys.values_list("channel", flat=True))),
        *({"country": country} for country in set(journeys.values_list("country", flat=True)) if country),
    ]
    for period in periods:
        for model, half_life in KEPT_ATTRIBUTION:
            half_life = half_life or 7
            kept = rollup.from_rollup(user, period, model=model, half_life_days=half_life)
            live = attribution(journeys, period, model=model, half_life_days=half_life)
            assert kept is not None
            assert summary(kept) == summary(live), (model, half_life, period)
            for values in filters:
                chosen = ReportFilters(values)
                summed = rollup.from_paths(user, period, chosen, model=model, half_life_days=half_life)
                live = attribution(journeys.filter(chosen.q()), period, model=model, half_life_days=half_life)
                assert summary(summed) == summary(live), (values, model, half_life, period)


def touches(rng, people):
    """Email clicks and events attended, as the campaign and event apps record them (people_changed)."""
    with activity.committed():
        for person in people:
            if rng.random() < 0.5:
                InteractionFactory(
                    person=person, type="email_click", occurred_at=activity.a_moment(rng), object_type="email",
                    object_id=str(rng.randint(1, 3)), object_label="November newsletter",
                )  # fmt: skip
            if rng.random() < 0.3:
                InteractionFactory(
                    person=person, type="event_attended", occurred_at=activity.a_moment(rng), object_type="event",
                    object_id=str(rng.randint(1, 2)), object_label="Banking Summit",
                )  # fmt: skip
        send_after_commit(people_changed, person_ids=[person.pk for person in people])


def won(rng, person, amount="12500.00"):
    with activity.committed():
        Deal.objects.create(
            crm_id=f"won-{person.pk}-{rng.getrandbits(32)}", person=person, status=Deal.Status.WON,
            amount=Decimal(amount), currency="EUR", amount_report=Decimal(amount),
            close_date=timezone.localdate() - timedelta(days=rng.randint(0, 10)),
            opened_at=activity.a_moment(rng), crm_changed_at=timezone.now(),
        )  # fmt: skip
        send_after_commit(people_changed, person_ids=[person.pk])


def lead_store(rng, *, people, views):
    """The random lead store of the rollup tests, its people real prospects (its example.com addresses
    are flagged as tests, and test people are credited nowhere)."""
    store = activity.lead_store_random(rng, people=people, views=views)
    with activity.committed():
        Person.objects.update(is_test=False, is_competitor=False)
        send_after_commit(people_changed, person_ids=[person.pk for person in store["people"]])
    return store


def credit_rows() -> dict:
    columns = [name for prefix in KEPT_ATTRIBUTION.values() for name in (f"{prefix}_credit", f"{prefix}_amount")]
    found = {}
    for row in AttributionCredit.objects.values("day", "kind", "dimension", "key", "owner_id", *columns):
        values = tuple(row[name] for name in columns)
        if any(values):
            found[(row["day"], row["kind"], row["dimension"], row["key"], row["owner_id"])] = values
    return found


def people_rows_summed() -> dict:
    """The people's credit rows summed as the rollup keys them (NULL is 0): what credit_rows must be."""
    columns = [name for prefix in KEPT_ATTRIBUTION.values() for name in (f"{prefix}_credit", f"{prefix}_amount")]
    found = {}
    for row in PersonCredit.objects.values("day", "kind", "dimension", "key", "owner_id", *columns):
        key = (row["day"], row["kind"], row["dimension"], row["key"], row["owner_id"])
        sums = found.get(key, (0,) * len(columns))
        found[key] = tuple(total + (row[name] or 0) for total, name in zip(sums, columns, strict=True))
    return {key: values for key, values in found.items() if any(values)}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_rollup_kept_by_the_sweep_equals_crediting_every_touch(seed):
    rng = random.Random(seed)
    rep, marketer = user_with(SALES_REP), user_with(MARKETER)
    store = lead_store(rng, people=10, views=120)
    people, visitors = store["people"], store["visitors"]
    for person in people[:4]:
        with activity.committed():
            Person.objects.filter(pk=person.pk).update(owner=rep)
            send_after_commit(people_changed, person_ids=[person.pk])
    touches(rng, people)
    won(rng, people[2])
    rollups.rollups_refresh()
    assert rollup.attribution_rebuild() == 10
    assert_rollup_agrees(marketer)
    assert_rollup_agrees(rep)

    # What the sweep must follow: browsers identified, late page views, moves, a won deal, clicks, a
    # merge (the merged person's credit moves to the kept one), an erasure, a test person.
    for person, visitor in zip(people[3:6], visitors[:3], strict=False):
        activity.identify(rng, person, visitor)
    activity.page_views(rng, visitors, people, 60)
    activity.stage_moves(rng, people[4], 3)
    won(rng, people[5], "99999.99")
    touches(rng, people[:5])
    keep, other = people[0], people[1]
    other_pk = other.pk
    activity.merge(keep, other)
    erased = people[6]
    erased_pk = erased.pk
    with activity.committed():
        erased.delete()
    with activity.committed():
        people[7].is_test = True
        people[7].save()
    rollups.rollups_refresh()

    gone = [other_pk, erased_pk, people[7].pk]
    assert not AttributionPath.objects.filter(person_id__in=gone).exists()
    assert not PersonCredit.objects.filter(person_id__in=gone).exists()
    assert credit_rows() == people_rows_summed()
    assert_rollup_agrees(marketer)
    assert_rollup_agrees(rep)

    # The rows the sweep moved step by step are the rows a rebuild computes from scratch.
    kept_incrementally = credit_rows()
    rollup.attribution_rebuild()
    assert credit_rows() == kept_incrementally


def test_computing_the_same_people_again_moves_nothing():
    rng = random.Random(5)
    lead_store(rng, people=4, views=30)
    rollups.rollups_refresh()
    rollup.attribution_rebuild()
    before = credit_rows()
    ids = list(Person.objects.values_list("pk", flat=True))
    assert rollup.attribution_refresh(ids) == 0
    assert rollup.attribution_refresh(ids) == 0
    assert credit_rows() == before
    # Taken away by hand and computed again: the same rows come back.
    PersonCredit.objects.filter(person_id=ids[0]).delete()
    AttributionCredit.objects.all().delete()
    rollup.attribution_rebuild()
    assert credit_rows() == before


def test_after_a_model_joins_the_kept_ones_the_sweep_goes_on_and_a_rebuild_fills_it():
    """What a model added to KEPT_ATTRIBUTION leaves (as 3, 60 and 90 days did): its columns at 0 in the
    rollup and NULL in the people's rows, no watermark. The sweep must go on moving the other columns
    exactly, and the rebuild must make every column agree again."""
    rng = random.Random(21)
    marketer = user_with(MARKETER)
    people = lead_store(rng, people=8, views=60)["people"]
    touches(rng, people)
    rollups.rollups_refresh()
    rollup.attribution_rebuild()
    old = len(KEPT_ATTRIBUTION) - 3
    added = [f"{prefix}_{what}" for prefix in list(KEPT_ATTRIBUTION.values())[old:] for what in ("credit", "amount")]
    AttributionCredit.objects.update(**dict.fromkeys(added, 0))
    PersonCredit.objects.update(**dict.fromkeys(added, None))
    RollupWatermark.objects.filter(name=rollup.WATERMARK).delete()
    assert rollup.attribution_for(marketer, EVERYTHING, ReportFilters(), model="linear", half_life_days=7)[1] is False

    # People change: the sweep takes their old credit away (nothing from the new columns) and adds the new.
    touches(rng, people[:4])
    won(rng, people[1], "30000.00")
    rollups.rollups_refresh()
    assert credit_rows() == people_rows_summed()
    kept_incrementally = credit_rows()
    rollup.attribution_rebuild()
    rebuilt = credit_rows()
    assert {key: values[: 2 * old] for key, values in kept_incrementally.items() if any(values[: 2 * old])} == {
        key: values[: 2 * old] for key, values in rebuilt.items() if any(values[: 2 * old])
    }
    assert any(values[2 * old :] for values in rebuilt.values())
    assert credit_rows() == people_rows_summed()
    assert_rollup_agrees(marketer)


def test_the_report_reads_the_rollup_only_when_it_can(client, django_assert_max_num_queries):
    rng = random.Random(9)
    marketer = user_with(MARKETER)
    lead_store(rng, people=6, views=40)
    rollups.rollups_refresh()
    url = reverse("reports:attribution")
    client.force_login(marketer)
    # Never built: credited from the touches.
    assert rollup.from_rollup(marketer, EVERYTHING, model="linear", half_life_days=7) is None
    assert "Credited from every touch" in client.get(url).content.decode()

    rollup.attribution_rebuild()
    with django_assert_max_num_queries(6):
        assert rollup.from_rollup(marketer, EVERYTHING, model="u_shaped", half_life_days=7) is not None
    assert "Summed from the daily credit" in client.get(url).content.decode()
    kept = client.get(url, {"model": "time_decay", "half_life": "14"}).content.decode()
    assert "Summed from the daily credit" in kept
    # Every half-life the report offers is kept.
    slowest = client.get(url, {"model": "time_decay", "half_life": "90"}).content.decode()
    assert "Summed from the daily credit" in slowest
    # A journey filter: the filtered people's paths summed, the same numbers.
    assert "Summed from the daily credit" in client.get(url, {"country": "DE"}).content.decode()
    assert rollup.from_rollup(marketer, EVERYTHING, model="time_decay", half_life_days=9) is None


def test_owner_and_team_filters_are_summed_from_the_rollup_and_agree_with_crediting_every_touch():
    rng = random.Random(12)
    marketer = user_with(MARKETER)
    people = lead_store(rng, people=10, views=80)["people"]
    ana, ben, cy = (SalesRepFactory(team=team) for team in ("Banking", "Banking", "Retail"))
    owners = [ana, ana, ben, ben, cy, cy, None, ana, None, cy]
    with activity.committed():
        for person, rep in zip(people, owners, strict=True):
            Person.objects.filter(pk=person.pk).update(owner=rep.user if rep else None)
        send_after_commit(people_changed, person_ids=[person.pk for person in people])
    touches(rng, people)
    won(rng, people[0])
    won(rng, people[4], "40000.00")
    rollups.rollups_refresh()
    rollup.attribution_rebuild()

    def assert_agrees(values, *, some=True):
        filters = ReportFilters(values)
        for model, half_life in KEPT_ATTRIBUTION:
            half_life = half_life or 7
            found, summed = rollup.attribution_for(marketer, EVERYTHING, filters, model=model, half_life_days=half_life)
            journeys = journeys_for(marketer).filter(filters.q())
            live = attribution(journeys, EVERYTHING, model=model, half_life_days=half_life)
            assert summed, values
            assert summary(found) == summary(live), (values, model, half_life)
            assert bool(summary(live)["conversions"]) == some, values

    assert_agrees({"owner": ana.user_id})
    assert_agrees({"team": "Banking"})
    assert_agrees({"team": "Retail", "owner": cy.user_id})
    assert_agrees({"team": "Retail", "owner": ana.user_id}, some=False)
    assert_agrees({"team": "Nobody"}, some=False)
    # A rep moves team: their people's journeys carry the new team, and the rollup's owners follow.
    with activity.committed():
        ben.team = "Retail"
        ben.save()
    rollups.rollups_refresh()
    assert_agrees({"team": "Retail"})
    assert_agrees({"team": "Banking"})
    # Any other journey filter too: the rollup cannot say, the filtered people's paths can.
    filters = ReportFilters({"team": "Banking", "country": "DE"})
    assert rollup.from_rollup(marketer, EVERYTHING, model="linear", half_life_days=7, filters=filters) is None
    found, summed = rollup.attribution_for(marketer, EVERYTHING, filters, model="linear", half_life_days=7)
    live = attribution(journeys_for(marketer).filter(filters.q()), EVERYTHING, model="linear", half_life_days=7)
    assert summed and summary(found) == summary(live)


def days_in_table_order() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT day FROM reports_personcredit ORDER BY ctid")
        return [day for (day,) in cursor.fetchall()]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="CLUSTER is PostgreSQL's")
def test_the_rebuild_and_the_command_leave_the_peoples_credit_rows_in_day_order():
    rng = random.Random(31)
    people = lead_store(rng, people=8, views=80)["people"]
    touches(rng, people)
    rollups.rollups_refresh()
    rollup.attribution_rebuild()
    days = days_in_table_order()
    assert len(set(days)) > 3 and days == sorted(days)
    # The sweep writes the people it computes again at the end, each with all their days: here the one
    # with the earliest day, given a click before everything they did...
    earliest = Person.objects.get(pk=PersonCredit.objects.order_by("day").values_list("person_id", flat=True)[0])
    with activity.committed():
        InteractionFactory(
            person=earliest, type="email_click", occurred_at=earliest.created_at - timedelta(days=1),
            object_type="email", object_id="9", object_label="Early newsletter",
        )  # fmt: skip
        send_after_commit(people_changed, person_ids=[earliest.pk])
    rollups.rollups_refresh()
    assert days_in_table_order() != sorted(days_in_table_order())
    # ...and the command orders them again, the numbers unchanged.
    before = credit_rows()
    out = StringIO()
    call_command("reports_order_credit", stdout=out)
    assert "in day order" in out.getvalue()
    assert days_in_table_order() == sorted(days_in_table_order())
    assert credit_rows() == before == people_rows_summed()
