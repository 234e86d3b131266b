"""The dashboard's top content from the content rollup (reports.rollups.content, counted by PostgreSQL
triggers) says what the interactions say, for everybody and for each owner, through new captures, a
merge, an owner changed, a person turned into a test person and an erasure."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reports import rollups
from reports.dashboard import top_content, top_content_from_interactions
from reports.models import ContentDay
from reports.periods import Period
from tests.factories import reports as activity
from tests.factories.leads import SalesRepFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the content rollup is PostgreSQL's"),
]


def assert_top_content_agrees(users) -> list[dict]:
    today = timezone.localdate()
    for period in (Period(today - timedelta(days=6), today), Period(today - timedelta(days=364), today)):
        for user in users:
            assert top_content(user, period) == top_content_from_interactions(user, period), (user, period)
    return top_content(users[0], Period(today - timedelta(days=364), today))


def test_top_content_from_the_rollup_is_what_the_interactions_say_through_merges_owners_and_exclusions():
    rng = random.Random(21)
    everybody = UserFactory(is_superuser=True)
    reps = [SalesRepFactory().user for _ in range(2)]
    people = []
    for n in range(14):
        person = activity.capture(rng, f"buyer{n}@bank{n % 4}.de")
        for _ in range(rng.randint(0, 2)):  # the same person again: another download or fill, another day
            activity.capture(rng, person.email)
        person.refresh_from_db()
        person.owner = rng.choice([*reps, None])
        with activity.committed():
            person.save()
        people.append(person)
    rollups.rollups_refresh()
    before = assert_top_content_agrees([everybody, *reps])
    assert before and ContentDay.objects.exists()
    assert top_content(reps[0], Period(timezone.localdate() - timedelta(days=364), timezone.localdate())) != before

    activity.merge(people[0], people[1])
    people[2].refresh_from_db()
    people[2].owner = reps[1] if people[2].owner != reps[1] else reps[0]
    people[3].refresh_from_db()
    people[3].is_test = True  # counted nowhere from now on
    for person in people[2:4]:
        with activity.committed():
            person.save()
    with activity.committed():
        people[4].delete()
    for person in people[5:9]:
        activity.capture(rng, person.email, at=timezone.now() - timedelta(days=rng.randint(0, 3)))
    rollups.rollups_refresh()
    after = assert_top_content_agrees([everybody, *reps])
    assert after != before
