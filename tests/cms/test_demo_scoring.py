"""The demo's scoring rules and its forms agree: a company size given as a band (what the forms ask)
scores like one known by its head count. And a demo loaded before keeps nothing that can't work."""

import pytest
from django.core.cache import cache

from cms.demo import content
from cms.demo.leads import FIT_RULES, SIZE_RULES_BY_COUNT, DemoLeadLoader
from cms.demo.loader import DemoLoader, LoadReport
from leads.models import Company, Person, ScoringRule
from leads.services import lead_capture, score_explanation
from tests.forms.conftest import submit

pytestmark = pytest.mark.django_db

SIZE_POINTS = {"Mid-market and up", "Enterprise"}


def fit_lines(person) -> set[str]:
    person.refresh_from_db()
    return {line.label for line in score_explanation(person) if line.kind == "fit"} & SIZE_POINTS


@pytest.fixture
def demo_rules(db):
    DemoLeadLoader(LoadReport()).settings_and_rules()


def test_a_visitor_who_picks_a_band_on_the_demo_form_gets_the_size_points(client, settings, home_page, demo_rules):
    settings.FORMS_MIN_FILL_SECONDS = 0
    cache.clear()  # the forms' rate-limit counters
    contact_sales = DemoLoader().lead_form(
        home_page, "contact-sales", purpose="contact_sales", spec=content.CONTACT_SALES, submit_label="Send"
    )

    response = submit(
        client,
        contact_sales.url,
        {
            "work_email": "jana.novak@kestrel-mfg.com",
            "first_name": "Jana",
            "last_name": "Novák",
            "company": "Kestrel Manufacturing",
            "country": "DE",
            "team_size": "1000-4999",
            "how_can_we_help": "A demo for our sales team, please.",
        },
    )

    assert response.status_code == 200 and "solutions engineer will reply" in response.content.decode()
    person = Person.objects.get(email="jana.novak@kestrel-mfg.com")
    assert person.company.employee_band == "1000-4999" and person.company.employee_count is None
    assert fit_lines(person) == {"Mid-market and up"}


@pytest.mark.parametrize(
    "employees, points",
    [
        ({"employees": "1800"}, {"Mid-market and up"}),  # a head count (imports, webhooks) gets the band of its count
        ({"employees": "12,000"}, {"Mid-market and up", "Enterprise"}),
        ({"employee_band": "5000+"}, {"Mid-market and up", "Enterprise"}),
        ({"employee_band": "50-249"}, set()),
    ],
)
def test_bands_and_counts_score_alike(demo_rules, employees, points):
    lead = lead_capture(source="import", payload={"email": "omar@parcelo.nl", "company": "Parcelo", **employees})
    assert fit_lines(Person.objects.get(pk=lead.person_id)) == points


def test_the_demo_companies_have_their_bands():
    DemoLeadLoader(LoadReport()).companies()
    assert not Company.objects.filter(employee_band="").exists()
    assert Company.objects.get(name="Meridian Bank").employee_band == "5000+"


def test_an_earlier_demos_size_rules_score_the_band_and_its_companies_get_bands():
    """A demo loaded before: the size rules by head count, companies with a count and no band."""
    ScoringRule.objects.bulk_create(
        [
            ScoringRule(name=n, kind="fit", attribute=a, operator=o, value=v, points=p)
            for (n, a, o, v), p in zip(SIZE_RULES_BY_COUNT, (15, 10), strict=True)
        ]
    )
    edited = ScoringRule.objects.create(
        name="Enterprise", kind="fit", attribute="company__employee_count", operator="gte", value="10000", points=5
    )  # a marketer's own: left alone
    company = Company.objects.create(
        name="Kestrel Manufacturing", name_key="kestrel manufacturing", employee_count=1800
    )

    DemoLeadLoader(LoadReport()).settings_and_rules()

    by_band = {(n, a, o, v) for n, a, o, v, _ in FIT_RULES}
    assert {(r.name, r.attribute, r.operator, r.value) for r in ScoringRule.objects.exclude(pk=edited.pk)} == {
        rule for rule in by_band if rule[0] in SIZE_POINTS
    }
    edited.refresh_from_db()
    assert (edited.attribute, edited.value) == ("company__employee_count", "10000")
    company.refresh_from_db()
    assert company.employee_band == "1000-4999"


def test_an_earlier_demos_thank_you_text_is_replaced_unless_edited(home_page):
    loader = DemoLoader()
    spec = content.WHITEPAPER_GATE
    gate = loader.lead_form(home_page, spec["slug"], purpose="gate", spec=spec, submit_label="Get the PDF")
    gate.thank_you_text = spec["earlier_thank_you"]
    gate.save_revision().publish()

    gate = loader.lead_form(home_page, spec["slug"], purpose="gate", spec=spec, submit_label="Get the PDF")

    assert gate.thank_you_text == spec["thank_you"] and "emailed" not in gate.thank_you_text
    gate.thank_you_text = "<p>Our own words.</p>"
    gate.save_revision().publish()
    assert (
        loader.lead_form(home_page, spec["slug"], purpose="gate", spec=spec, submit_label="Get the PDF").thank_you_text
        == "<p>Our own words.</p>"
    )
