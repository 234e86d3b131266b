"""`manage.py prune_db_task_results`: django-tasks-db's command, for the product's database queue.

Like db_worker (see there), the original works on the "default" backend, which is not the database
queue here, so run as documented it refused. Finished task rows are only a log: the work itself is
recorded by each app (leads, outbox, CRM deliveries, imports, exports)."""

from django.core.management.base import CommandError
from django_tasks_db.management.commands import prune_db_task_results as base

from core.workers import product_backend_alias


class Command(base.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", backend=product_backend_alias())

    def handle(self, *args, backend=None, **options):
        if backend is None:
            raise CommandError("No task backend uses the database queue: there are no task rows to prune.")
        return super().handle(*args, backend=backend, **options)
