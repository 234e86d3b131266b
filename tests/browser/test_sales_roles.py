"""A sales rep and a sales manager walk their main screens in a real browser, and what issue 15 fixed is
checked on each:

- the people list offers what reps filter by first (stage, grade, owner, source), not Stage as the 8th
  of 16 filters below the fold;
- scores are whole points everywhere (the person page showed two decimals, the list integers);
- a whitepaper's lead list leaves test and competitor people out, with a visible way to include them;
- exports name the industry ("Banking & Financial Services", not `banking`) and the export page speaks
  English ("everybody you may see", not "every people");
- the companies list filters by source, as docs/sales.md says;
- sales roles register someone for an event and get their personal invite link.

Screenshots go to /tmp/sales-roles-shots/."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from cms.models import Industry
from events.models import Registration
from leads.models import Lead, SalesRep
from sales.roles import SALES_MANAGER, SALES_REP, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories.events import EventFactory
from tests.factories.leads import CompanyFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/sales-roles-shots")
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1400, "height": 1000}
WHITEPAPER = "State of RevOps 2026"


def convert(person, days_ago):
    Lead.objects.create(
        source="form",
        origin_type="content",
        origin_id="42",
        origin_label=WHITEPAPER,
        raw_payload="{}",
        person=person,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def team(django_user_model, home_page):
    """Inbound: rep Rita and manager Mona. Rita owns three people who took the whitepaper, one of them test
    data and one a competitor; Ravi (also Inbound) owns one at another company."""
    roles_ensure()
    Industry.objects.create(name="Banking & Financial Services", slug="banking")
    users = {}
    for username, role in (("rita", SALES_REP), ("ravi", SALES_REP), ("mona", SALES_MANAGER)):
        user = django_user_model.objects.create_user(
            username, f"{username}@signalpage.test", PASSWORD, first_name=username.capitalize()
        )
        user.groups.add(Group.objects.get(name=role))
        SalesRep.objects.create(user=user, team="Inbound", weight=0 if role == SALES_MANAGER else 1)
        users[username] = user
    bank = CompanyFactory(name="Meridian Bank", industry="banking")
    clinic = CompanyFactory(name="Atlas Health", industry="healthcare")
    people = {
        "real": PersonFactory(
            first_name="Rhea",
            last_name="Real",
            email="rhea@meridian-bank.example",
            company=bank,
            owner=users["rita"],
            stage="mql",
            grade="A1",
            fit_score=42,
            interest_score=17.35,
        ),
        "test": PersonFactory(
            first_name="Tess",
            last_name="Testdata",
            email="tess@meridian-bank.example",
            company=bank,
            owner=users["rita"],
            is_test=True,
        ),
        "rival": PersonFactory(
            first_name="Rex",
            last_name="Rival",
            email="rex@rival.example",
            company=bank,
            owner=users["rita"],
            is_competitor=True,
        ),
        "ravis": PersonFactory(
            first_name="Ravis",
            last_name="Lead",
            email="ravis@atlas-health.example",
            company=clinic,
            owner=users["ravi"],
            stage="mql",
        ),
    }
    for days_ago, key in enumerate(("real", "test", "rival")):
        convert(people[key], days_ago + 1)
    event = EventFactory(
        title="Revenue Summit",
        starts_at=timezone.now() + timedelta(days=40),
        ends_at=timezone.now() + timedelta(days=40, hours=8),
    )
    return {"users": users, "people": people, "bank": bank, "clinic": clinic, "event": event}


def log_in(browser, base_url, username):
    page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    page.set_default_timeout(8000)
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/admin/")
    return page


def listed_names(page) -> str:
    return page.locator("main table").inner_text()


def check_people_list(page, base_url, people):
    page.goto(f"{base_url}/admin/leads/person/")
    names = listed_names(page)
    assert "Rhea Real" in names and "Ravis Lead" not in names  # a rep sees her own people only
    # What reps filter by comes first in the filter drilldown.
    page.get_by_role("button", name="Show filters").click()
    drilldown = page.locator("#filters-drilldown")
    drilldown.wait_for(state="visible")
    choices = [text.strip() for text in drilldown.locator("[aria-controls]").all_inner_texts() if text.strip()]
    assert choices[:4] == ["Stage", "Grade", "Owner", "Source (whitepaper, event or form)"], choices
    page.screenshot(path=str(SHOTS / "rep-people-filters.png"))
    page.keyboard.press("Escape")
    # Scores are whole points in the list ...
    row = page.locator("tr", has_text="Rhea Real")
    assert "59" in row.inner_text() and "59.35" not in row.inner_text()


def check_person_page(page, base_url, person):
    page.goto(f"{base_url}/admin/leads/person/inspect/{person.pk}/")
    facts = {key: page.locator(f"[data-fact={key}]") for key in ("fit", "interest", "score")}
    # ... and on the person page (they used to have two decimals there).
    assert facts["fit"].inner_text().strip() == "42"
    assert facts["interest"].inner_text().strip() == "17"
    assert facts["score"].inner_text().strip() == "59"
    page.screenshot(path=str(SHOTS / "rep-person.png"))


def check_lead_list(page, base_url):
    page.goto(f"{base_url}/admin/sales/lead-lists/")
    row = page.locator("tr", has_text=WHITEPAPER)
    headers = [text.strip() for text in page.locator("main table thead th").all_inner_texts()]
    cells = [text.strip() for text in row.locator("td, th").all_inner_texts()]
    # Rhea only: test data and the competitor are left out.
    assert cells[headers.index("People converted")] == "1", (headers, cells)
    page.screenshot(path=str(SHOTS / "rep-lead-lists.png"))
    row.get_by_role("link", name="Open the list").click()
    page.wait_for_url("**/admin/leads/person/?source=content:42*")
    names = listed_names(page)
    assert "Rhea Real" in names and "Tess Testdata" not in names and "Rex Rival" not in names
    # The visible way to include them: a button saying how many are left out, then an active filter.
    page.screenshot(path=str(SHOTS / "rep-lead-list.png"))
    page.get_by_role("link", name="Include junk (2").click()
    page.wait_for_url("**junk=include*")
    names = listed_names(page)
    assert "Tess Testdata" in names and "Rex Rival" in names
    assert "Junk" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "rep-lead-list-with-junk.png"))


def check_export(page, base_url):
    """The one-click CSV of the whitepaper's lead list names the industry; the export page says "everybody"."""
    page.goto(f"{base_url}/admin/sales/lead-lists/")
    with page.expect_download() as download:
        page.locator("tr", has_text=WHITEPAPER).get_by_role("button", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert [row["Industry"] for row in rows] == ["Banking & Financial Services"]
    page.goto(f"{base_url}/admin/sales/exports/new/?list=people")
    text = page.locator("main").inner_text()
    assert "None: everybody you may see" in text and "every people" not in text
    page.screenshot(path=str(SHOTS / "rep-export-page.png"))


def check_register_someone(page, base_url, event, who):
    page.goto(f"{base_url}/admin/events/")  # Events -> Events
    page.locator("tr, li, article", has_text=event.title).get_by_role("link", name="Register someone").first.click()
    page.get_by_label("Email").fill(f"customer-of-{who}@northwind-bank.example")
    page.get_by_label("First name").fill("Carla")
    page.get_by_label("Last name").fill(f"Customer{who.capitalize()}")
    page.get_by_role("button", name="Register").click()
    page.locator("main", has_text="They get their confirmation").wait_for()
    assert "Your personal invite link" in page.locator("main").inner_text()
    registration = Registration.objects.get(event=event, email=f"customer-of-{who}@northwind-bank.example")
    assert registration.source == Registration.Source.SALES
    page.screenshot(path=str(SHOTS / f"{who}-register-someone.png"), full_page=True)


def test_a_sales_rep_walks_the_screens_issue_15_fixed(live_server, browser, team):
    SHOTS.mkdir(exist_ok=True)
    page = log_in(browser, live_server.url, "rita")
    check_people_list(page, live_server.url, team["people"])
    check_person_page(page, live_server.url, team["people"]["real"])
    check_lead_list(page, live_server.url)
    check_export(page, live_server.url)
    check_register_someone(page, live_server.url, team["event"], "rita")


def test_a_sales_manager_sees_the_team_filters_companies_by_source_and_registers_someone(live_server, browser, team):
    SHOTS.mkdir(exist_ok=True)
    page = log_in(browser, live_server.url, "mona")
    page.goto(f"{live_server.url}/admin/leads/person/")
    names = listed_names(page)
    assert "Rhea Real" in names and "Ravis Lead" in names  # the whole Inbound team
    assert "rhea@meridian-bank.example" in page.content()  # managers see contact details
    # Companies by source: only the whitepaper's converters' company, not the other.
    page.goto(f"{live_server.url}/admin/leads/company/?source=content:42")
    companies = listed_names(page)
    assert "Meridian Bank" in companies and "Atlas Health" not in companies
    assert "Banking & Financial Services" in companies
    page.screenshot(path=str(SHOTS / "manager-companies-by-source.png"))
    check_register_someone(page, live_server.url, team["event"], "mona")
