"""The nightly rescore of everybody writes only the people whose scores moved (issue 19: each row written
is a new row version in a table with many indexes), and the scores it gives are the per-person path's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Interaction, Person, ScoringRule
from leads.services import people_rescore_all, person_rescore, score_explanation
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def test_a_bulk_rescore_leaves_unmoved_scores_alone_and_writes_the_moved_ones():
    ScoringRule.objects.create(
        name="Banking", kind="fit", attribute="company__industry", operator="in", value="banking", points=20
    )
    ScoringRule.objects.create(
        name="Download", kind="interest", interaction_type="content_download", points=10, half_life_days=30
    )
    banker = PersonFactory(company=CompanyFactory(industry="banking"))
    reader = PersonFactory()
    still = PersonFactory()
    Interaction.objects.create(person=reader, type="content_download", occurred_at=NOW - timedelta(days=3))

    people_rescore_all(now=NOW)
    first = dict(Person.objects.values_list("pk", "scored_at"))
    assert first[banker.pk] == NOW and first[reader.pk] == NOW and first[still.pk] == NOW

    # A day later: the download's points faded (the reader moves); nothing about the others changed.
    later = NOW + timedelta(days=1)
    result = people_rescore_all(now=later)
    assert result["people scored"] == 3
    after = {p.pk: p for p in Person.objects.all()}
    assert after[reader.pk].scored_at == later
    assert after[banker.pk].scored_at == NOW and after[still.pk].scored_at == NOW
    assert after[banker.pk].fit_score == 20 and after[banker.pk].grade

    # What the bulk path stored is what scoring one person gives at that moment, and explanations add up.
    for person in after.values():
        stored = (person.fit_score, person.interest_score, person.grade)
        rescored = person_rescore(Person.objects.get(pk=person.pk), now=person.scored_at)
        assert (rescored.fit_score, rescored.interest_score, rescored.grade) == stored
        lines = score_explanation(rescored)
        assert round(sum(line.points for line in lines if line.kind == "interest"), 2) == pytest.approx(
            rescored.interest_score, abs=0.01
        )


def test_a_rule_change_moves_everybody_it_touches():
    rule = ScoringRule.objects.create(
        name="DACH", kind="fit", attribute="country", operator="in", value="de", points=10
    )
    germans = [PersonFactory(country="DE") for _ in range(3)]
    other = PersonFactory(country="FR")
    people_rescore_all(now=NOW)
    rule.points = 25
    rule.save()
    people_rescore_all(now=NOW + timedelta(hours=1))
    scores = dict(Person.objects.values_list("pk", "fit_score"))
    assert [scores[p.pk] for p in germans] == [25, 25, 25] and scores[other.pk] == 0


def test_the_bulk_rescore_reports_its_phases_with_what_each_did():
    """What `manage.py rescore` prints: on PostgreSQL the scores computed, the rows written (only the moved
    ones) and the refreshed statistics when many moved; everywhere the people scored and the new MQLs."""
    from django.db import connection

    ScoringRule.objects.create(name="Download", kind="interest", interaction_type="content_download", points=10)
    reader, _still = PersonFactory(), PersonFactory()
    Interaction.objects.create(person=reader, type="content_download", occurred_at=NOW - timedelta(days=1))
    steps = []
    people_rescore_all(now=NOW, progress=lambda step, count, elapsed: steps.append((step, count)))
    if connection.vendor == "postgresql":
        assert steps[:2] == [("scores computed", 2), ("changed scores written", 2)]  # grades were empty
    assert ("people scored", 2) in steps and steps[-1][0] == "became MQL"
    steps.clear()
    people_rescore_all(now=NOW, progress=lambda step, count, elapsed: steps.append((step, count)))
    if connection.vendor == "postgresql":
        assert ("changed scores written", 0) in steps
