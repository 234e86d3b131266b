"""A telemarketer works the call queue in a real browser (issue 16, item 7): she logs in, finds the queue
under Sales, sees who to call first with their phone numbers and why in that order, records "no answer"
for the first person (who leaves the queue for a few hours) and "qualified" for the next (who becomes an
MQL with an owner and one CRM push, and leaves the queue). She sees nothing else of the sales workspace.

Screenshots go to /tmp/telemarketing-shots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import CrmDelivery, Interaction, Person, SalesRep, StageTransition
from sales.roles import TELEMARKETER, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories.leads import CompanyFactory, InteractionFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/telemarketing-shots")
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1400, "height": 1000}


@pytest.fixture
def queue(django_user_model):
    """Tina the telemarketer, Rita the one rep, and three leads nobody owns: Ada (A1, active yesterday),
    Ben (A1, active last month), Cleo (B2)."""
    roles_ensure()
    tina = django_user_model.objects.create_user(
        "tina", "tina@signalpage.test", PASSWORD, first_name="Tina", last_name="Morales"
    )
    tina.groups.add(Group.objects.get(name=TELEMARKETER))
    rita = django_user_model.objects.create_user("rita", "rita@signalpage.test", PASSWORD, first_name="Rita")
    SalesRep.objects.create(user=rita, team="Inbound")
    bank = CompanyFactory(name="Meridian Bank")
    people = {}
    for key, first, grade, phone, days in (
        ("ada", "Ada", "A1", "+4930111111", 1),
        ("ben", "Ben", "A1", "+4930222222", 30),
        ("cleo", "Cleo", "B2", "+4930333333", 0),
    ):
        people[key] = person = PersonFactory(
            first_name=first,
            last_name="Lead",
            email=f"{key}@meridian-bank.example",
            company=bank,
            phone=phone,
            grade=grade,
            stage="lead",
            fit_score=60 if grade == "A1" else 40,
            interest_score=20,
        )
        InteractionFactory(
            person=person,
            type="content_download",
            object_label="State of RevOps",
            occurred_at=timezone.now() - timedelta(days=days),
        )
    return {"tina": tina, "rita": rita, **people}


def log_in(browser, base_url, username):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.set_default_timeout(8000)
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/admin/")
    return page


def queue_names(page) -> list[str]:
    return [text.strip() for text in page.locator("main table tbody tr td:first-child").all_inner_texts()]


def record(page, outcome: str, note: str = ""):
    page.get_by_label(outcome, exact=True).check()
    if note:
        page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Record the call").click()
    page.wait_for_url("**/admin/sales/call-queue/")


def test_a_telemarketer_works_the_queue(live_server, browser, queue):
    SHOTS.mkdir(exist_ok=True)
    base = live_server.url
    page = log_in(browser, base, "tina")
    # The menu: Sales → Call queue, and nothing else of the sales workspace.
    page.get_by_role("button", name="Sales").click()
    # The submenu opens with a transition: read it once its first item is there, not before (under a
    # full-suite load the text was read while only the top-level items existed).
    page.get_by_role("link", name="Call queue").wait_for()
    menu = page.locator("nav").inner_text()
    assert "Call queue" in menu and "People" not in menu and "Exports" not in menu
    page.get_by_role("link", name="Call queue").click()
    page.wait_for_url("**/admin/sales/call-queue/")
    # Who to call first: A1 before B2, within A1 the freshest; phones to dial.
    assert queue_names(page) == ["Ada Lead", "Ben Lead", "Cleo Lead"]
    assert page.locator("main a[href='tel:+4930111111']").is_visible()
    page.get_by_text("Why this order").click()
    assert "Grade first" in page.locator("[data-queue-order]").inner_text()
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    # Ada does not answer: recorded, and she leaves the queue for a few hours.
    page.get_by_role("link", name="Ada Lead").click()
    # The call screen's story arrives with the page: wait for it rather than read a half-parsed page.
    page.locator("main").get_by_text("State of RevOps").first.wait_for()
    page.screenshot(path=str(SHOTS / "call-screen.png"), full_page=True)
    record(page, "No answer")
    assert "Ada Lead: no answer recorded. Back in the queue in 4 hours." in page.locator("body").inner_text()
    assert queue_names(page) == ["Ben Lead", "Cleo Lead"]

    # Ben is qualified on the phone: an MQL with Rita as owner and one CRM push, out of the queue.
    page.get_by_role("link", name="Ben Lead").click()
    record(page, "Qualified", note="Budget in Q3, wants a demo")
    assert "Ben Lead: qualified; now a Marketing qualified lead (MQL)" in page.locator("body").inner_text()
    assert queue_names(page) == ["Cleo Lead"]
    page.screenshot(path=str(SHOTS / "queue-after-calls.png"), full_page=True)

    ben = Person.objects.get(pk=queue["ben"].pk)
    assert (ben.stage, ben.owner) == ("mql", queue["rita"])
    move = StageTransition.objects.get(person=ben)
    assert move.actor == queue["tina"]
    assert move.reason == "Qualified by phone by Tina Morales: Budget in Q3, wants a demo"
    assert CrmDelivery.objects.filter(person=ben, event="mql").count() == 1
    assert list(Interaction.objects.filter(type="call").order_by("pk").values_list("object_label", flat=True)) == [
        "No answer, by Tina Morales",
        "Qualified, by Tina Morales",
    ]
    # The sales workspace is closed to her.
    page.goto(f"{base}/admin/leads/person/")
    page.wait_for_url(f"{base}/admin/")
