"""Door staff on a phone (issue 15): Dora, with the Door staff role and nothing else, logs in through the
login form, opens Events from the menu, finds the soonest event at the top and readable (no title squeezed
to a letter per line, a Check-in button that reads "Check-in"), checks a guest in by search, and is told
plainly when she opens the door of an event weeks away. In Debian's Chromium, 375 px wide, with a phone's
user agent. Screenshots go to /tmp/door-staff-shots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from events.models import Event, Registration
from sales.roles import DOOR_STAFF, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skip marker and launch args)
from tests.factories import EventFactory, RegistrationFactory

SHOTS = Path("/tmp/door-staff-shots")
TIMEOUT_MS = 8000
PASSWORD = "correct-horse-battery"
WIDTH = 375
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
PHONE = {
    "viewport": {"width": WIDTH, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": IPHONE,
}
TONIGHT = "Lead scoring workshop: build your first model with the data you already have"
SUMMIT = "Revenue Summit"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# For every element asked about: its text, its right edge, how many lines its content takes (boxes of
# its text and icons that overlap vertically are one line) and how many words it has. A title squeezed to
# a letter per line takes far more lines than it has words.
LAYOUT_JS = """elements => elements.map(element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const boxes = [...range.getClientRects()].filter(rect => rect.width > 0 && rect.height > 0)
        .sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const box of boxes) {
        if (box.top >= bottom - 1) { lines += 1; bottom = box.bottom; } else { bottom = Math.max(bottom, box.bottom); }
    }
    const text = element.innerText.trim();
    return {text, right: element.getBoundingClientRect().right, lines, words: text.split(/\\s+/).length};
})"""


@pytest.fixture
def dora(django_user_model):
    groups = roles_ensure()  # migrate made them; a live-server test's flush may have taken them away
    user = django_user_model.objects.create_user(
        "dora", "dora@signalpage.test", PASSWORD, first_name="Dora", last_name="Door"
    )
    user.groups.add(groups[DOOR_STAFF])
    return user


@pytest.fixture
def events(home_page):
    """Tonight's workshop (the soonest), a summit three weeks away, a cancelled one, a past one, a draft:
    created in an order that is not their dates'."""
    now = timezone.now().replace(microsecond=0)
    made = {
        "past": EventFactory(
            title="RevOps Meetup Munich",
            starts_at=now - timedelta(days=30),
            ends_at=now - timedelta(days=30) + timedelta(hours=3),
            status=Event.Status.FINISHED,
        ),
        "summit": EventFactory(
            title=SUMMIT,
            starts_at=now + timedelta(days=21),
            ends_at=now + timedelta(days=21, hours=8),
            time_zone="Europe/Berlin",
        ),
        "cancelled": EventFactory(
            title="Banking data roundtable Frankfurt",
            starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=5, hours=3),
            status=Event.Status.CANCELLED,
        ),
        "tonight": EventFactory(
            title=TONIGHT,
            starts_at=now + timedelta(hours=2),
            ends_at=now + timedelta(hours=5),
            time_zone="Europe/Berlin",
        ),
        "draft": EventFactory(
            title="Secret launch",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=2),
            status=Event.Status.DRAFT,
        ),
    }
    RegistrationFactory(
        event=made["tonight"],
        first_name="Jana",
        last_name="Novák",
        company="Meridian Bank",
        email="jana.novak@meridian-bank.de",
        email_key="jana.novak@meridian-bank.de",
    )
    RegistrationFactory(event=made["tonight"], first_name="Petra", last_name="Scanner", company="Nordbank")
    return made


@pytest.fixture
def phone(browser, live_server):
    cache.clear()  # login throttling and cached pages are shared with the live server (same process)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()
    cache.clear()


def fits_the_phone(page) -> bool:
    """Nothing sticks out sideways (the phone would scroll the whole page left and right)."""
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_door_staff_check_in_on_a_phone(live_server, phone, dora, events):
    base = live_server.url

    # 1. Log in through the form and open Events from the menu (folded away on a phone).
    phone.goto(f"{base}/admin/login/")
    phone.get_by_label("Username").fill("dora")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").tap()
    phone.wait_for_url(f"{base}/admin/")
    phone.get_by_role("button", name="Toggle sidebar").tap()
    menu = phone.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Events", exact=True).tap()
    menu.get_by_role("link", name="Events", exact=True).tap()
    phone.wait_for_url(f"{base}/admin/events/")

    # 2. The soonest event first, then the later ones, the past one last; no draft for door staff.
    cards = phone.locator("table.sp-events tbody tr")
    titles = [text.strip() for text in phone.locator("table.sp-events td.title .title-wrapper").all_inner_texts()]
    assert titles == [TONIGHT, "Banking data roundtable Frankfurt", SUMMIT, "RevOps Meetup Munich"]
    first = cards.first
    assert "Scheduled" in first.inner_text()
    assert f"{events['tonight'].local_start:%a %d %b %Y, %H:%M}" in first.locator(".sp-events__when").inner_text()

    # Readable: titles, dates and buttons take about as many lines as they have words, never a letter a line.
    readable = first.locator(".title-wrapper, .sp-events__when, .sp-events__state, .actions .button")
    for element in readable.evaluate_all(LAYOUT_JS):
        assert element["lines"] <= element["words"], element
        assert element["right"] <= WIDTH, element
    check_in = first.get_by_role("link", name="Check-in")
    layout = check_in.evaluate_all(LAYOUT_JS)[0]
    assert layout["text"] == "Check-in" and layout["lines"] == 1  # not "ck"
    box = check_in.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb's size
    assert fits_the_phone(phone)

    # Check-in only where people are expected: not at the cancelled event, not at the past one.
    assert cards.filter(has_text="Banking data roundtable").get_by_role("link", name="Check-in").count() == 0
    assert cards.filter(has_text="RevOps Meetup Munich").get_by_role("link", name="Check-in").count() == 0
    assert cards.filter(has_text=SUMMIT).get_by_role("link", name="Check-in").count() == 1
    # Nothing to edit and no bulk actions for door staff.
    assert phone.locator("[data-bulk-action-checkbox]").count() == 0
    assert phone.get_by_role("link", name=TONIGHT).count() == 0
    phone.screenshot(path=str(SHOTS / "events-list.png"), full_page=True)

    # 3. Tonight's door: no early notice; search, tap, checked in (address masked).
    check_in.tap()
    phone.wait_for_url(f"{base}/admin/events/{events['tonight'].pk}/check-in/")
    assert phone.locator(".sp-door__notice").count() == 0
    phone.locator("#door-q").press_sequentially("nov", delay=30)
    row = phone.locator("#check-in-results li").filter(has_text="Jana Novák")
    row.wait_for()
    assert "j***@meridian-bank.de" in row.inner_text() and "jana.novak@" not in phone.content()
    assert fits_the_phone(phone)
    phone.screenshot(path=str(SHOTS / "check-in-search.png"), full_page=True)
    row.get_by_role("button", name="Check in").tap()
    row_done = phone.locator("#check-in-results").get_by_role("status").filter(has_text="Checked in ✓")
    row_done.wait_for()
    assert "by Dora Door" in row_done.inner_text()
    phone.wait_for_function(
        "document.querySelector('#check-in-counters').innerText.startsWith('1 checked in of 2 expected')"
    )
    phone.screenshot(path=str(SHOTS / "check-in-done.png"), full_page=True)
    jana = Registration.objects.get(email="jana.novak@meridian-bank.de")
    assert (jana.status, jana.checked_in_by) == (Registration.Status.ATTENDED, dora)

    # 4. The summit, three weeks away: the door opens, and says she is checking in early.
    phone.goto(f"{base}/admin/events/")
    cards.filter(has_text=SUMMIT).get_by_role("link", name="Check-in").tap()
    phone.wait_for_url(f"{base}/admin/events/{events['summit'].pk}/check-in/")
    notice = phone.get_by_role("note")
    start = events["summit"].local_start
    assert notice.inner_text() == (
        f"This event is on {start.day} {start:%B}"
        f"{'' if start.year == timezone.localdate().year else f' {start.year}'}, "
        "3 weeks away: you are checking in early."
    )
    assert notice.is_visible() and phone.locator("#door-q").is_visible()  # a warning, not a stop
    for element in notice.evaluate_all(LAYOUT_JS):
        assert element["lines"] <= element["words"] and element["right"] <= WIDTH, element
    assert fits_the_phone(phone)
    phone.screenshot(path=str(SHOTS / "check-in-early.png"), full_page=True)
