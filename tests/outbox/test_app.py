"""The outbox as a shared app: it depends on nothing of ours (every app may send mail through it), it
warns when a hung send could outlive the sweep's patience, and cron can run its sweep."""

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

OUTBOX = Path(__file__).resolve().parents[2] / "outbox"
OURS = {"cms", "core", "events", "forms", "leads", "personalization", "sales"}
# The admin screen alone reads the product's personal-data rule, to mask addresses.
ADMIN_MODULES = {"admin_views.py", "wagtail_hooks.py"}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_outbox_depends_on_nothing_of_ours():
    modules = [path for path in OUTBOX.rglob("*.py") if path.name not in ADMIN_MODULES]
    assert len(modules) > 5
    for path in modules:
        ours = imported_packages(path) & OURS
        assert not ours, f"{path.relative_to(OUTBOX)} imports {ours}"
    for name in ADMIN_MODULES:
        assert imported_packages(OUTBOX / name) & OURS <= {"leads"}, name


@pytest.mark.parametrize(
    ("email_timeout", "sending_timeout", "warned"),
    [
        (30, 15, False),
        (None, 15, True),
        (600, 15, True),
        (60, 5, False),
    ],
)
def test_a_send_that_could_outlive_the_sending_timeout_is_warned_about(
    settings, email_timeout, sending_timeout, warned
):
    settings.EMAIL_TIMEOUT, settings.OUTBOX_SENDING_TIMEOUT_MINUTES = email_timeout, sending_timeout
    ids = [message.id for message in run_checks()]
    assert ("outbox.W001" in ids) is warned


@pytest.mark.django_db
def test_the_sweep_command_prints_what_it_queued_again():
    out = StringIO()
    call_command("outbox_sweep", stdout=out)
    assert out.getvalue().strip() == "re-queued: 0"
