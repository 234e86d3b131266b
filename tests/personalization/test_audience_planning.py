"""The segment editor's audience at scale (issue 19, target 4): what was changed for the planner's sake
must not change who matches.

- Text rules still match whatever the case of the stored value and of the typed one (PostgreSQL plans
  them with statistics on the UPPER(...) expressions, migration leads 0018).
- On PostgreSQL the audience statement gets more work_mem for its hash tables, for that statement only:
  the connection's setting is as it was afterwards, and the answer is the one without it.
"""

import pytest
from django.db import connection
from django.utils import timezone

from leads.models import Interaction
from personalization.selectors import AUDIENCE_WORK_MEM, segment_audience
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner only")


def typed(fact, value, operator="is", negate=False, days=None):
    return {"fact": fact, "operator": operator, "value": value, "negate": negate, "days": days}


@pytest.fixture
def mixed_case_people():
    """Stored values in cases other than a marketer types them (imports and CRMs write what they like)."""
    banker = PersonFactory(
        country="De", stage="MQL", grade="a1", company=CompanyFactory(industry="Banking", employee_band="50-249")
    )
    retailer = PersonFactory(
        country="FR", stage="lead", grade="C3", company=CompanyFactory(industry="RETAIL", employee_band="1-49")
    )
    return banker, retailer


@pytest.mark.parametrize(
    "rule, who",
    [
        (typed("industry", "BANKING"), "banker"),
        (typed("industry", "retail"), "retailer"),
        (typed("industry", "bank", operator="contains"), "banker"),
        (typed("industry", "RET", operator="starts"), "retailer"),
        (typed("person_country", "DE"), "banker"),
        (typed("person_country", "fr"), "retailer"),
        (typed("stage", "mql"), "banker"),
        (typed("stage", "LEAD"), "retailer"),
        (typed("grade", "A1, b2"), "banker"),
        (typed("grade", "c3"), "retailer"),
        (typed("grade", "A1", negate=True), "retailer"),
        (typed("company_size", "50-249"), "banker"),
    ],
)
def test_text_rules_match_whatever_the_case(mixed_case_people, rule, who):
    banker, retailer = mixed_case_people
    audience = segment_audience([rule], "all")
    assert not audience.errors
    assert [person.pk for person in audience.sample] == [{"banker": banker, "retailer": retailer}[who].pk]
    assert audience.count == 1


def test_case_insensitive_rules_combine_with_behaviour_under_any_and_not(mixed_case_people):
    banker, retailer = mixed_case_people
    reader = PersonFactory(country="at", grade="B1")
    Interaction.objects.create(person=reader, type="content_download", object_id="5", occurred_at=timezone.now())
    downloaded = {"fact": "downloaded", "operator": "any", "value": "", "days": "30"}
    assert segment_audience([typed("industry", "banking"), downloaded], "any").count == 2
    not_downloaded = {**downloaded, "negate": True}
    everyone_else = segment_audience([not_downloaded, typed("grade", "c3", negate=True)], "all")
    assert {person.pk for person in everyone_else.sample} == {banker.pk}


@on_postgresql
def test_the_expression_statistics_exist_for_the_planner():
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'leads_%%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "leads_company_industry_ci",
        "leads_company_band_ci",
        "leads_person_country_ci",
        "leads_person_stage_ci",
        "leads_person_grade_ci",
        "leads_interaction_path",
    } <= names


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_audience_statement_has_more_memory_and_gives_it_back():
    """Outside a transaction (as the editor's audience view runs): the setting ends with the statement."""
    banker = PersonFactory(company=CompanyFactory(industry="banking"))
    Interaction.objects.create(person=banker, type="event_registered", object_id="7", occurred_at=timezone.now())
    PersonFactory(company=CompanyFactory(industry="retail"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        before = cursor.fetchone()[0]
    assert before != AUDIENCE_WORK_MEM, "the test proves nothing if the default is the audience's"
    rules = [typed("industry", "banking"), {"fact": "registered_event", "operator": "any", "value": "7"}]
    assert segment_audience(rules, "all").count == 1
    assert segment_audience([{**rules[1], "negate": True}], "all").count == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == before
