"""Background workers: the documented command runs every queue, and a dead worker's work is taken up again.

Two faults this closes: `manage.py db_worker`, as the README gave it, exited with "Backend 'default'
is not a database backend" (no lead processed, no email or CRM push sent); and a worker killed with
`kill -9` mid-task left its task RUNNING and its lead "received" for ever.
"""

import io
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.models import WorkerHeartbeat
from core.workers import heartbeat, tasks_of_dead_workers_release
from leads.models import Interaction, Lead
from leads.services import lead_capture

ROOT = Path(__file__).resolve().parent.parent.parent
IMMEDIATE = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
DATABASE_QUEUE = {
    "default": IMMEDIATE,
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}


@pytest.fixture
def database_queue(settings):
    """The product's background work on the database queue, as in production."""
    settings.TASKS = DATABASE_QUEUE


def capture(email="jana@meridian-bank.de") -> Lead:
    return lead_capture(source="form", payload={"email": email, "first_name": "Jana", "company": "Meridian Bank"})


# The worker checks its connection between tasks as Django does after a request (close_old_connections),
# which closes a connection left inside a transaction: tests that run it commit for real.
runs_a_worker = pytest.mark.django_db(transaction=True)


def run_worker_until_idle():
    out = io.StringIO()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out, stderr=out)
    return out.getvalue()


# --- In the test process (SQLite and PostgreSQL) ----------------------------------------------------


@runs_a_worker
def test_the_worker_serves_the_products_queue_by_default(database_queue):
    lead = capture()
    assert lead.status == "received"
    task = DBTaskResult.objects.get()
    assert (task.backend_name, task.status) == ("background", TaskResultStatus.READY)

    run_worker_until_idle()
    lead.refresh_from_db()
    assert lead.status == "processed" and lead.person is not None
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL
    assert not WorkerHeartbeat.objects.exists(), "a worker that stops cleanly leaves no heartbeat behind"


@pytest.mark.django_db
def test_without_a_database_queue_the_command_says_why(settings):
    settings.TASKS = {"default": IMMEDIATE, "background": IMMEDIATE}
    with pytest.raises(CommandError, match="No task backend uses the database queue"):
        call_command("db_worker", "--batch", "--no-reload")


@runs_a_worker
def test_a_task_held_by_a_dead_worker_is_queued_again_and_finished(database_queue):
    lead = capture()
    task = DBTaskResult.objects.get()
    task.claim("worker-killed-mid-task")  # what a worker does before running it; then kill -9
    now = timezone.now()
    heartbeat("worker-killed-mid-task", backend="background", queues="*", now=now)

    assert tasks_of_dead_workers_release(now + timedelta(seconds=30)) == {"requeued": 0, "failed": 0}, (
        "its heartbeat is fresh: it is alive, however long the task takes"
    )
    assert tasks_of_dead_workers_release(now + timedelta(minutes=3)) == {"requeued": 1, "failed": 0}
    assert DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.READY

    run_worker_until_idle()
    lead.refresh_from_db()
    task.refresh_from_db()
    assert lead.status == "processed" and Lead.objects.count() == 1
    assert task.status == TaskResultStatus.SUCCESSFUL and task.worker_ids[0] == "worker-killed-mid-task"


@pytest.mark.django_db
def test_a_task_that_takes_its_worker_down_every_time_ends_failed_with_the_reason(database_queue, settings):
    capture()
    task = DBTaskResult.objects.get()
    for number in range(settings.WORKER_MAX_TASK_RUNS):
        task.claim(f"worker-{number}")
    assert tasks_of_dead_workers_release(timezone.now() + timedelta(minutes=3)) == {"requeued": 0, "failed": 1}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert "stopped without finishing it, 3 times" in task.traceback


@pytest.mark.django_db
def test_the_stale_work_command_processes_leads_whose_task_was_lost(database_queue):
    lead = capture()
    DBTaskResult.objects.all().delete()  # the task is gone (a queue outage, a pruned table)
    Lead.objects.filter(pk=lead.pk).update(received_at=timezone.now() - timedelta(minutes=20))
    out = io.StringIO()
    call_command("sweep_stale_work", stdout=out)
    lead.refresh_from_db()
    assert lead.status == "processed"
    assert "leads.services.capture.leads_unprocessed_sweep: 1" in out.getvalue()

    call_command("sweep_stale_work", stdout=io.StringIO())  # twice: nothing processed twice
    assert Interaction.objects.filter(lead=lead).count() == 1
    assert Lead.objects.get(pk=lead.pk).attempts == 1


# --- Real worker processes, as an operator starts them (PostgreSQL: they share the test database) ---

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes need a database another process can open"
)


def worker_environment(**extra) -> dict:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": url,
            "ALLOWED_HOSTS": "localhost",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_SWEEP_SECONDS": "1",
            "WORKER_DEAD_AFTER_SECONDS": "3",
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def start_worker() -> subprocess.Popen:
    """`manage.py db_worker`, exactly as the README and docs/operations.md give it."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker"],
        cwd=ROOT,
        env=worker_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)  # polling another process, not waiting for a fixed time
    raise AssertionError(f"gave up waiting for {what}")


def stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)
    return output


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_documented_worker_command_starts_and_processes_leads(database_queue):
    lead = capture()
    worker = start_worker()
    try:
        wait_for(lambda: Lead.objects.get(pk=lead.pk).status == "processed", "the worker to process the lead")
        assert WorkerHeartbeat.objects.count() == 1
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output
    assert not WorkerHeartbeat.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_has_its_task_run_again_by_another(database_queue, tmp_path):
    from tests.core.holding import hold_until

    release, done = tmp_path / "release", tmp_path / "done"
    result = hold_until.enqueue(str(release), str(done))
    first = start_worker()
    try:
        wait_for(
            lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING,
            "the first worker to take the task",
        )
    finally:
        first.kill()  # kill -9: no clean-up, the task stays RUNNING
        first.communicate(timeout=60)
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING

    release.write_text("go")
    second = start_worker()
    try:
        wait_for(
            lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL,
            "the second worker to take the dead worker's task",
        )
    finally:
        output = stop(second)
    assert second.returncode == 0, output
    task = DBTaskResult.objects.get(pk=result.id)
    assert len(task.worker_ids) == 2 and task.worker_ids[0] != task.worker_ids[1]
    assert done.read_text() == "done"


@pytest.mark.django_db
def test_finished_task_rows_are_pruned_by_the_documented_command(database_queue):
    old = timezone.now() - timedelta(days=30)
    for status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY):
        DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="background",
            task_path="leads.tasks.process_lead",
            run_after=old,
            finished_at=old,
            queue_name="default",
        )
    call_command("prune_db_task_results", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == [TaskResultStatus.READY]


@pytest.mark.django_db
def test_pruning_without_a_database_queue_says_why(settings):
    settings.TASKS = {"default": IMMEDIATE, "background": IMMEDIATE}
    with pytest.raises(CommandError, match="No task backend uses the database queue"):
        call_command("prune_db_task_results")


@pytest.mark.django_db
def test_a_lead_whose_processing_failed_is_retried_with_backoff_then_left_failed(database_queue, monkeypatch):
    from leads.services import capture as capture_module
    from leads.services.capture import MAX_AUTOMATIC_ATTEMPTS, leads_unprocessed_sweep

    lead = capture()
    monkeypatch.setattr(
        capture_module, "person_resolve", lambda cleaned: (_ for _ in ()).throw(RuntimeError("enrichment down"))
    )
    capture_module.lead_process(lead)
    lead.refresh_from_db()
    assert (lead.status, lead.attempts) == ("failed", 1)
    arrived = lead.received_at
    assert leads_unprocessed_sweep(arrived + timedelta(minutes=20)) == 0, "not before its backoff"
    assert leads_unprocessed_sweep(arrived + timedelta(minutes=31)) == 1  # 15 x 2^1
    for _ in range(10):
        leads_unprocessed_sweep(arrived + timedelta(days=1))
    lead.refresh_from_db()
    assert (lead.status, lead.attempts) == ("failed", MAX_AUTOMATIC_ATTEMPTS)

    monkeypatch.undo()  # fixed: the next retry by hand processes it
    call_command("reprocess_leads", stdout=io.StringIO())
    assert Lead.objects.get(pk=lead.pk).status == "processed"
