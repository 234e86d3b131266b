"""Issue 16's "Done when", in a real browser: a visitor reads three pages anonymously and fills in a
whitepaper's gate; two hours later they come back and read the pricing page twice. The person page
shows all five page views in two visits, the score explanation shows the page-view points, and the
pricing views alone made the person an MQL, as the rules say they should. Screenshots go to
/tmp/behaviour-journey/.

The first visit happens two hours ago on a clock every part of the product reads (freezegun, ticking):
personalisation then counts the return as a second visit because more than 30 minutes passed, not
because the test edited its state."""

import datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import Site

from leads import behaviour
from leads.models import Interaction, LeadStoreSettings, Person, ScoringRule
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories import LeadFormPageFactory, StandardPageFactory, TopicFactory, WhitepaperPageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/behaviour-journey")
PASSWORD = "correct-horse-battery-staple"
EMAIL = "jana.novak@meridian-bank.de"
TIMEOUT_MS = 8000


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Visitor states, the page output cache and settings live in this process's cache, which the live
    server shares."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(home_page, whitepaper_index, live_server, settings):
    settings.FORMS_MIN_FILL_SECONDS = 0
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()
    gate = LeadFormPageFactory(parent=home_page, slug="gate", submit_label="Get the PDF")
    whitepaper = WhitepaperPageFactory(
        parent=whitepaper_index,
        title="RevOps benchmark 2026",
        slug="revops-benchmark",
        gate_form=gate,
        topics=[TopicFactory(slug="revops")],
    )
    pricing = StandardPageFactory(parent=home_page, title="Pricing", slug="pricing")
    return {
        "home": live_server.url + "/",
        "whitepapers": live_server.url + whitepaper_index.url,
        "whitepaper": live_server.url + whitepaper.url,
        "pricing": live_server.url + pricing.url,
    }


@pytest.fixture
def rules():
    """Fit A for a German, 2 points a page, 12 more for the pricing page, MQL at A1 (interest 30):
    the first visit (three pages: 6 points) and its form fill (no rule) leave the person at A3;
    one pricing view (20) makes A2; the second (34) makes A1."""
    ScoringRule.objects.create(name="Germany", kind="fit", attribute="country", operator="in", value="DE", points=60)
    ScoringRule.objects.create(name="Page view", kind="interest", interaction_type="page_view", points=2)
    ScoringRule.objects.create(
        name="Pricing page", kind="interest", interaction_type="page_view", object_id="pricing", points=12
    )
    settings = LeadStoreSettings.load()
    settings.interest_1_min, settings.interest_2_min, settings.interest_3_min = 30, 20, 5
    settings.mql_grades, settings.mql_min_total = "A1", None
    settings.save()


def test_anonymous_reading_a_gate_and_two_pricing_views_make_an_mql_with_two_visits(
    browser, site, rules, live_server, django_user_model
):
    SHOTS.mkdir(exist_ok=True)
    visitor = browser.new_context(extra_http_headers={"CF-IPCountry": "DE"}, viewport={"width": 1280, "height": 900})
    page = visitor.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    then = timezone.now() - datetime.timedelta(hours=2)

    # Two hours ago: three pages, anonymously, then the whitepaper's gate.
    with freeze_time(then, tick=True, real_asyncio=True):
        page.goto(site["home"] + "?utm_source=linkedin&utm_medium=paid&utm_campaign=q3-revops")
        page.goto(site["whitepapers"])
        page.goto(site["whitepaper"])
        behaviour.page_views_flush()  # what a worker would have written meanwhile: anonymous views
        assert Interaction.objects.filter(type="page_view", person=None).count() == 3
        page.get_by_label("Work email").fill(EMAIL)
        page.get_by_label("First name").fill("Jana")
        page.get_by_label("Last name").fill("Novák")
        page.get_by_label("Company").fill("Meridian Bank")
        page.get_by_label("Country").select_option("DE")
        page.get_by_role("button", name="Get the PDF").click()
        page.get_by_role("link", name="Download the PDF").wait_for()
        page.screenshot(path=str(SHOTS / "1-gate-filled.png"), full_page=True)
        behaviour.page_views_flush()

    person = Person.objects.get(email=EMAIL)
    assert Interaction.objects.filter(type="page_view", person=person).count() == 3  # the anonymous story joined
    assert (person.stage, person.grade, person.interest_score) == ("lead", "A3", 6)  # no MQL from the first visit

    # Now: back from a newsletter, the pricing page twice.
    page.goto(site["pricing"], referer="https://news.example/issue-12")
    page.reload()
    page.screenshot(path=str(SHOTS / "2-pricing.png"), full_page=True)
    behaviour.page_views_flush()

    person.refresh_from_db()
    views = list(person.interactions.filter(type="page_view").order_by("occurred_at"))
    paths = ["/", "/whitepapers/", "/whitepapers/revops-benchmark/", "/pricing/", "/pricing/"]
    assert [view.properties["path"] for view in views] == paths
    assert [view.properties["visit"] for view in views] == [1, 1, 1, 2, 2]
    assert all(view.occurred_at < then + datetime.timedelta(minutes=5) for view in views[:3])  # original times
    assert (person.stage, person.grade, person.interest_score) == ("mql", "A1", 34)
    mql = person.stage_transitions.get(to_stage="mql")
    assert mql.reason == "Grade A1 (fit 60, interest 34) meets the MQL condition"
    assert mql.occurred_at > views[-1].occurred_at  # after the second pricing view, not before
    assert person.owner_id is None or person.crm_deliveries.filter(event="mql").count() <= 1

    # A marketer opens the person page.
    django_user_model.objects.create_superuser("ada", "ada@signalpage.test", PASSWORD, first_name="Ada")
    admin = browser.new_context(viewport={"width": 1400, "height": 1000})
    staff = admin.new_page()
    staff.set_default_timeout(TIMEOUT_MS)
    staff.goto(f"{live_server.url}/admin/login/?next=/admin/leads/person/inspect/{person.pk}/")
    staff.get_by_label("Username").fill("ada")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url(f"{live_server.url}/admin/leads/person/inspect/{person.pk}/")

    visits = staff.locator("li.sp-timeline__visit")
    assert visits.count() == 2
    back, first = visits.nth(0), visits.nth(1)
    assert back.get_attribute("data-visit-pages") == "2" and first.get_attribute("data-visit-pages") == "3"
    assert back.locator("[data-visit-entry]").inner_text() == "Pricing"
    assert back.locator("[data-visit-source]").inner_text() == "from news.example"
    assert first.locator("[data-visit-entry]").inner_text() == "Home"
    assert first.locator("[data-visit-source]").inner_text() == "from linkedin / paid / q3-revops"
    assert first.locator("[data-visit-duration]").inner_text() == "under a minute"
    pages = first.locator("details li")
    assert not pages.first.is_visible()  # folded until asked for
    first.locator("summary").click()
    assert pages.count() == 3 and "RevOps benchmark 2026" in pages.nth(2).inner_text()
    # What the person did between the visits, in its place: the gate's download, after the first visit's pages.
    timeline_types = staff.locator("li.sp-timeline__item").evaluate_all("items => items.map(i => i.dataset.type)")
    assert timeline_types == ["page_view", "content_download", "page_view"]

    score = staff.locator("section[aria-labelledby='sp-score']").inner_text()
    assert "Page view" in score and "Pricing page" in score
    lines = [
        (row.locator("td").nth(1).inner_text(), row.locator("td").nth(4).inner_text())
        for row in staff.locator("tr[data-score-line]").all()
    ]  # one line per interaction a rule counted
    assert sorted(lines) == sorted([("Germany", "60"), *[("Pricing page", "12")] * 2, *[("Page view", "2")] * 5])
    stages = staff.locator("section[aria-labelledby='sp-stages']").inner_text()
    assert "Marketing qualified (MQL)" in stages and "Grade A1 (fit 60, interest 34)" in stages
    staff.locator("#timeline").scroll_into_view_if_needed()
    staff.screenshot(path=str(SHOTS / "3-person-page.png"), full_page=True)
    first.screenshot(path=str(SHOTS / "4-first-visit-unfolded.png"))
    # Closed before the live server stops, so no request thread outlives it.
    admin.close()
    visitor.close()
