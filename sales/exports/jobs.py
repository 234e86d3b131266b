"""Big exports as background jobs: queued, run by a worker with the requesting user's rights at that
moment (the rows are chosen again when it runs), progress saved as it goes, a private file only its
owner (or an administrator) downloads, retried when it failed, pruned after SALES_EXPORT_KEEP_DAYS.
Every run and every download leaves an audit entry.
"""

import logging
import os
import re
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.read_replica import on_reading_database, reading_from_replica
from leads.privacy import can_view_personal_data
from sales.access import AUDIT_PERMISSION
from sales.audit import EXPORT_DOWNLOAD_ACTION, record_export
from sales.exports import storage
from sales.exports.files import audit_export, check_may_export, write_file
from sales.exports.spec import MODELS, ExportInputError, ExportRefused, ExportSpec, export_rows, file_name_for, spec_for
from sales.exports.writers import XLSX_MAX_ROWS, TooManyRowsForExcel
from sales.models import ExportJob

logger = logging.getLogger(__name__)


def progress_every() -> int:
    return max(1, int(getattr(settings, "SALES_EXPORT_PROGRESS_EVERY", 5000)))


def keep_days() -> int:
    return int(getattr(settings, "SALES_EXPORT_KEEP_DAYS", 7))


def stuck_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "SALES_EXPORT_STUCK_MINUTES", 60)))


def export_job_start(user, spec: ExportSpec) -> ExportJob:
    """Create the job and queue it (with the immediate backend it runs before this returns)."""
    check_may_export(user)
    job = ExportJob.objects.create(
        requested_by=user,
        list_name=spec.list_name,
        title=spec.title,
        params=spec.query_string,
        columns=list(spec.columns),
        file_format=spec.file_format,
        masked=spec.masked,
    )
    _enqueue(job)
    job.refresh_from_db()
    return job


def _enqueue(job: ExportJob):
    from sales.exports.tasks import run_export

    # The worker must find the job's row: queue it once it is committed (at once outside a transaction).
    transaction.on_commit(lambda: run_export.enqueue(job.pk))


def job_spec(job: ExportJob, user) -> ExportSpec:
    """The job's export, with the user's rights now: personal data masked if they lost the right."""
    return spec_for(
        user,
        list_name=job.list_name,
        params=job.params,
        title=job.title,
        columns=job.columns,
        file_format=job.file_format,
        mask=job.masked,
    )


def export_job_run(job_id: int) -> str:
    """The task's body: choose the rows again as the requesting user, write the private file with
    progress saved every few thousand rows (each its own short transaction), then log the export."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        # Running: its worker died mid-file (core.workers queued the task again only then): start over.
        if job is None or job.status not in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
            return job.status if job else "missing"
        name = storage.new_file_name(job.pk, job.file_format)
        job.status, job.started_at, job.finished_at = ExportJob.Status.RUNNING, timezone.now(), None
        job.rows_done, job.rows_total, job.error, job.file_name, job.file_size = 0, None, "", name, 0
        job.save()
    mine = ExportJob.objects.filter(pk=job.pk, file_name=name)  # a retried job's new run takes over
    part, final = storage.open_for_writing(name)
    started = time.perf_counter()
    try:
        user = get_user_model().objects.filter(pk=job.requested_by_id).first()
        if user is None:
            raise ExportRefused("The person who asked for this export no longer has an account.")
        check_may_export(user)
        spec = job_spec(job, user)
        # The rows and their count from the read replica when there is one (as far behind as its
        # replication lag); the job's own row, its progress and the audit entry stay on the primary.
        with reading_from_replica():
            queryset = on_reading_database(export_rows(spec.list_name, user=user, params=spec.params))
            total = queryset.order_by().count()
        if spec.file_format == "xlsx" and total > XLSX_MAX_ROWS:
            raise TooManyRowsForExcel(
                f"Excel holds at most {XLSX_MAX_ROWS:,} rows in a sheet and this list has "
                f"{total:,}: export it as CSV or narrow its filters."
            )
        mine.update(rows_total=total, masked=spec.masked)
        every, reported = progress_every(), [0]

        def progress(rows):
            if rows - reported[0] >= every:
                reported[0] = rows
                mine.update(rows_done=rows)

        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as output:
            rows = write_file(output, spec, queryset, progress=progress)
        os.replace(part, final)
    except Exception as error:  # shown on the job, which can be retried
        Path(part).unlink(missing_ok=True)
        if not isinstance(error, ExportRefused | ExportInputError | TooManyRowsForExcel):
            logger.exception("Export job %s failed", job_id)
        message = (
            str(error)
            if isinstance(error, ExportRefused | ExportInputError | TooManyRowsForExcel)
            else f"{type(error).__name__}: {error}"
        )
        mine.update(status=ExportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now(), file_name="")
        return ExportJob.Status.FAILED
    updated = mine.update(
        status=ExportJob.Status.DONE,
        rows_done=rows,
        rows_total=rows,
        file_size=final.stat().st_size,
        finished_at=timezone.now(),
    )
    if not updated:  # retried while this run was still going: the new run's file is the one kept
        final.unlink(missing_ok=True)
        return "superseded"
    audit_export(user, spec, rows, job_id=job.pk)
    logger.info("Export job %s: %s rows in %.1fs", job.pk, rows, time.perf_counter() - started)
    return ExportJob.Status.DONE


def job_is_stuck(job: ExportJob, now=None) -> bool:
    """Queued or running for longer than SALES_EXPORT_STUCK_MINUTES: a worker died or none is running."""
    if not job.is_active:
        return False
    since = job.started_at or job.created_at
    return since is not None and since < (now or timezone.now()) - stuck_after()


def export_job_retry(job: ExportJob, user) -> ExportJob:
    """Run a failed (or stuck) job again, from the start, with the requester's rights of now."""
    check_may_export(user)
    if job.status != ExportJob.Status.FAILED and not job_is_stuck(job):
        return job
    updated = ExportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ExportJob.Status.QUEUED, error="", rows_done=0, rows_total=None, started_at=None, finished_at=None
    )
    if updated:
        storage.delete(job.file_name)
        _enqueue(job)
    job.refresh_from_db()
    return job


def is_export_admin(user) -> bool:
    return bool(
        user
        and user.is_active
        and (user.is_superuser or user.has_perm(AUDIT_PERMISSION) or user.has_perm("sales.view_exportjob"))
    )


def jobs_visible_to(user):
    """The jobs a user may open: their own; an administrator's, everybody's."""
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if is_export_admin(user) else jobs.filter(requested_by=user)


def job_download_name(job: ExportJob) -> str:
    return file_name_for(job.title, job.list_name, job.file_format, day=timezone.localdate(job.created_at))


def job_download(job: ExportJob, user):
    """The job's file, open for reading, and its download name; the download is logged first."""
    check_may_export(user)
    if job.requested_by_id != user.pk and not is_export_admin(user):
        raise ExportRefused("This export belongs to somebody else.")
    if not job.masked and not can_view_personal_data(user):
        raise ExportRefused("This file holds email addresses and phone numbers, which you may not see.")
    if job.status != ExportJob.Status.DONE or not job.file_name:
        raise FileNotFoundError("This export has no file (any more).")
    path = storage.path_of(job.file_name)
    handle = open(path, "rb")  # the FileResponse closes it; FileNotFoundError if pruned
    record_export(
        user,
        model=MODELS[job.list_name],
        list_title=job.title,
        file_format=job.file_format,
        rows=job.rows_done,
        params=job.params,
        masked=job.masked,
        job_id=job.pk,
        action=EXPORT_DOWNLOAD_ACTION,
    )
    return handle, job_download_name(job)


# --- Housekeeping ------------------------------------------------------------------------------

FILE_PATTERN = re.compile(r"^export-\d+-[0-9a-f]+\.(csv|xlsx)(\.part)?$")


def exports_prune(now=None) -> int:
    """Remove export files older than SALES_EXPORT_KEEP_DAYS (default 7), and leftovers of stopped runs.

    The jobs stay (who exported what is in the audit log either way); their page says the file is gone.
    For the operations cron: `python manage.py shell -c "from sales.exports.jobs import exports_prune;
    exports_prune()"` or the prune_exports command."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    removed = 0
    old = (
        ExportJob.objects.exclude(file_name="")
        .filter(created_at__lt=cutoff)
        .exclude(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
    )
    for job in old.iterator():
        removed += storage.delete(job.file_name)
        ExportJob.objects.filter(pk=job.pk).update(file_name="", file_size=0)
    root = Path(storage.export_root())
    if root.is_dir():
        live = set(ExportJob.objects.exclude(file_name="").values_list("file_name", flat=True))
        for path in root.iterdir():
            if (
                path.is_file()
                and FILE_PATTERN.match(path.name)
                and path.name not in live
                and path.name.removesuffix(".part") not in live
                and path.stat().st_mtime < cutoff.timestamp()
            ):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
