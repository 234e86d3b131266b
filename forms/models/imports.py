"""Lead imports: a CSV or XLSX file of people gathered offline or bought, mapped and imported in bulk."""

from django.conf import settings
from django.db import models

from core.models import Record
from forms.imports.storage import private_import_storage


class LeadImport(Record):
    """One uploaded file, its column mapping, the import's progress and its summary."""

    class Status(models.TextChoices):
        MAPPING = "mapping", "Uploaded: map the columns"
        READY = "ready", "Checked: ready to import"
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped with an error (can be resumed)"
        ABANDONED = "abandoned", "Never started (file deleted)"

    class InteractionType(models.TextChoices):
        IMPORTED = "imported", "Imported from a list (no interest points unless a rule gives some)"
        EVENT_ATTENDED = "event_attended", "Met at an event or trade show (event attendance)"
        EVENT_REGISTERED = "event_registered", "Registered for an event"

    name = models.CharField(
        max_length=200, help_text="Shown on every lead as its origin, e.g. 'Trade fair Berlin 2026'"
    )
    interaction_type = models.CharField(
        "what these people did", max_length=40, choices=InteractionType.choices, default=InteractionType.IMPORTED
    )
    tags = models.CharField(
        max_length=1000, blank=True, help_text="Tags for everybody in the file, comma-separated (beside a Tags column)"
    )
    file = models.FileField(storage=private_import_storage, upload_to="%Y/%m/", blank=True, max_length=255)
    original_filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)
    file_size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    headers = models.JSONField(default=list, blank=True, help_text="The file's column names, made unique")
    header_notes = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=list, blank=True, help_text="Per column: a field name, 'custom' or 'ignore'")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.MAPPING, db_index=True)
    total_rows = models.PositiveIntegerField(default=0)
    checked_good = models.PositiveIntegerField(null=True, blank=True)
    checked_warnings = models.PositiveIntegerField(null=True, blank=True)
    checked_bad = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    reason_counts = models.JSONField(default=dict, blank=True, help_text="Rejections per reason code")
    error = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        default_permissions = ()
        permissions = [("import_leads", "Can import leads (upload files, see imports, download summaries)")]

    def __str__(self):
        return f"{self.name} ({self.original_filename})"

    @property
    def percent_done(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.rows_done * 100 / self.total_rows))

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def rows_per_second(self) -> float | None:
        from django.utils import timezone

        if not self.started_at or not self.rows_done:
            return None
        seconds = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return self.rows_done / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        rate = self.rows_per_second
        if not rate or not self.is_active:
            return None
        return int((self.total_rows - self.rows_done) / rate)


class LeadImportResult(Record):
    """The outcome of one batch of rows, as CSV lines of the summary (written with the batch)."""

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="results")
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    csv_lines = models.TextField()

    class Meta:
        ordering = ["lead_import", "first_row"]
        default_permissions = ()

    def __str__(self):
        return f"Rows {self.first_row}-{self.last_row} of import {self.lead_import_id}"
