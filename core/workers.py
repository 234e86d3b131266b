"""Background workers: heartbeats, and taking up again the work a dead worker held.

django-tasks-db's worker claims a task by marking it RUNNING with its worker id, and nothing looks at
it again: a worker killed mid-task (`kill -9`, out of memory, a lost machine) leaves the task RUNNING
for ever, and whatever it was doing (a lead, an email, an import) waits with it. So every worker
started with `manage.py db_worker` (core/management/commands/db_worker.py) runs a companion thread
that, whatever the worker is busy with:

1. writes the worker's heartbeat every WORKER_HEARTBEAT_SECONDS;
2. every WORKER_SWEEP_SECONDS, puts back to READY the RUNNING tasks of workers whose heartbeat is older
   than WORKER_DEAD_AFTER_SECONDS, so another worker runs them again (a task that has already taken
   WORKER_MAX_TASK_RUNS workers down with it is marked FAILED instead, with the reason), and queues
   the stale-work sweep (`core.tasks.sweep_stale_work`), which runs each app's sweep named in
   WORKER_SWEEPS: emails the outbox still owes, CRM pushes whose task was lost, captured leads that
   were never processed.

Delivery is at least once: every task body is written to be run again after its worker died (it
claims its record with a conditional update, resumes from saved progress, or finds the work done).
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import WorkerHeartbeat

logger = logging.getLogger("signalpage.workers")

SWEEP_TASK_PATH = "core.tasks.sweep_stale_work"
FORGET_HEARTBEATS_AFTER = timedelta(days=1)


def database_backend_aliases() -> list[str]:
    """The task backend aliases whose queue is the database (the ones a db_worker can serve)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return [alias for alias in settings.TASKS if isinstance(task_backends[alias], DatabaseBackend)]


def product_backend_alias() -> str | None:
    """The queue the product's own work goes to ("background"), when it is the database queue."""
    aliases = database_backend_aliases()
    return "background" if "background" in aliases else (aliases[0] if aliases else None)


# --- Heartbeats ----------------------------------------------------------------------------------


def heartbeat(worker_id: str, *, backend: str, queues: str, tasks_run: int = 0, now=None) -> None:
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen_at=now, tasks_run=tasks_run)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            backend=backend,
            queues=queues[:255],
            started_at=now,
            last_seen_at=now,
            tasks_run=tasks_run,
        )


def heartbeat_forget(worker_id: str) -> None:
    """A worker that stops cleanly has finished its task: it leaves nothing to take over."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def dead_after() -> timedelta:
    return timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)


# --- Taking up a dead worker's tasks ---------------------------------------------------------------


def tasks_of_dead_workers_release(now=None) -> dict[str, int]:
    """Put the RUNNING tasks of workers that stopped beating back in the queue (or fail them after too
    many runs). A task is left alone while its worker's heartbeat is fresh, however long it runs."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    threshold = now - dead_after()
    alive = set(WorkerHeartbeat.objects.filter(last_seen_at__gte=threshold).values_list("worker_id", flat=True))
    counts = {"requeued": 0, "failed": 0}
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=threshold, backend_name__in=database_backend_aliases()
    )
    for task_id, worker_ids, started_at, task_path in running.values_list(
        "id", "worker_ids", "started_at", "task_path"
    ):
        if worker_ids and worker_ids[-1] in alive:
            continue
        same_claim = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at)
        if len(worker_ids or []) >= settings.WORKER_MAX_TASK_RUNS:
            reason = (
                f"The worker running this task stopped without finishing it, {len(worker_ids)} times "
                f"(workers {', '.join(worker_ids)}): not run again."
            )
            if same_claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                traceback=reason,
                exception_class_path="core.workers.WorkerDied",
            ):
                counts["failed"] += 1
                logger.error("Task %s (%s) failed: %s", task_id, task_path, reason)
        elif same_claim.update(status=TaskResultStatus.READY):
            counts["requeued"] += 1
            logger.warning(
                "Task %s (%s) was held by worker %s, which stopped beating: queued again",
                task_id,
                task_path,
                (worker_ids or ["?"])[-1],
            )
    return counts


def heartbeats_prune(now=None) -> int:
    return WorkerHeartbeat.objects.filter(last_seen_at__lt=(now or timezone.now()) - FORGET_HEARTBEATS_AFTER).delete()[
        0
    ]


# --- The apps' own sweeps -------------------------------------------------------------------------


def stale_work_sweep() -> dict[str, object]:
    """Run every sweep named in WORKER_SWEEPS (each cheap when there is nothing to do, and safe to run
    twice at once); one failing sweep is logged and does not stop the others."""
    results: dict[str, object] = {}
    for path in settings.WORKER_SWEEPS:
        try:
            results[path] = import_string(path)()
        except Exception as error:  # a sweep that fails is retried at the next sweep
            logger.exception("Sweep %s failed", path)
            results[path] = f"failed: {type(error).__name__}: {error}"
    results["heartbeats pruned"] = heartbeats_prune()
    return results


def sweep_queue() -> bool:
    """Queue the stale-work sweep unless one is already waiting or running. Returns whether it did."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from core.tasks import sweep_stale_work

    pending = DBTaskResult.objects.filter(
        task_path=SWEEP_TASK_PATH, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    if pending.exists():
        return False
    sweep_stale_work.enqueue()
    return True


# --- The companion thread of every worker ---------------------------------------------------------


class WorkerCompanion(threading.Thread):
    """Beats for a worker and sweeps, in a thread of its own so a long task never stops either."""

    def __init__(self, worker):
        super().__init__(name=f"worker-companion-{worker.worker_id[:8]}", daemon=True)
        self.worker = worker
        self.stopping = threading.Event()

    def run(self):
        last_sweep = None
        try:
            while not self.stopping.is_set():
                now = timezone.now()
                self._safely(self._beat, now)
                if last_sweep is None or (now - last_sweep).total_seconds() >= settings.WORKER_SWEEP_SECONDS:
                    last_sweep = now
                    self._safely(self._sweep, now)
                self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()  # this thread's own connection

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)

    def _beat(self, now):
        heartbeat(
            self.worker.worker_id,
            backend=self.worker.backend_name,
            queues=",".join(self.worker.queue_names),
            tasks_run=self.worker._run_tasks,
            now=now,
        )

    def _sweep(self, now):
        tasks_of_dead_workers_release(now)
        sweep_queue()

    @staticmethod
    def _safely(step, now):
        try:
            close_old_connections()  # a connection the database dropped is opened again
            step(now)
        except Exception:  # a database blip must not end the beating; the next tick retries
            logger.exception("Worker companion: %s failed", step.__name__)
