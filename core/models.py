from django.db import models


class Record(models.Model):
    """A row that records what happened (a lead, an interaction, a delivery attempt, a heartbeat...):
    written often, never content an editor links to or from."""

    # A record, not content: Wagtail's reference index ("usage") would cost queries on every write.
    # Wagtail reads the attribute with getattr, so every subclass is left out of the index.
    wagtail_reference_index_ignore = True

    class Meta:
        abstract = True


class WorkerHeartbeat(Record):
    """A background worker that is alive says so here every few seconds (core.workers). A worker whose
    heartbeat stops has died: the tasks it held are run again by the others."""

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
