"""`manage.py db_worker`: the product's background worker, as the README and docs/operations.md give it.

django-tasks-db's own command works for the "default" task backend and the "default" queue. Ours
keeps Wagtail's housekeeping immediate on "default" and puts the product's work on "background"
(cms/settings/base.py), so that command, run as documented, refused to start. This one (core comes
first in INSTALLED_APPS, so it replaces it) serves the product's database queue and every queue name
on it by default, and runs the companion that beats and takes up a dead worker's tasks
(core.workers). Every option of the original still works (--queue-name, --batch, --max-tasks, ...).
"""

import logging
import os
import signal

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as base

from core.workers import WorkerCompanion, product_backend_alias

logger = logging.getLogger("signalpage.workers")


class Worker(base.Worker):
    def shutdown(self, signum, frame):
        """SIGTERM or Ctrl+C: finish what is in hand, then leave.

        django-tasks-db exits at once (sys.exit) when no task is running, wherever the main thread is:
        often inside the transaction that claims the next task, where the SystemExit turns into a
        "connection in transaction" traceback and exit status 1 (seen when a deploy stops a worker,
        more often since the sweeps grew). Here a first signal only ends the loop: the worker leaves
        after its current step, within one polling interval. A second signal still forces it."""
        if not self.running:
            return super().shutdown(signum, frame)
        logger.warning("Received %s - shutting down gracefully...", signal.strsignal(signum))
        self.running = False

    def run(self):
        companion = WorkerCompanion(self)
        companion.start()
        try:
            super().run()
        finally:
            companion.stop()
            from core.workers import heartbeat_forget

            heartbeat_forget(self.worker_id)


class Command(base.Command):
    help = (
        "Run a background worker for the product's queued work (leads, emails, CRM pushes, imports, "
        "exports), every queue by default; it also takes up the tasks of workers that died."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # argparse validates a string default like a typed value: with no database queue configured the
        # default is None, and handle() says why instead of a bare "not a database backend".
        parser.set_defaults(queue_name="*", backend_name=product_backend_alias())

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        if backend_name is None:
            raise CommandError(
                "No task backend uses the database queue, so there is nothing for a worker to do: with these "
                "settings background work runs inside the request (BACKGROUND_TASKS_BACKEND is not "
                "django_tasks_db.DatabaseBackend). Production settings use the database queue."
            )
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
