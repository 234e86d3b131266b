"""Absolute links point where the site is served: in development (`make run PORT=8765`) the request's host
and port, or SITE_BASE_URL without a request; in production the configured base URLs, whatever Host a
client sends."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from icalendar import Calendar
from wagtail.models import Site

from tests.events.conftest import generated_page
from tests.factories import DocumentFactory, EventFactory, WhitepaperPageFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
SERVED = "http://127.0.0.1:8765"  # where `make run PORT=8765` serves the demo


@pytest.fixture
def demo_site_on_8000(home_page):
    """The demo's Site record as a first `make run` (port 8000) left it."""
    Site.objects.update(hostname="127.0.0.1", port=8000)
    return home_page


@pytest.fixture
def paper(demo_site_on_8000, whitepaper_index):
    return WhitepaperPageFactory(
        parent=whitepaper_index,
        title="RevOps benchmark",
        slug="revops-benchmark",
        gated=False,
        document=DocumentFactory(),
    )


def served(path, **headers):
    return Client().get(path, HTTP_HOST="127.0.0.1:8765", **headers)


def absolute_urls(data) -> set[str]:
    return set(re.findall(r'"(https?://[^"]+)"', json.dumps(data)))


def test_in_development_the_api_links_to_the_host_and_port_it_was_asked_on(settings, paper):
    settings.DEBUG = True
    settings.SITE_BASE_URL = settings.WAGTAILAPI_BASE_URL = settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"

    listing = served("/api/v2/pages/?type=cms.WhitepaperPage&fields=cover_image,document").json()
    detail = served(f"/api/v2/pages/{paper.pk}/").json()
    image = served(f"/api/v2/images/{paper.cover_image_id}/").json()
    documents = served("/api/v2/documents/").json()

    item = listing["items"][0]
    assert item["meta"]["detail_url"] == f"{SERVED}/api/v2/pages/{paper.pk}/"
    assert item["meta"]["html_url"] == f"{SERVED}/whitepapers/revops-benchmark/"
    assert item["cover_image"]["renditions"]["card"]["url"].startswith(f"{SERVED}/media/images/")
    assert detail["meta"]["parent"]["meta"]["detail_url"].startswith(f"{SERVED}/api/v2/pages/")
    assert image["meta"]["detail_url"] == f"{SERVED}/api/v2/images/{paper.cover_image_id}/"
    assert documents["items"][0]["meta"]["download_url"].startswith(f"{SERVED}/documents/")
    links = absolute_urls([listing, detail, image, documents])
    assert links and all(url.startswith(SERVED + "/") for url in links), links


def test_in_development_pages_link_to_the_host_and_port_they_are_served_on(settings, paper):
    settings.DEBUG = True
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"

    html = served(paper.url).content.decode()

    [structured] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(structured)
    assert data["url"] == f"{SERVED}/whitepapers/revops-benchmark/"
    assert data["image"].startswith(f"{SERVED}/media/images/")
    assert "127.0.0.1:8000" not in served("/sitemap.xml").content.decode()


def test_in_development_links_made_without_a_request_use_site_base_url(settings, demo_site_on_8000):
    """Calendar files and emails: SITE_BASE_URL, which `make run` sets from its PORT."""
    settings.DEBUG = True
    settings.SITE_BASE_URL = SERVED
    event = EventFactory(title="RevOps Meetup Berlin")
    page = generated_page(event)
    assert page.full_url == f"{SERVED}/events/{page.slug}/"

    response = served(f"/e/{event.pk}/calendar.ics")

    [item] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(item["url"]) == f"{SERVED}/events/{page.slug}/"
    assert str(item["uid"]) == f"event-{event.pk}@127.0.0.1"


def test_in_production_links_follow_the_configuration_not_the_host_header(settings, paper):
    settings.WAGTAILAPI_BASE_URL = settings.WAGTAILADMIN_BASE_URL = "https://www.example.com"
    Site.objects.update(hostname="www.example.com", port=443)

    listing = (
        Client().get("/api/v2/pages/?type=cms.WhitepaperPage&fields=cover_image", HTTP_HOST="attacker.example").json()
    )

    links = absolute_urls(listing)
    assert links and all(url.startswith("https://www.example.com/") for url in links), links


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_and_links_on_the_same_port():
    """Every step of `make run PORT=8765` (the demo's Site, runserver, emails sent from its requests) gets
    the base URL of that port; the settings derive the site's and the API's from it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"WAGTAILADMIN_BASE_URL", "SITE_BASE_URL", "WAGTAILAPI_BASE_URL", "MAKEFLAGS", "MFLAGS"}
    }
    steps = subprocess.run(
        ["make", "-s", "-o", "install", "run", "PORT=8765", "MANAGE=echo $$WAGTAILADMIN_BASE_URL"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in steps] == [
        "migrate --noinput",
        "load_demo",
        "collectstatic --noinput --verbosity 0",
        "runserver 127.0.0.1:8765",
    ]
    assert all(line.startswith(SERVED + " ") for line in steps), steps

    derived = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.SITE_BASE_URL, settings.WAGTAILAPI_BASE_URL)",
        ],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "cms.settings.dev", "WAGTAILADMIN_BASE_URL": SERVED},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert derived == [SERVED, SERVED]
