"""A marketer generates an event, a visitor registers, staff check them in. In a real browser: the
Wagtail admin's event form (with its date-time pickers), the generated landing page and its htmx
registration form, the ticket with its QR code, and the door's check-in screen on a phone, where the
camera scanner reads a ticket from Chromium's fake camera (a video made here from the ticket's QR code).

Screenshots (phone size) go to /tmp/event-shots/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import segno
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Site

from events import links
from events.models import Event, Registration
from events.services import registration_create
from forms.models import ConsentPolicy, ConsentRecord
from sales.roles import DOOR_STAFF, roles_ensure
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

SHOTS = Path("/tmp/event-shots")
TIMEOUT_MS = 8000
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}
PASSWORD = "correct-horse-battery"
TITLE = "RevOps Meetup Berlin"
CONSENT_TEXT = "Yes, email me invitations to future events."


@pytest.fixture
def site(home_page, live_server, settings):
    """The live server is the site: page URLs and the ticket links (SITE_BASE_URL) point at it."""
    cache.clear()  # rate limits and cached listings are shared with the live server (same process)
    settings.FORMS_MIN_FILL_SECONDS = 0
    settings.SITE_BASE_URL = live_server.url
    site = Site.objects.get()
    site.hostname, site.port = "localhost", int(live_server.url.rsplit(":", 1)[1])
    site.save()
    ConsentPolicy.objects.update_or_create(
        country="DE", defaults={"show_checkbox": True, "opt_in_required": True, "text": CONSENT_TEXT}
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield live_server.url
    cache.clear()


@pytest.fixture
def users(django_user_model):
    marketer = django_user_model.objects.create_superuser(
        "mia", "mia@signalpage.test", PASSWORD, first_name="Mia", last_name="Marketing"
    )
    # Door staff: the role (sales.roles), the admin and the door, nothing else (no leads, no pages).
    door = roles_ensure()[DOOR_STAFF]
    dora = django_user_model.objects.create_user(
        "dora", "dora@signalpage.test", PASSWORD, first_name="Dora", last_name="Door"
    )
    dora.groups.add(door)
    return {"marketer": marketer, "door": dora}


@pytest.fixture
def contexts(browser):
    """Fresh browser contexts (one person each, own cookies); closed when the test ends."""
    opened = []

    def open_context(owner=None, **options):
        context = (owner or browser).new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context, context.new_page()

    yield open_context
    for context in opened:
        context.close()


def log_in(page, base_url, username, next_url="/admin/"):
    page.goto(f"{base_url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + next_url)


def type_datetime(page, field_id, value):
    """Wagtail's date-time picker takes typed input in WAGTAIL_DATETIME_FORMAT (Y-m-d H:i)."""
    field = page.locator(f"#{field_id}")
    field.fill(value)
    field.press("Escape")  # closes the picker's calendar over the form
    page.locator("#id_title").click()  # blur: the picker validates (and would reset) what was typed
    assert field.input_value() == value


def fits_the_phone(page):
    """Nothing sticks out sideways (a phone would scroll the whole page left and right)."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_marketer_generates_an_event_a_visitor_registers_staff_check_them_in(site, users, contexts, browser, tmp_path):
    start = (timezone.localtime() + timedelta(days=21)).replace(hour=18, minute=0, second=0, microsecond=0)

    # 1. The marketer adds the event in the admin and has its landing page generated and published.
    _, admin = contexts(**DESKTOP)
    log_in(admin, site, "mia")
    sidebar = admin.get_by_role("navigation", name="Main menu")
    sidebar.get_by_role("button", name="Events", exact=True).click()
    sidebar.get_by_role("link", name="Events", exact=True).click()
    admin.get_by_role("link", name="Add event").click()
    admin.locator("#id_title").fill(TITLE)
    admin.locator("#id_type").select_option("in_person")
    type_datetime(admin, "id_starts_at", f"{start:%Y-%m-%d %H:%M}")
    type_datetime(admin, "id_ends_at", f"{start + timedelta(hours=3):%Y-%m-%d %H:%M}")
    admin.locator("#id_time_zone").select_option("Europe/Berlin")
    admin.locator("#id_venue_name").fill("Factory Görlitzer Park")
    admin.locator("#id_city").fill("Berlin")
    admin.locator("#id_country").fill("de")
    admin.locator("#id_capacity").fill("40")
    admin.get_by_label("Generate and publish it").check()
    admin.get_by_role("button", name="Save").click()
    admin.get_by_text("Its landing page is live.").wait_for()

    event = Event.objects.get(title=TITLE)
    page = event.landing_page
    assert page.live and (event.country, event.capacity, event.time_zone) == ("DE", 40, "Europe/Berlin")
    # Typed as wall-clock times where the event happens (Berlin), whatever the admin's zone.
    assert f"{event.local_start:%Y-%m-%d %H:%M}" == f"{start:%Y-%m-%d %H:%M}"
    assert event.ends_at - event.starts_at == timedelta(hours=3)
    message = admin.locator(".messages").filter(has_text="Its landing page is live.")
    assert (
        message.get_by_role("link", name="Edit the landing page").get_attribute("href")
        == f"/admin/pages/{page.pk}/edit/"
    )
    view_it = message.get_by_role("link", name="View it")
    assert view_it.get_attribute("href") == page.url

    # Someone registered beforehand (by email, say): their ticket is the one the camera will read.
    other = registration_create(
        event, email="petra.scan@nordbank.de", first_name="Petra", last_name="Scanner", company="Nordbank"
    ).registration
    other_ticket = links.ticket_url(other)

    # 2. A visitor from Germany, on their phone, finds the event in the listing and registers.
    _, visitor = contexts(**PHONE, extra_http_headers={"CF-IPCountry": "DE"})
    visitor.goto(site + "/events/")
    visitor.get_by_role("link", name=TITLE).click()
    visitor.wait_for_url(site + page.url)
    assert visitor.get_by_role("heading", level=1, name=TITLE).is_visible()
    assert "Factory Görlitzer Park" in visitor.locator(".event-hero__where").inner_text()
    assert "39 of 40 left" in visitor.locator(".facts").inner_text()
    assert fits_the_phone(visitor)
    visitor.screenshot(path=str(SHOTS / "event-page.png"), full_page=True)
    visitor.evaluate("window.__notReloaded = true")

    visitor.get_by_role("link", name="Register", exact=True).tap()
    visitor.get_by_label("First name").fill("Jana")
    visitor.get_by_label("Last name").fill("Novák")
    visitor.get_by_label("Work email").fill("jana.novak@meridian-bank.de")
    visitor.get_by_label("Company").fill("Meridian Bank")
    visitor.get_by_label("Job title").fill("Head of Sales Ops")
    consent = visitor.get_by_label(CONSENT_TEXT)
    assert consent.is_visible() and not consent.is_checked()  # shown for DE, never pre-ticked
    consent.check()
    visitor.screenshot(path=str(SHOTS / "event-form-filled.png"), full_page=True)
    visitor.get_by_role("button", name="Register", exact=True).tap()
    visitor.get_by_role("heading", name="You're registered!").wait_for()
    assert visitor.evaluate("window.__notReloaded") is True  # htmx swapped the panel in place
    visitor.screenshot(path=str(SHOTS / "event-registered.png"))  # what the phone shows right after the swap

    jana = Registration.objects.get(event=event, email="jana.novak@meridian-bank.de")
    assert (jana.status, jana.first_name, jana.last_name, jana.job_title) == (
        Registration.Status.APPROVED,
        "Jana",
        "Novák",
        "Head of Sales Ops",
    )
    assert ConsentRecord.objects.get().granted is True

    visitor.get_by_role("link", name="Show my ticket").tap()
    visitor.wait_for_url(re.compile(r"/e/tickets/"))
    assert visitor.url == links.ticket_url(jana)
    assert visitor.get_by_role("heading", level=1, name=TITLE).is_visible()
    assert visitor.get_by_text("Jana Novák, Meridian Bank").is_visible()
    qr = visitor.locator(".event-ticket__qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # whole, on a phone
    assert fits_the_phone(visitor)
    visitor.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)

    # 3. At the door, Dora (door staff only) checks Jana in on her phone.
    door_url = f"/admin/events/{event.pk}/check-in/"
    dora_context, door = contexts(**PHONE)
    log_in(door, site, "dora", next_url=door_url)
    counters = door.locator("#check-in-counters")
    assert counters.inner_text().startswith("0 checked in of 2 expected")
    door.locator("#door-q").press_sequentially("nov", delay=30)
    results = door.locator("#check-in-results")
    row = results.locator("li").filter(has_text="Jana Novák")
    row.wait_for()
    assert results.locator("li").count() == 1  # not Petra
    assert "Meridian Bank" in row.inner_text()
    assert fits_the_phone(door)
    door.screenshot(path=str(SHOTS / "check-in-search.png"), full_page=True)
    button = row.get_by_role("button", name="Check in")
    button_box = button.bounding_box()
    assert button_box["height"] >= 44 and button_box["width"] >= 44  # a thumb's size

    button.tap()
    checked = results.get_by_role("status").filter(has_text="Checked in ✓")
    checked.wait_for()
    door.wait_for_function(
        "document.querySelector('#check-in-counters').innerText.startsWith('1 checked in of 2 expected')"
    )
    assert "by Dora Door" in checked.inner_text()
    door.screenshot(path=str(SHOTS / "check-in-done.png"), full_page=True)
    jana.refresh_from_db()
    assert (jana.status, jana.checked_in_by) == (Registration.Status.ATTENDED, users["door"])

    # Searching again: no second check-in, but who let them in and when.
    door.locator("#door-q").fill("")
    door.locator("#door-q").press_sequentially("jana", delay=30)
    already = results.get_by_role("status").filter(has_text="Already checked in")
    already.wait_for()
    assert re.search(r"Already checked in at \d\d:\d\d by Dora Door", already.inner_text())
    assert results.get_by_role("button", name="Check in").count() == 0
    assert counters.inner_text().startswith("1 checked in of 2 expected")

    # 4. Petra shows her ticket to the phone's camera.
    video = tmp_path / "ticket-camera.y4m"
    write_y4m(video, other_ticket)
    scan_with_the_camera(browser, video, dora_context.storage_state(), site, door_url)
    other.refresh_from_db()
    assert (other.status, other.checked_in_by) == (Registration.Status.ATTENDED, users["door"])


# --- The camera ----------------------------------------------------------------------------------
def write_y4m(path: Path, text: str, width: int = 640, height: int = 480, frames: int = 10) -> None:
    """A grey-scale video of the QR code of `text`, large and centred with its quiet zone, as Chromium's
    fake camera reads it (YUV4MPEG2, 4:2:0: a Y plane, then U and V planes at a quarter size, grey)."""
    matrix = segno.make(text, error="m").matrix
    modules = len(matrix) + 8  # four modules of white all round
    scale = min(width, height) * 9 // 10 // modules
    side = modules * scale
    left, top = (width - side) // 2 + 4 * scale, (height - side) // 2 + 4 * scale
    luma = bytearray(b"\xff" * (width * height))
    for y, modules_row in enumerate(matrix):
        for x, dark in enumerate(modules_row):
            if dark:
                for line in range(top + y * scale, top + (y + 1) * scale):
                    start = line * width + left + x * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (width // 2 * height // 2)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def scan_with_the_camera(browser, video: Path, storage_state, base_url, door_url):
    """Door staff (signed in already: their cookies) scan a ticket with a phone whose camera sees `video`.
    The camera is given at launch, hence a Chromium of its own (closed with its contexts)."""
    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(**PHONE, storage_state=storage_state)
        context.set_default_timeout(TIMEOUT_MS)
        context.grant_permissions(["camera"], origin=base_url)
        door = context.new_page()
        door.goto(base_url + door_url)
        door.get_by_role("button", name="Scan ticket").tap()
        result = door.locator("#scan-result")
        result.get_by_role("status").filter(has_text="Checked in ✓").wait_for()
        assert "Petra Scanner" in result.inner_text()
        # Desktop Chromium on Linux has no BarcodeDetector: the ticket was read by the vendored jsQR.
        if not door.evaluate("'BarcodeDetector' in window"):
            assert door.evaluate("typeof window.jsQR") == "function"
        assert door.locator("[data-scan-view]").is_visible()  # the camera stays on for the next ticket
        assert door.locator("[data-scan-status]").inner_text() == "Point the camera at the next ticket."
        assert fits_the_phone(door)
        door.screenshot(path=str(SHOTS / "check-in-scanned.png"), full_page=True)
        door.wait_for_function(
            "document.querySelector('#check-in-counters').innerText.startsWith('2 checked in of 2 expected')"
        )
        door.get_by_role("button", name="Stop scanning").tap()
        assert door.get_by_role("button", name="Scan ticket").is_visible()
        assert door.evaluate("document.querySelector('[data-scan-video]').srcObject") is None  # camera off
    finally:
        camera_browser.close()
