"""Every rule type: parsing (errors name the field), evaluation in memory, and the same answer in SQL
for known people (the audience count in the segment editor)."""

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.behaviour_conditions import person_behaviour
from leads.models import Interaction
from leads.selectors import person_facts
from personalization.models import Visitor
from personalization.rule_queries import people_matching
from personalization.rules import FACTS, compile_rule, parse_rule
from personalization.services import STATE_FIELDS, _state_from_database
from personalization.state import Facts
from tests.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 12, 1, 10, 30))  # a Tuesday, 10:30 in the site's time zone (UTC)


def visit(**facts):
    return facts


@pytest.fixture
def people():
    """Three known people, each with a browser, different in every fact."""
    ada = PersonFactory(
        email="ada@bank.example",
        country="DE",
        stage="mql",
        grade="A1",
        fit_score=70,
        interest_score=65,
        company=CompanyFactory(industry="banking", employee_band="1000-4999"),
    )
    bob = PersonFactory(
        email="bob@shop.example",
        country="FR",
        stage="lead",
        grade="C3",
        fit_score=20,
        interest_score=12,
        company=CompanyFactory(industry="retail", employee_band="1-49"),
    )
    cem = PersonFactory(
        email="cem@care.example",
        country="TR",
        stage="customer",
        grade="B2",
        fit_score=45,
        interest_score=40,
        company=None,
    )
    Interaction.objects.create(
        type="content_download", person=ada, object_type="content", object_id="11", occurred_at=NOW
    )
    Interaction.objects.create(type="event_registered", person=cem, object_type="event", object_id="7", occurred_at=NOW)
    visits = {
        ada: visit(
            last_utm_campaign="banking-q4",
            last_utm_source="linkedin",
            last_utm_medium="cpc",
            first_utm_campaign="brand",
            first_utm_source="google",
            last_referrer_domain="linkedin.com",
            landing_page="/whitepapers/ai/",
            device_type="mobile",
            os="iOS",
            browser="Mobile Safari",
            country="DE",
            visit_count=3,
            page_views=9,
            topics_viewed={"ai-automation": 2},
            industries_viewed={"banking": 3},
            pages_viewed={"11": 1, "12": 2},
        ),
        bob: visit(
            last_utm_campaign="retail-spring",
            last_utm_source="newsletter",
            last_utm_medium="email",
            first_utm_campaign="retail-spring",
            first_utm_source="newsletter",
            last_referrer_domain="google.com",
            landing_page="/",
            device_type="desktop",
            os="Windows",
            browser="Chrome",
            country="FR",
            visit_count=1,
            page_views=1,
            topics_viewed={},
            industries_viewed={"retail": 1},
            pages_viewed={"3": 1},
        ),
        cem: visit(
            last_referrer_domain="bing.com",
            landing_page="/customers/",
            device_type="tablet",
            os="Android",
            browser="Chrome Mobile",
            country="TR",
            visit_count=2,
            page_views=2,
            topics_viewed={"data-governance": 1},
            industries_viewed={"healthcare": 1},
            pages_viewed={"20": 1},
        ),
    }
    for number, (person, facts) in enumerate(visits.items()):
        Visitor.objects.create(
            visitor_id=f"v_test{number:020d}", person=person, first_seen_at=NOW, last_seen_at=NOW, **facts
        )
    return {"ada": ada, "bob": bob, "cem": cem}


def facts_of(person):
    """The facts personalisation sees for this person's browser, read as a request would read them."""
    state = _state_from_database(Visitor.objects.get(person=person).visitor_id, NOW)
    state.person = person_facts(person.pk)
    state.person_events = person_behaviour(person.pk, now=NOW)
    return Facts(state)


CASES = [
    # fact, operator, value, who matches
    ("utm_campaign", "is", "banking-q4, insurance-q4", {"ada"}),
    ("utm_campaign", "contains", "spring", {"bob"}),
    ("utm_campaign", "starts", "BANK", {"ada"}),
    ("utm_source", "is", "newsletter", {"bob"}),
    ("utm_medium", "is", "cpc", {"ada"}),
    ("first_utm_campaign", "is", "brand", {"ada"}),
    ("first_utm_source", "is", "newsletter", {"bob"}),
    ("referrer_domain", "is", "linkedin.com", {"ada"}),
    ("landing_page", "starts", "/whitepapers/", {"ada"}),
    ("device", "is", "mobile", {"ada"}),
    ("os", "is", "windows", {"bob"}),
    ("browser", "contains", "safari", {"ada"}),
    ("country", "is", "FR", {"bob"}),
    ("visit_count", "gte", "2", {"ada", "cem"}),
    ("visit_count", "lte", "1", {"bob"}),
    ("page_views", "gte", "5", {"ada"}),
    ("viewed_topic", "any", "ai-automation, abm", {"ada"}),
    ("viewed_topic", "any", "", {"ada", "cem"}),
    ("viewed_industry", "any", "retail", {"bob"}),
    ("viewed_page", "any", "3", {"bob"}),
    ("known", "true", "", {"ada", "bob", "cem"}),
    ("industry", "is", "banking", {"ada"}),
    ("company_size", "is", "1-49", {"bob"}),
    ("person_country", "is", "tr", {"cem"}),
    ("stage", "is", "customer, sql", {"cem"}),
    ("grade", "is", "A1,A2,B2", {"ada", "cem"}),
    ("score", "gte", "80", {"ada", "cem"}),
    ("fit_score", "lte", "20", {"bob"}),
    ("interest_score", "gte", "40", {"ada", "cem"}),
    ("downloaded", "any", "11", {"ada"}),
    ("downloaded", "any", "", {"ada"}),
    ("registered_event", "any", "7", {"cem"}),
    ("time_of_day", "between", "9-17", {"ada", "bob", "cem"}),
    ("time_of_day", "between", "22-6", set()),
    ("day_of_week", "is", "tue,wed", {"ada", "bob", "cem"}),
    ("day_of_week", "is", "sat,sun", set()),
    ("date_range", "between", "2026-11-01..2026-12-31", {"ada", "bob", "cem"}),
    ("date_range", "between", "..2026-11-30", set()),
]


def test_every_fact_has_a_case():
    # Behaviour facts (with times and days) have their cases in test_behaviour_rules.
    assert {fact.code for fact in FACTS if fact.group != "behaviour"} <= {case[0] for case in CASES}


@pytest.mark.parametrize(("fact", "operator", "value", "expected"), CASES)
@pytest.mark.parametrize("negate", [False, True])
def test_rule_in_memory_and_in_sql_agree(people, fact, operator, value, expected, negate):
    rule = parse_rule(fact, operator, value, negate)
    predicate = compile_rule(rule)
    everyone = set(people)
    wanted = everyone - expected if negate else expected
    in_memory = {name for name, person in people.items() if predicate(facts_of(person), NOW)}
    in_sql = set(people_matching([rule], "all", now=NOW).values_list("email", flat=True))
    assert in_memory == wanted
    assert in_sql == {people[name].email for name in wanted}


def test_all_any_and_not_combine(people):
    mobile = parse_rule("device", "is", "mobile")
    retail = parse_rule("industry", "is", "retail")
    not_customer = parse_rule("stage", "is", "customer", negate=True)
    emails = {name: p.email for name, p in people.items()}

    def sql(rules, match):
        return set(people_matching(rules, match, now=NOW).values_list("email", flat=True))

    assert sql([mobile, retail], "any") == {emails["ada"], emails["bob"]}
    assert sql([mobile, retail], "all") == set()
    assert sql([not_customer, retail], "all") == {emails["bob"]}
    assert sql([], "all") == set()  # a segment without rules matches nobody


def test_anonymous_visitors_have_no_person_facts():
    from personalization.state import VisitorState

    facts = Facts(VisitorState(visitor_id="v_anonymous000", first_seen_at=NOW, last_seen_at=NOW))
    for fact, operator, value in [
        ("known", "true", ""),
        ("grade", "is", "A1"),
        ("score", "gte", "0"),
        ("industry", "contains", "a"),
        ("downloaded", "any", ""),
    ]:
        assert compile_rule(parse_rule(fact, operator, value))(facts, NOW) is False
    assert compile_rule(parse_rule("known", "true", "", negate=True))(facts, NOW) is True


@pytest.mark.parametrize(
    ("fact", "operator", "value", "field", "message"),
    [
        ("nonsense", "is", "x", "fact", "Choose a fact"),
        ("device", "gte", "2", "operator", "can be tested with: is one of, contains, starts with"),
        ("visit_count", "gte", "two", "value", "“two” is not a number"),
        ("visit_count", "gte", "", "value", "Enter one number"),
        ("visit_count", "gte", "1,2", "value", "Enter one number"),
        ("score", "lte", "nan", "value", "“nan” is not a number"),
        ("score", "gte", "inf", "value", "“inf” is not a number"),
        ("utm_campaign", "is", ",".join(f"c{n}" for n in range(101)), "value", "At most 100 values"),
        ("utm_campaign", "is", " , ", "value", "Enter at least one value"),
        ("time_of_day", "between", "25-3", "value", "Enter hours as from-to"),
        ("time_of_day", "between", "9", "value", "Enter hours as from-to"),
        ("time_of_day", "between", "9-9", "value", "Enter hours as from-to"),
        ("day_of_week", "is", "monday,funday", "value", "Enter days such as mon,tue,wed"),
        ("date_range", "between", "2026-12-31..2026-01-01", "value", "YYYY-MM-DD..YYYY-MM-DD"),
        ("date_range", "between", "2026-02-30..", "value", "YYYY-MM-DD..YYYY-MM-DD"),
        ("date_range", "between", "yesterday", "value", "YYYY-MM-DD..YYYY-MM-DD"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(fact, operator, value, field, message):
    with pytest.raises(ValidationError) as error:
        parse_rule(fact, operator, value)
    assert message in " ".join(error.value.message_dict[field])


def test_state_fields_match_the_visitor_model():
    model_fields = {f.name for f in Visitor._meta.concrete_fields} - {"id", "visitor_id", "person"}
    assert set(STATE_FIELDS) == model_fields
