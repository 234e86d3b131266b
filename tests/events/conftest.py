import re
from html import unescape

import pytest
from django.core.cache import cache
from django.test import Client, TestCase

from cms.event_pages import event_pages_sync
from tests.factories import EventFactory

INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def committed():
    """Run on-commit callbacks (emails are queued after commit) at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.FORMS_MIN_FILL_SECONDS = 0
    settings.SITE_BASE_URL = "http://testserver"
    yield
    cache.clear()


def hidden_inputs(html: str) -> dict:
    values = {}
    for tag in INPUT.findall(html):
        attrs = {k: unescape(v) for k, v in ATTR.findall(tag)}
        if attrs.get("type") == "hidden" and attrs.get("name"):
            values[attrs["name"]] = attrs.get("value", "")
    return values


def answers(n: int | str, **extra) -> dict:
    return {
        "work_email": f"attendee{n}@meridian-bank.de",
        "first_name": f"Ana{n}",
        "last_name": "Silva",
        "company": "Meridian Bank",
        **extra,
    }


def register(page, client=None, **fields):
    """A visitor opens the landing page and sends the registration form (as a browser would)."""
    client = client or Client()
    with committed():
        response = client.get(page.url)
    assert response.status_code == 200, response.status_code
    data = {**hidden_inputs(response.content.decode()), **answers(fields.pop("n", 1)), **fields}
    with committed():
        return client.post(page.url, data)


def generated_page(event, *, publish=True):
    with committed():
        [(_, page, _)] = event_pages_sync([event], publish=publish)
    page.refresh_from_db()
    return page


@pytest.fixture
def event(home_page):
    return EventFactory(title="RevOps Meetup Berlin", capacity=3)


@pytest.fixture
def event_page(event):
    return generated_page(event)


# --- Helpers for the behaviour tests (services, links, emails, schedule) ----------------------
def sign_up(event, n, **fields):
    """Register guest n through the service (fast; the landing page is tested with `register`)."""
    from events.services import registration_create

    fields.setdefault("first_name", f"Guest{n}")
    email = fields.pop("email", f"guest{n}@northwind-test.de")
    return registration_create(event, email=email, **fields).registration


def mails_to(address):
    from django.core import mail

    return [message for message in mail.outbox if address in message.to]


def delivery_kinds(registration):
    """The kinds of event email written to the outbox for this registration, in order (without "events.")."""
    from outbox.models import OutgoingEmail

    kinds = OutgoingEmail.objects.filter(registration=registration).order_by("pk").values_list("kind", flat=True)
    return [kind.removeprefix("events.") for kind in kinds]


def fresh(instance):
    instance.refresh_from_db()
    return instance


def path_of(url):
    """The path of an absolute link (what the test client requests)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
