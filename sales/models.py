"""What the sales workspace keeps of its own: saved filters and export jobs.

People, companies and leads stay in the lead store (leads); the audit trail of profile views and
exports is Wagtail's own log (wagtail.log_actions), which the audit-log report reads.
"""

from django.conf import settings
from django.db import models


class ListName(models.TextChoices):
    PEOPLE = "people", "People"
    COMPANIES = "companies", "Companies"
    LEADS = "leads", "Leads"
    GATED = "gated", "Gated-content lead list"


class SavedFilter(models.Model):
    """A named set of filters on one list ("my MQLs this week"), private or shared with everyone.

    `query` is the listing's query string without paging or sorting noise; relative choices
    ("this week", "me") are kept as such, so a saved filter means the same thing next Monday.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    list_name = models.CharField(max_length=20, choices=ListName.choices)
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True, help_text="The listing's query string, e.g. stage=mql&owner=me")
    is_shared = models.BooleanField(default=False, help_text="Everyone who can see this list can use it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["list_name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_name", "name"], name="sales_saved_filter_unique_name"),
        ]

    def __str__(self):
        return self.name


class ExportJob(models.Model):
    """One export of a list, run in the background when it is big: progress, then a private file.

    The filters and columns are kept as asked; the rows are chosen again when the job runs, with
    the requesting user's rights at that moment (a right taken away in between is respected).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="sales_exports"
    )
    list_name = models.CharField(max_length=20, choices=ListName.choices)
    title = models.CharField(max_length=200, help_text="The list's name, as in the file name")
    params = models.TextField(blank=True, help_text="The list's filters, as a query string")
    columns = models.JSONField(default=list)
    file_format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    masked = models.BooleanField(default=True, help_text="Email and phone masked in the file")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True, help_text="In the private export storage")
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("view_audit_log", "Can view and export the audit log (profile views and exports)"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_file_format_display()}, {self.get_status_display()})"

    @property
    def is_active(self):
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.rows_done * 100 / self.rows_total))
