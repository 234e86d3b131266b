"""A sales rep works their leads in a real browser: the people list shows only their own, masked;
Wagtail's bulk-action checkboxes and footer (its JavaScript) accept two people at once; a person's
page tells their story. Screenshots go to /tmp/sales-shots/."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from leads.models import SalesRep
from sales.roles import SALES_REP, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories.leads import PersonFactory

SHOTS = Path("/tmp/sales-shots")
PASSWORD = "correct-horse-battery"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def reps(django_user_model):
    roles_ensure()
    made = {}
    for username in ("rita", "ravi"):
        user = django_user_model.objects.create_user(
            username, f"{username}@signalpage.test", PASSWORD, first_name=username.capitalize()
        )
        user.groups.add(Group.objects.get(name=SALES_REP))
        SalesRep.objects.create(user=user, team="Inbound")
        made[username] = user
    return made


def test_a_rep_accepts_two_leads_in_bulk_and_reads_a_story(live_server, browser, reps):
    SHOTS.mkdir(exist_ok=True)
    mine = [
        PersonFactory(
            first_name=f"Mine{n}",
            last_name="Lead",
            email=f"mine{n}@meridian-bank.example",
            owner=reps["rita"],
            stage="mql",
            grade="A1",
        )
        for n in range(3)
    ]
    PersonFactory(
        first_name="Theirs", last_name="Lead", email="theirs@meridian-bank.example", owner=reps["ravi"], stage="mql"
    )

    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(8000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/leads/person/")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/leads/person/")

    listing = page.locator("main").inner_text()
    assert "Mine0 Lead" in listing and "Theirs" not in listing
    assert "mine0@meridian-bank.example" not in page.content()  # masked without the personal-data right

    for person in mine[:2]:
        page.locator(f'input[data-bulk-action-checkbox][data-object-id="{person.pk}"]').check()
    footer = page.locator("[data-bulk-action-footer]")
    footer.wait_for(state="visible")
    page.screenshot(path=str(SHOTS / "people-selected.png"))
    footer.get_by_role("link", name="Accept").click()
    page.get_by_role("button", name="Yes, accept").click()
    page.wait_for_url(f"{live_server.url}/admin/leads/person/**")
    assert "2" in page.locator(".messages").inner_text()

    for person in mine:
        person.refresh_from_db()
    assert [person.stage for person in mine] == ["sql", "sql", "mql"]

    page.goto(f"{live_server.url}/admin/leads/person/inspect/{mine[0].pk}/")
    story = page.locator("main").inner_text()
    assert "Score explanation" in story and "Sales qualified (SQL)" in story and "Rita" in story
    page.screenshot(path=str(SHOTS / "person-360.png"), full_page=True)
