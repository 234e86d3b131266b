"""The public site and the Wagtail admin work in a real browser under their Content-Security-Policy,
with no violation reported and nothing fetched from another host.

Chromium reports every refused script, style, frame or image as a console error ("... violates the
following Content Security Policy directive ...") and as a `securitypolicyviolation` event; both are
collected for every page, with uncaught script errors and Permissions-Policy header errors. Each page is
also used (the video plays, the form swaps in place, the listing filters, the watch page reports
attendance, Swagger renders, the editor's StreamField loads, the door searches), since a page whose
scripts are refused reports a violation but a page whose scripts never ran would not.

Screenshots go to /tmp/csp-shots/."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from wagtail.models import Site

from events.models import Registration
from tests.security.test_headers import csp_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = Path("/tmp/csp-shots")
PASSWORD = "correct-horse-battery"
TIMEOUT_MS = 8000
PLAYER = "https://www.youtube-nocookie.com/"
# Runs before any script of the page (through the DevTools protocol, which no CSP governs).
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
    window.__reportViolation(
        `${e.violatedDirective} refused ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


class Watched:
    """A browser context whose pages report CSP violations, script errors and third-party requests."""

    def __init__(self, browser, base_url):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.problems, self.third_party = [], []
        self.context.expose_function("__reportViolation", lambda text: self.problems.append(f"event: {text}"))
        self.context.add_init_script(LISTEN)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base_url) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        elif url.startswith(PLAYER):
            self.third_party.append(url)  # only after a visitor pressed play: a stand-in player
            route.fulfill(status=200, content_type="text/html", body="<p>player</p>")
        else:
            self.third_party.append(url)
            route.abort()

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text or "Permissions-Policy" in text:
            self.problems.append(f"console {message.type}: {text}")

    def visit(self, path):
        response = self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("load")
        assert "content-security-policy" in response.headers, path  # under a policy, or this proves nothing
        return self.page

    def shot(self, name):
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def check(self, where):
        """No violation so far: the report names the page it happened on."""
        self.page.wait_for_timeout(150)  # violation events are dispatched asynchronously
        problems, self.problems[:] = list(self.problems), []
        assert problems == [], f"{where}: {problems}"

    def close(self):
        self.context.close()


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path):
    cache.clear()  # the output cache and rate limits are shared with the live server (same process)
    settings.MEDIA_ROOT = tmp_path  # images of its own: another pytest run may clear the shared folder
    settings.FORMS_MIN_FILL_SECONDS = 0
    settings.SITE_BASE_URL = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    world = csp_world(stream_preview_seconds=2)
    site = Site.objects.get()
    site.hostname, site.port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    site.save()
    yield world
    cache.clear()


def test_the_detector_reports_what_the_policy_refuses(browser, live_server, site):
    """Guards this file's own assertions: an inline style and an inline script injected into a public page
    are refused and reported."""
    watched = Watched(browser, live_server.url)
    page = watched.visit("/")
    page.evaluate("""() => {
        document.head.insertAdjacentHTML("beforeend", "<style>body { outline: 1px solid red }</style>");
        const script = document.createElement("script");
        script.textContent = "window.__ranInline = true";
        document.head.appendChild(script);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ranInline") is None
    assert any("style-src" in problem for problem in watched.problems), watched.problems
    assert any("script-src" in problem for problem in watched.problems), watched.problems
    watched.close()


def test_the_public_site_works_under_its_policy(browser, live_server, site):
    watched = Watched(browser, live_server.url)

    page = watched.visit("/")
    assert page.locator("h1").count() == 1
    watched.shot("home")
    watched.check("home")

    # Every block: the video facade swaps in the player's frame from the video host when asked to.
    page = watched.visit(site["standard"])
    assert watched.third_party == []  # nothing from the video host before the visitor presses play
    page.locator("[data-video-play]").click()
    page.frame_locator(".video__frame iframe").get_by_text("player").wait_for()
    assert watched.third_party and all(url.startswith(PLAYER) for url in watched.third_party)
    watched.third_party.clear()
    watched.shot("every-block-playing")
    watched.check("standard page with every block")

    # A gated whitepaper: the form posts with htmx and swaps the download link in place.
    page = watched.visit(site["whitepaper"])
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Work email").fill("jana.novak@meridian-bank.de")
    page.get_by_label("First name").fill("Jana")
    page.get_by_label("Last name").fill("Novák")
    page.get_by_label("Company").fill("Meridian Bank")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Get the PDF").click()
    page.get_by_role("link", name="Download the PDF").wait_for()
    assert page.evaluate("window.__notReloaded") is True
    watched.shot("whitepaper-form-sent")
    watched.check("whitepaper with its form")

    # The whitepaper library filters in place with htmx (no indicator style injected, nothing evaluated).
    page = watched.visit(site["whitepaper_index"])
    page.evaluate("window.__notReloaded = true")
    assert page.get_by_text("Manufacturing playbook").is_visible()
    page.get_by_label("Topic").select_option("pipeline")
    page.wait_for_url("**/whitepapers/?topic=pipeline**")
    page.get_by_text("Manufacturing playbook").wait_for(state="detached")
    assert page.get_by_text("Pipeline hygiene").first.is_visible()
    assert page.evaluate("window.__notReloaded") is True
    watched.shot("whitepapers-filtered")
    watched.check("whitepaper library")

    # The events listing filters with a plain form.
    page = watched.visit(site["events"])
    page.get_by_label("Type").select_option("webinar")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/events/?*type=webinar*")
    assert page.get_by_text("RevOps Meetup Berlin").count() == 0
    assert page.get_by_text("Pipeline webinar").first.is_visible()
    watched.check("events listing")

    page = watched.visit(site["event"])
    assert page.get_by_role("heading", level=1, name="RevOps Meetup Berlin").is_visible()
    watched.check("event page")

    page = watched.visit(site["ticket"])
    assert page.locator(".event-ticket__qr svg").is_visible()
    watched.check("ticket")

    # The registrant's watch page, during the webinar: the player, and the page reports attendance.
    registration = site["objects"]["registration"]
    page = watched.visit(site["watch"])
    page.frame_locator(".video-embed iframe").get_by_text("player").wait_for()
    for _ in range(40):
        if Registration.objects.get(pk=registration.pk).checked_in_at is not None:
            break
        page.wait_for_timeout(100)
    assert Registration.objects.get(pk=registration.pk).checked_in_at is not None  # js/watch.js ran
    watched.shot("watch")
    watched.third_party.clear()
    watched.check("watch page")

    # Without a registration: a 2-second preview, then the gate.
    watched.context.clear_cookies()
    page = watched.visit(site["watch_preview"])
    page.get_by_role("link", name="Register to keep watching").wait_for(timeout=5000)
    assert page.locator("[data-preview-player]").count() == 0
    watched.third_party.clear()
    watched.check("watch page preview")

    page = watched.visit(site["search"])
    assert page.get_by_text("Pipeline hygiene").first.is_visible()
    watched.check("search")

    # Swagger UI from ninja's own static files renders the API.
    page = watched.visit(site["api_docs"])
    page.locator(".swagger-ui .info .title").get_by_text("Signalpage API").wait_for()
    health = page.locator(".opblock", has_text="/api/v1/health")
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()  # a fetch from the page: connect-src 'self'
    health.locator(".live-responses-table .response-col_status").get_by_text("200").wait_for()
    watched.shot("api-docs")
    watched.check("API docs")

    assert watched.third_party == []
    watched.close()


def test_the_admin_works_under_its_policy(browser, live_server, site, django_user_model):
    django_user_model.objects.create_superuser("csp-admin", "csp-admin@example.com", PASSWORD)
    watched = Watched(browser, live_server.url)
    objects = site["objects"]
    meetup, whitepaper = objects["meetup"], objects["whitepaper"]

    page = watched.visit("/admin/login/")
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/admin/")
    # The sidebar is drawn by the admin's scripts.
    page.locator("#wagtail-sidebar .sidebar-main-menu, #wagtail-sidebar nav").first.wait_for(state="attached")
    watched.shot("admin-dashboard")
    watched.check("dashboard")

    # The page editor: its StreamField and rich text editors load, and the preview panel frames the page.
    page = watched.visit(f"/admin/pages/{whitepaper.pk}/edit/")
    page.locator("[data-contentpath='body'] [data-streamfield-stream-container], #body-count").first.wait_for(
        state="attached"
    )
    page.locator(".Draftail-Editor").get_by_text("Key findings").wait_for()  # the body's rich text block
    page.locator("[data-contentpath='body'] .c-sf-add-button").first.click()  # the block chooser
    page.get_by_role("option", name="Quote").click()
    page.locator(
        "[data-contentpath='body'] [data-contentpath='quote'] textarea, "
        "[data-contentpath='body'] [data-contentpath='quote'] input"
    ).first.wait_for()
    page.get_by_role("button", name="Toggle preview").click()
    page.frame_locator("#w-preview-iframe").locator("h1").get_by_text("Pipeline hygiene").wait_for()
    watched.shot("admin-page-editor")
    watched.check("page editor with its preview")

    page = watched.visit("/admin/leads/person/")
    page.locator("main table, main .nice-padding, main p").first.wait_for()
    watched.check("sales people list")

    # A snippet's edit form: Wagtail's date-time pickers and inline panels run their inline scripts.
    page = watched.visit(f"/admin/events/edit/{meetup.pk}/")
    page.locator("#id_starts_at").click()
    page.locator(".xdsoft_datetimepicker").first.wait_for()
    page.locator("#id_starts_at").press("Escape")
    watched.shot("admin-event-edit")
    watched.check("event (snippet) edit form")

    # A segment: the live audience panel posts the form as rules change.
    page = watched.visit("/admin/snippets/personalization/segment/add/")
    page.locator("[data-pz-audience-panel]").wait_for()
    watched.check("segment editor")

    # Variant statistics (in Content performance now): the report's period form is a plain GET form.
    page = watched.visit("/admin/personalisation/statistics/")
    page.wait_for_url("**/admin/reports/content/**")
    page.locator("#rp-period").select_option("7d")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/admin/reports/content/?period=7d**")
    watched.check("content performance (variant statistics)")

    # The invite link selects itself on click (w-action), not with an inline onclick.
    page = watched.visit(f"/admin/events/{meetup.pk}/register/")
    link = page.get_by_label("Your personal invite link")
    link.click()
    assert page.evaluate("(el) => el.selectionEnd - el.selectionStart", link.element_handle()) == len(
        link.input_value()
    )
    watched.check("register someone")

    # The door: it may use the camera (other admin pages may not), htmx searches as staff type.
    page = watched.visit(f"/admin/events/{meetup.pk}/check-in/")
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is True
    page.get_by_label("Name, email or company").fill("nobody-by-that-name")
    page.locator("#check-in-results").get_by_text("nobody-by-that-name", exact=False).wait_for()
    watched.shot("admin-check-in")
    watched.check("check-in screen")
    page = watched.visit("/admin/")
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is False

    assert watched.third_party == []
    watched.close()
