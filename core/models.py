from django.db import models


class WorkerHeartbeat(models.Model):
    """A background worker that is alive says so here every few seconds (core.workers). A worker whose
    heartbeat stops has died: the tasks it held are run again by the others."""

    # A record, not content: Wagtail's reference index would cost queries on every heartbeat.
    wagtail_reference_index_ignore = True

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    backend = models.CharField(max_length=32, help_text="The task backend alias it works for")
    queues = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    tasks_run = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self):
        return f"worker {self.worker_id} on {self.hostname or 'unknown host'} (pid {self.pid})"
