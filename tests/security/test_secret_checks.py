"""A configuration that would sign with an empty (or short) key is refused by Django's check framework.

`CRM_WEBHOOK_URL` set with an empty `CRM_WEBHOOK_SECRET` used to sign every push with the empty key,
and nothing said so.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD = secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "overrides,variable",
    [
        ({"CRM_WEBHOOK_URL": "https://crm.example/hook", "CRM_WEBHOOK_SECRET": ""}, "CRM_WEBHOOK_SECRET"),
        ({"CRM_WEBHOOK_URL": "https://crm.example/hook", "CRM_WEBHOOK_SECRET": "   "}, "CRM_WEBHOOK_SECRET"),
        ({"LEAD_INTAKE_SECRETS": {"linkedin": ""}}, "LEAD_INTAKE_SECRETS (linkedin)"),
        ({"PERSONALIZATION_API_TOKENS": [""]}, "PERSONALIZATION_API_TOKENS (token 1)"),
    ],
)
def test_an_empty_secret_in_use_fails_the_checks_naming_it(settings, overrides, variable):
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(SystemCheckError, match=re.escape(f"{variable} is empty")):
        call_command("check")


def test_an_unused_empty_secret_is_fine(settings):
    settings.CRM_WEBHOOK_URL, settings.CRM_WEBHOOK_SECRET = "", ""
    call_command("check")  # no CRM configured: nothing is signed


def test_a_short_secret_fails_the_deploy_checks_only(settings):
    settings.CRM_WEBHOOK_URL, settings.CRM_WEBHOOK_SECRET = "https://crm.example/hook", "hunter2"
    call_command("check")
    with pytest.raises(SystemCheckError, match="CRM_WEBHOOK_SECRET has 7 characters"):
        call_command("check", deploy=True, tags=["security"], fail_level="ERROR")


def deploy_check(**environment) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` with production settings, as an operator runs it."""
    # A clean environment, as on a server: the test run's own variables (e.g. DJANGO_ALLOW_ASYNC_UNSAFE,
    # which the browser tests set and check --deploy rightly refuses) are not the deployment's.
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "www.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://www.example.com",
            **environment,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_settings_is_clean_and_refuses_an_empty_crm_secret():
    clean = deploy_check(
        CRM_WEBHOOK_URL="https://crm.example/hook", CRM_WEBHOOK_SECRET=GOOD, LEAD_INTAKE_SECRETS=f"linkedin={GOOD}"
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no issues" in clean.stdout

    empty = deploy_check(CRM_WEBHOOK_URL="https://crm.example/hook", CRM_WEBHOOK_SECRET="")
    assert empty.returncode != 0
    assert "CRM_WEBHOOK_SECRET is empty" in empty.stderr
