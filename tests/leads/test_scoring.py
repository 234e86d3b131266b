"""Fit x interest scoring: rules, caps, decay, grades, explanations; per-person and bulk agree."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from leads.models import Interaction, LeadStoreSettings, Person, ScoringRule
from leads.services import is_marketing_qualified, people_rescore_all, person_rescore, score_explanation
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def fit_rule(name, attribute, operator, value, points):
    return ScoringRule.objects.create(
        name=name, kind="fit", attribute=attribute, operator=operator, value=value, points=points
    )


def interest_rule(name, interaction_type, points, **extra):
    return ScoringRule.objects.create(
        name=name, kind="interest", interaction_type=interaction_type, points=points, **extra
    )


def interact(person, type_, days_ago, **extra):
    return Interaction.objects.create(person=person, type=type_, occurred_at=NOW - timedelta(days=days_ago), **extra)


@pytest.fixture
def default_fit_rules():
    return [
        fit_rule("Banking or insurance", "company__industry", "in", "Banking, Insurance", 20),
        fit_rule("250+ employees", "company__employee_count", "gte", "250", 15),
        fit_rule("Senior", "seniority", "in", "vp, c_level, director", 15),
        fit_rule("DACH", "country", "in", "de, at, ch", 10),
        fit_rule("Marketing role", "job_title", "contains", "marketing, growth", 5),
        fit_rule("Personal email", "is_personal_email", "is_true", "", -10),
        fit_rule("Competitor", "is_competitor", "is_true", "", -50),
    ]


def test_fit_rules_add_up(default_fit_rules):
    company = CompanyFactory(industry="banking", employee_count=1200)
    ideal = PersonFactory(company=company, seniority="vp", country="DE", job_title="VP Marketing")
    weak = PersonFactory(
        company=None, seniority="individual", country="US", job_title="Engineer", is_personal_email=True
    )
    spy = PersonFactory(company=company, seniority="vp", country="DE", job_title="VP Sales", is_competitor=True)
    for person in (ideal, weak, spy):
        person_rescore(person, now=NOW)
    assert (ideal.fit_score, weak.fit_score, spy.fit_score) == (65, -10, 10)


def test_interest_decays_by_half_life():
    rule = interest_rule("Whitepaper download", "content_download", 10, half_life_days=30)
    person = PersonFactory()
    interact(person, "content_download", 0)
    interact(person, "content_download", 30)
    interact(person, "content_download", 60)
    person_rescore(person, now=NOW)
    assert person.interest_score == pytest.approx(10 + 5 + 2.5, abs=0.01)
    lines = list(score_explanation(person))
    assert [round(line.points, 2) for line in lines] == [10.0, 5.0, 2.5]
    assert all(line.rule == rule and line.base_points == 10 for line in lines)


def test_cap_per_period_and_look_back():
    interest_rule("Page views", "page_view", 5, cap_points=10, cap_period_days=30, lookback_days=90)
    person = PersonFactory()
    for days_ago in (1, 2, 3, 4):  # four views in the current 30-day period: only two count
        interact(person, "page_view", days_ago)
    interact(person, "page_view", 40)  # previous period: counts
    interact(person, "page_view", 120)  # beyond the look-back: ignored
    person_rescore(person, now=NOW)
    assert person.interest_score == 15
    assert len(score_explanation(person)) == 3


def test_object_and_topic_filters():
    interest_rule("RevOps report", "content_download", 30, object_type="whitepaper", object_id="42")
    interest_rule("AI topic", "page_view", 3, topic="ai")
    person = PersonFactory()
    interact(person, "content_download", 1, object_type="whitepaper", object_id="42")
    interact(person, "content_download", 1, object_type="whitepaper", object_id="43")
    interact(person, "page_view", 1, object_topics=",ai,banking,")
    interact(person, "page_view", 1, object_topics=",aircraft,")  # not the topic "ai"
    person_rescore(person, now=NOW)
    assert person.interest_score == 33


def test_negative_interest_rule_for_unsubscribes():
    interest_rule("Unsubscribed", "unsubscribe", -40)
    interest_rule("Download", "content_download", 10)
    person = PersonFactory()
    interact(person, "content_download", 1)
    interact(person, "unsubscribe", 1)
    person_rescore(person, now=NOW)
    assert person.interest_score == -30


@pytest.mark.parametrize(
    "fit, interest, grade",
    [(65, 70, "A1"), (65, 35, "A2"), (45, 12, "B3"), (25, 0, "C4"), (0, 100, "D1"), (-20, -5, "D4")],
)
def test_grades(fit, interest, grade):
    fit_rule("Fixed fit", "country", "in", "DE", fit)
    interest_rule("Fixed interest", "contact_sales", int(interest))
    person = PersonFactory(country="DE")
    interact(person, "contact_sales", 0)
    person_rescore(person, now=NOW)
    assert person.grade == grade


def test_mql_condition_by_grade_or_total():
    settings = LeadStoreSettings.load()
    person = PersonFactory(grade="A2", fit_score=60, interest_score=35)
    assert is_marketing_qualified(person, settings)
    person.grade = "C3"
    assert not is_marketing_qualified(person, settings)
    settings.mql_min_total = 80
    person.fit_score, person.interest_score = 30, 55
    assert is_marketing_qualified(person, settings)


def test_the_explanation_adds_up_to_the_score(default_fit_rules):
    interest_rule("Download", "content_download", 10, half_life_days=14, cap_points=30)
    interest_rule("Event attended", "event_attended", 25, half_life_days=60)
    person = PersonFactory(company=CompanyFactory(industry="insurance", employee_count=300), seniority="director")
    for days_ago in (0, 3, 9, 27, 50):
        interact(person, "content_download", days_ago)
    interact(person, "event_attended", 20)
    person_rescore(person, now=NOW)
    lines = list(score_explanation(person))
    assert sum(line.points for line in lines if line.kind == "fit") == person.fit_score
    assert sum(line.points for line in lines if line.kind == "interest") == pytest.approx(person.interest_score, 0.01)
    assert {line.rule.name for line in lines} >= {"Banking or insurance", "Download", "Event attended"}


def test_per_person_and_bulk_paths_give_identical_results(default_fit_rules):
    rng = random.Random(7)
    interest_rule("Download", "content_download", 10, half_life_days=30, cap_points=30, cap_period_days=14)
    interest_rule("View", "page_view", 2, half_life_days=7, cap_points=10)
    interest_rule("Webinar", "event_attended", 25, half_life_days=45, lookback_days=120)
    interest_rule("Unsubscribed", "unsubscribe", -30)
    companies = [
        CompanyFactory(
            industry=rng.choice(["banking", "retail", "insurance"]), employee_count=rng.choice([20, 300, 5000])
        )
        for _ in range(5)
    ]
    people = []
    for _ in range(40):
        person = PersonFactory(
            company=rng.choice(companies + [None]),
            country=rng.choice(["DE", "US", "CH"]),
            seniority=rng.choice(["vp", "manager", "individual", ""]),
            is_personal_email=rng.random() < 0.2,
        )
        for _ in range(rng.randint(0, 25)):
            interact(
                person,
                rng.choice(["content_download", "page_view", "event_attended", "unsubscribe"]),
                rng.uniform(0, 200),
            )
        people.append(person)

    one_by_one = {}
    for person in people:
        person_rescore(person, now=NOW)
        one_by_one[person.pk] = (person.fit_score, person.interest_score, person.grade)
    Person.objects.update(fit_score=0, interest_score=0, grade="", scored_at=None)
    assert people_rescore_all(now=NOW)["people scored"] == len(people)
    for person in Person.objects.all():
        assert (person.fit_score, person.interest_score, person.grade) == one_by_one[person.pk]
        # The explanation (the same SQL, line by line) adds up to what the bulk statement stored.
        lines = score_explanation(person)
        assert sum(line.points for line in lines if line.kind == "fit") == person.fit_score
        assert round(sum(line.points for line in lines if line.kind == "interest"), 2) == pytest.approx(
            person.interest_score, abs=0.011
        )
    assert len({values[2] for values in one_by_one.values()}) > 3  # the data really spans grades


def test_rescore_command_reports_progress(default_fit_rules):
    PersonFactory.create_batch(3, country="DE", job_title="Engineer")
    out = __import__("io").StringIO()
    call_command("rescore", stdout=out)
    assert "Done: 3 people rescored, 0 became MQL." in out.getvalue()
    assert set(Person.objects.values_list("fit_score", flat=True)) == {10}


def test_capture_rescores_the_person():
    from leads.services import lead_capture

    interest_rule("Whitepaper download", "content_download", 10)
    lead = lead_capture(
        source="form",
        payload={"email": "jane@meridian-bank.de"},
        origin_type="content",
        interaction_type="content_download",
    )
    assert lead.person.interest_score == 10 and lead.person.grade == "D3"


@pytest.mark.parametrize(
    "fields, error_field",
    [
        ({"kind": "fit", "operator": "in", "value": "x"}, "attribute"),
        ({"kind": "fit", "attribute": "company__employee_count", "operator": "gte", "value": "many"}, "value"),
        ({"kind": "fit", "attribute": "country", "operator": "in", "value": " , "}, "value"),
        ({"kind": "interest"}, "interaction_type"),
        ({"kind": "interest", "interaction_type": "page_view", "half_life_days": 0}, "half_life_days"),
        ({"kind": "interest", "interaction_type": "page_view", "cap_points": 1}, "cap_points"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(fields, error_field):
    rule = ScoringRule(name="Bad", points=5, **fields)
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert error_field in error.value.message_dict
