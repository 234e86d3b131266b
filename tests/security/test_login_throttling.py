"""Repeated wrong passwords lock the admin sign-in, by account and by address, and the lock-out is logged.

Thirty wrong passwords and then the right one used to be accepted.
"""

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "pw-correct-horse-123"


@pytest.fixture(autouse=True)
def _no_lock_outs_remembered():
    cache.clear()  # the lock-out log is written once per lock-out, remembered in the cache
    yield
    cache.clear()


@pytest.fixture
def staff(django_user_model):
    return {
        name: django_user_model.objects.create_superuser(name, f"{name}@example.com", PASSWORD)
        for name in ("ada", "bob")
    }


def attempt(username, password, address="203.0.113.5"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    signed_in = client.get("/admin/").status_code == 200
    return response, signed_in


def test_thirty_wrong_passwords_then_the_right_one_is_refused(staff, settings, caplog):
    for _ in range(30):
        response, signed_in = attempt("ada", "wrong")
        assert not signed_in
    with caplog.at_level(logging.WARNING, logger="signalpage.security"):
        response, signed_in = attempt("ada", PASSWORD)
    assert response.status_code == 429 and not signed_in
    assert "Sign-in is paused" in response.content.decode()
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in response.content.decode()

    entry = ModelLogEntry.objects.get(action="signalpage.login_locked_out")
    assert entry.object_id == str(staff["ada"].pk) and entry.data["address"] == "203.0.113.5"


def test_the_lock_out_is_logged_once_it_happens(staff, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="signalpage.security"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("ada", "wrong")
    assert any("locked out" in record.getMessage() and "ada" in record.getMessage() for record in caplog.records)


def test_the_account_is_locked_from_every_address_and_the_address_for_every_account(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("ada", "wrong", address="203.0.113.5")
    assert attempt("ada", PASSWORD, address="198.51.100.9")[1] is False  # the account, elsewhere
    assert attempt("bob", PASSWORD, address="203.0.113.5")[1] is False  # the address, another account
    assert attempt("bob", PASSWORD, address="198.51.100.9")[1] is True  # neither


def test_below_the_limit_the_right_password_works_and_after_the_cool_off_too(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt("ada", "wrong")
    assert attempt("ada", PASSWORD)[1] is True

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("bob", "wrong", address="192.0.2.7")
    assert attempt("bob", PASSWORD, address="192.0.2.8")[1] is False
    with freeze_time(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert attempt("bob", PASSWORD, address="192.0.2.8")[1] is True
