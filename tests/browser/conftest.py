import os
import threading
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test.client import AsyncClientHandler, ClientHandler

_CLIENT_HANDLERS = (ClientHandler, AsyncClientHandler)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous calls, so Django's async-safety guard is lifted for browser tests.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _RequestsInFlight:
    """Requests the live server is answering, one at a time on SQLite.

    On SQLite's in-memory test database every live-server thread shares the test's one connection. Two
    requests at once (a page's parallel fragments, a count fetched as the user types), or a request still
    running when the test ends (a page left polling, a beacon sent as it closed), would enter and leave
    transactions on that connection at the same time and leave it half in one ("on_commit() cannot be used
    in manual transaction management" in every later test). So on SQLite requests take turns, and each
    test ends by waiting for the last one."""

    def __init__(self):
        self.count = 0
        self.idle = threading.Condition()
        self.turn = threading.Lock()
        self.holding = threading.local()

    @staticmethod
    def _served(sender) -> bool:
        # The live server's threads, not the test client (which answers in the test's own thread).
        return threading.current_thread() is not threading.main_thread() and sender not in _CLIENT_HANDLERS

    def started(self, sender, **kwargs):
        if not self._served(sender):
            return
        with self.idle:
            self.count += 1
        if connection.vendor == "sqlite":
            self.turn.acquire()
            self.holding.turn = True

    def finished(self, sender, **kwargs):
        if not self._served(sender):
            return
        if getattr(self.holding, "turn", False):
            self.holding.turn = False
            self.turn.release()
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.count <= 0, timeout)


_in_flight = _RequestsInFlight()
request_started.connect(_in_flight.started, dispatch_uid="browser-tests-request-started")
request_finished.connect(_in_flight.finished, dispatch_uid="browser-tests-request-finished")


@pytest.fixture(autouse=True)
def pages_closed_and_server_idle(request, transactional_db):
    """After each browser test (before its database is emptied): close every page it opened, so nothing
    keeps polling into the next test, and wait for the requests already sent to be answered."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()
    assert _in_flight.wait_idle(timeout=30), f"{_in_flight.count} request(s) still running 30 s after the test"
