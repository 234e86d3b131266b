"""Content-Security-Policy and Permissions-Policy (core/csp.py, the policies in cms/settings/base.py).

Every public page carries the strict policy with a fresh nonce, runs no inline script without that
nonce, and has no inline handler or inline style; the Wagtail admin has its own policy; every
response says which browser features are off, and only the door's check-in screen may use the camera.
The same pages in a real browser, with no violation reported: tests/browser/test_csp.py.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}
URL_ATTRS = {"href", "src", "action", "formaction"}
PUBLIC_PAGES = [
    "home",
    "standard",
    "whitepaper_index",
    "whitepaper",
    "case_study_index",
    "case_study",
    "events",
    "event",
    "webinar",
    "search",
    "ticket",
    "watch",
    "watch_preview",
    "cancel",
    "api_docs",
    "not_found",
]


# --- The site under test (shared with tests/browser/test_csp.py) -------------------------------------------
def csp_world(*, stream_preview_seconds=0) -> dict:
    """One page of each public type (the standard page holds every block: video, FAQ with JSON-LD,
    images), an in-person event and a live webinar with their landing pages and the listing, a
    registration with its ticket, cancel and watch links. Returns {page name: URL} plus a few objects."""

    from cms.event_pages import event_pages_sync
    from events import links
    from tests.cms.streamfield_data import every_block_body
    from tests.conftest import home_page_build
    from tests.factories import (
        CallToActionFactory,
        CaseStudyIndexPageFactory,
        CaseStudyPageFactory,
        EventFactory,
        ImageFactory,
        IndustryFactory,
        LeadFormPageFactory,
        RegistrationFactory,
        StandardPageFactory,
        TopicFactory,
        WebinarFactory,
        WhitepaperIndexPageFactory,
        WhitepaperPageFactory,
    )

    home = home_page_build()

    topic, industry = TopicFactory(slug="pipeline"), IndustryFactory(slug="banking")
    whitepapers = WhitepaperIndexPageFactory(parent=home)
    gate = LeadFormPageFactory(parent=home, slug="gate", submit_label="Get the PDF")
    whitepaper = WhitepaperPageFactory(
        parent=whitepapers,
        title="Pipeline hygiene",
        slug="pipeline-hygiene",
        gate_form=gate,
        topics=[topic],
        industries=[industry],
        body=[("rich_text", "<p>Key findings: clean pipelines close faster.</p>")],
    )
    WhitepaperPageFactory(parent=whitepapers, title="Manufacturing playbook", slug="manufacturing-playbook")
    platform = StandardPageFactory(parent=home, slug="platform", title="Platform")
    standard = StandardPageFactory(
        parent=home,
        slug="tour",
        title="Tour",
        body=every_block_body(image=ImageFactory(), cta=CallToActionFactory(), link_page=platform, topic=topic),
    )
    customers = CaseStudyIndexPageFactory(parent=home)
    case_study = CaseStudyPageFactory(parent=customers, slug="meridian", industry=industry, topics=[topic])

    now = timezone.now().replace(microsecond=0)
    meetup = EventFactory(title="RevOps Meetup Berlin", topics=["Revenue"])
    # Live now: a registrant's watch page holds the player and reports attendance.
    webinar = WebinarFactory(
        title="Pipeline webinar",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        stream_preview_seconds=stream_preview_seconds,
    )
    pages = {event.pk: page for event, page, _ in event_pages_sync([meetup, webinar], publish=True)}
    registration = RegistrationFactory(
        event=webinar, email="jana.novak@meridian-bank.de", email_key="jana.novak@meridian-bank.de", first_name="Jana"
    )
    ticket = links.ticket_token(registration)
    return {
        "home": "/",
        "standard": standard.url,
        "whitepaper_index": whitepapers.url,
        "whitepaper": whitepaper.url,
        "case_study_index": customers.url,
        "case_study": case_study.url,
        "events": pages[meetup.pk].get_parent().url,
        "event": pages[meetup.pk].url,
        "webinar": pages[webinar.pk].url,
        "search": "/search/?q=pipeline",
        "ticket": f"/e/tickets/{ticket}/",
        "watch": f"/e/{webinar.pk}/watch/?t={ticket}",
        "watch_preview": f"/e/{webinar.pk}/watch/",
        "cancel": f"/e/cancel/{links.cancel_token(registration)}/",
        "api_docs": "/api/v1/docs",
        "not_found": "/no-such-page/",
        "objects": {"whitepaper": whitepaper, "meetup": meetup, "webinar": webinar, "registration": registration},
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once, rolled back when the module is done; with images of its own (another pytest run in
    this checkout may clear the shared test media folder while this module renders them)."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("csp-media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        built = csp_world(stream_preview_seconds=60)
        yield built
        transaction.set_rollback(True)
    cache.clear()  # pages this module rendered must not outlive its rows in the output cache


# --- Reading policies and pages ----------------------------------------------------------------------------
def policy(response, header="Content-Security-Policy") -> dict[str, list[str]]:
    assert header in response, f"no {header} on {response.status_code} {response.get('Content-Type')}"
    directives = {}
    for part in response[header].split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} twice"
        directives[name] = values
    return directives


def nonce_of(directives) -> str:
    nonces = [v[len("'nonce-") : -1] for v in directives["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, directives["script-src"]
    return nonces[0]


def permissions(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


class Inline(HTMLParser):
    """What a CSP without 'unsafe-inline' refuses: inline scripts (without the nonce), event-handler
    attributes, javascript: URLs, <style> elements and style attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.data_blocks, self.styles = [], [], []
        self.handlers, self.style_attrs, self.js_urls = [], [], []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs_dict = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            elif name == "style":
                self.style_attrs.append(f"<{tag} style={value!r}>")
            elif name in URL_ATTRS and (value or "").strip().lower().startswith("javascript:"):
                self.js_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and "src" not in attrs_dict:
            self._open = attrs_dict
        elif tag == "style":
            self.styles.append(attrs_dict)

    def handle_data(self, data):
        if self._open is not None:
            kind = (self._open.get("type") or "").strip().lower()
            (self.scripts if kind in EXECUTABLE_TYPES else self.data_blocks).append((self._open, data))
            self._open = None

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:  # an empty inline script
            self.scripts.append((self._open, ""))
            self._open = None


def inline(html: str) -> Inline:
    parser = Inline()
    parser.feed(html)
    return parser


def get(client, world, name):
    response = client.get(world[name])
    assert response.status_code == (404 if name == "not_found" else 200), (name, response.status_code)
    return response


# --- The public site ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_carries_the_strict_policy(world, name):
    directives = policy(get(Client(), world, name))
    assert directives["default-src"] == ["'self'"]
    script_src = directives["script-src"]
    assert script_src[0] == "'self'" and script_src[1].startswith("'nonce-") and len(script_src) == 2
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-src"] == ["'self'", *settings.VIDEO_PLAYER_ORIGINS]
    assert directives["object-src"] == ["'none'"]
    for name_ in ("base-uri", "form-action", "frame-ancestors"):
        assert directives[name_] == ["'self'"], name_
    everything = " ".join(" ".join(values) for values in directives.values())
    for loophole in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
        assert loophole not in everything.split(), loophole


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_nothing_on_a_public_page_runs_inline_without_the_nonce(world, name):
    response = get(Client(), world, name)
    nonce = nonce_of(policy(response))
    found = inline(response.content.decode())
    assert [attrs for attrs, _ in found.scripts if attrs.get("nonce") != nonce] == []
    assert found.handlers == [] and found.js_urls == []
    assert found.styles == [] and found.style_attrs == []
    # JSON-LD and Swagger's settings are data blocks: browsers never run them, CSP does not apply.
    assert {attrs.get("type") for attrs, _ in found.data_blocks} <= {"application/ld+json", "application/json"}
    if name in ("standard", "case_study", "api_docs"):  # the FAQ's and the case study's JSON-LD, Swagger's settings
        assert found.data_blocks


def test_each_response_has_a_nonce_of_its_own_also_from_the_output_cache(world):
    client = Client()
    nonces = [nonce_of(policy(get(client, world, name))) for name in PUBLIC_PAGES]
    # The second request for a page is answered from the output cache, without rendering a template.
    nonces += [nonce_of(policy(get(client, world, name))) for name in ("home", "standard", "case_study")]
    assert len(set(nonces)) == len(nonces)
    assert all(len(nonce) >= 22 for nonce in nonces)  # 16 random bytes, base64


def test_the_error_page_is_styled_from_a_file_under_the_policy(world, monkeypatch):
    from cms.models import HomePage

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    cache.clear()  # rendered, not answered from the output cache
    monkeypatch.setattr(HomePage, "get_context", explode)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    nonce_of(policy(response))
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/css/error.css">' in html
    assert not inline(html).styles and (ROOT / "site" / "static" / "css" / "error.css").exists()


def test_the_watch_page_keeps_its_scripts_in_a_file(world):
    client = Client()
    live = get(client, world, "watch").content.decode()
    assert "data-attendance" in live and "/static/js/watch.js" in live
    preview = get(client, world, "watch_preview").content.decode()
    assert 'data-preview-seconds="60"' in preview and "/static/js/watch.js" in preview
    watch_js = (ROOT / "site" / "static" / "js" / "watch.js").read_text()
    assert "[data-attendance]" in watch_js and "[data-preview-seconds]" in watch_js


def test_the_api_docs_serve_swagger_from_our_own_static_files(world):
    html = get(Client(), world, "api_docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "cdn." not in html and "https://" not in html


def test_htmx_is_told_to_add_no_style_and_evaluate_nothing(world):
    html = get(Client(), world, "events").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1)
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
    css = (ROOT / "site" / "static" / "css" / "site.css").read_text()
    assert ".htmx-indicator {" in css  # the indicator rules htmx would otherwise inject


def test_no_site_template_holds_an_inline_script_or_style():
    """Pages are served from the output cache, HTML and all: a nonce written into a page would be the one
    of the response that filled the cache, and browsers would refuse that script for everyone after.
    So the public site's templates hold no inline script at all (JSON-LD is a tag, data only), no
    <style> and no style attribute; this is checked on the templates themselves, for pages no test renders."""
    offenders = []
    for template in sorted((ROOT / "site" / "templates").rglob("*.html")):
        found = inline(template.read_text())
        for what in (found.scripts, found.styles, found.style_attrs, found.handlers, found.js_urls):
            offenders += [f"{template.relative_to(ROOT)}: {item}" for item in what]
    assert offenders == []


def test_no_template_of_ours_has_an_inline_event_handler():
    """Neither policy runs onclick= and friends (the admin's says script-src-attr 'none')."""
    offenders = []
    for folder in ("site", "cms", "core", "events", "forms", "leads", "personalization", "sales"):
        for template in sorted((ROOT / folder).glob("**/templates/**/*.html")):
            found = inline(template.read_text())
            offenders += [f"{template.relative_to(ROOT)}: {item}" for item in found.handlers + found.js_urls]
    assert offenders == []


# --- The Wagtail admin ---------------------------------------------------------------------------------------
@pytest.fixture
def admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("csp-admin", "csp-admin@example.com", "pw-csp-123")
    client.force_login(user)
    return client


def admin_urls(world):
    objects = world["objects"]
    return [
        "/admin/",
        f"/admin/pages/{objects['whitepaper'].pk}/edit/",
        "/admin/leads/person/",
        f"/admin/events/edit/{objects['meetup'].pk}/",
        f"/admin/events/{objects['meetup'].pk}/check-in/",
        "/admin/reports/content/",  # the variant statistics live here now
        "/admin/reports/",  # the dashboard: inline SVG charts, no script
        "/admin/reports/attribution/",
    ]


def test_the_admin_works_under_its_own_policy(world, admin):
    for url in admin_urls(world):
        response = admin.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["script-src"] == ["'self'", "'unsafe-inline'"], url  # Wagtail's own inline scripts
        assert directives["script-src-attr"] == ["'none'"]  # ...but no inline handlers
        assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
        assert directives["img-src"] == ["'self'", "data:", "blob:"]
        assert not any(v.startswith("'nonce-") for values in directives.values() for v in values)
        assert "'unsafe-eval'" not in " ".join(" ".join(v) for v in directives.values())
        for name in ("base-uri", "form-action", "frame-ancestors"):
            assert directives[name] == ["'self'"], (url, name)
        assert directives["object-src"] == ["'none'"] and directives["default-src"] == ["'self'"]


def test_the_admin_login_page_has_the_admin_policy_too():
    directives = policy(Client().get("/admin/login/"))
    assert "'unsafe-inline'" in directives["script-src"]


def test_the_admin_loads_no_avatar_from_gravatar(world, admin):
    assert "gravatar" not in admin.get("/admin/").content.decode()


def test_the_admin_frames_the_headless_front_end_it_previews_in():
    """HEADLESS_PREVIEW_URL's origin is read when the settings load: a fresh interpreter shows it."""
    import os
    import subprocess
    import sys

    code = (
        "from cms.settings import base; print(' '.join(base.CONTENT_SECURITY_POLICY_ADMIN['DIRECTIVES']['frame-src']))"
    )
    env = {**os.environ, "HEADLESS_PREVIEW_URL": "https://www.example.com/api/preview?x=1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["'self'", *settings.VIDEO_PLAYER_ORIGINS, "https://www.example.com"]


# --- Permissions-Policy ------------------------------------------------------------------------------------
DENIED = (
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "browsing-topics",
    "serial",
    "hid",
    "midi",
    "display-capture",
    "accelerometer",
    "gyroscope",
    "magnetometer",
)


@pytest.mark.parametrize("name", ["home", "whitepaper", "event", "watch", "ticket", "api_docs", "not_found"])
def test_public_pages_switch_off_the_features_nobody_needs(world, name):
    features = permissions(get(Client(), world, name))
    for feature in DENIED:
        assert features[feature] == "()", feature
    players = '(self "https://www.youtube-nocookie.com" "https://player.vimeo.com")'
    for feature in ("autoplay", "fullscreen", "picture-in-picture", "encrypted-media"):
        assert features[feature] == players, feature  # the video players (after the visitor pressed play)


def test_only_the_check_in_screen_may_use_the_camera(world, admin):
    meetup = world["objects"]["meetup"]
    door = permissions(admin.get(f"/admin/events/{meetup.pk}/check-in/"))
    assert door["camera"] == "(self)"
    assert all(door[feature] == "()" for feature in DENIED if feature != "camera")
    for url in ("/admin/", f"/admin/events/edit/{meetup.pk}/", f"/admin/events/{meetup.pk}/register/"):
        assert permissions(admin.get(url))["camera"] == "()", url
