"""Lead imports, step by step: upload, map, check (preview), run in the background, summarise.

The rows go to the lead store through `leads.services.bulk.BulkCapture`, a batch at a time; each
batch's outcomes and the import's progress are written in the batch's transaction, so the progress
a marketer sees is what is stored, and a stopped import resumes where it stopped.
"""

import csv
import io
import logging
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from core.spreadsheets import neutralise
from forms.models import LeadImport, LeadImportResult
from leads.cleaning import JUNK_FLAGS, email_identity_key
from leads.services.bulk import CREATED, FAILED, REJECTED, UPDATED, BulkCapture, BulkRow
from leads.services.capture import cleaning_rules

from .mapping import guess_mapping, mapping_problems
from .parsing import FileInfo, ImportFileError, file_format_for, inspect_file, iter_data_rows, max_bytes
from .validation import check_row, columns_by_field, describe_flag, normalise_row

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = ["row", "email", "outcome", "reason", "person_id", "lead_id"]
REASON_LABELS = {
    "missing_email": "No email address",
    "invalid_email": "Invalid email address",
    "disposable_email": "Throwaway mailbox",
    "competitor": "Competitor domain",
    "test_data": "Test data",
    "invalid_phone": "Invalid phone number",
    "markup": "HTML or script in a value",
    "duplicate": "Duplicate",
    "failed": "Processing failed (kept; will be retried)",
}


def batch_size() -> int:
    return max(50, int(getattr(settings, "LEAD_IMPORT_BATCH_SIZE", 1000)))


def _file_info(lead_import: LeadImport) -> FileInfo:
    return FileInfo(
        file_format=lead_import.file_format,
        headers=list(lead_import.headers),
        encoding=lead_import.encoding,
        delimiter=lead_import.delimiter,
        row_count=lead_import.total_rows,
    )


def _path(lead_import: LeadImport) -> str:
    if not lead_import.file:
        raise ImportFileError("The uploaded file is no longer kept: upload it again.")
    path = lead_import.file.path
    if not os.path.exists(path):
        raise ImportFileError("The uploaded file is missing from the private import folder: upload it again.")
    return path


# -- upload and mapping -------------------------------------------------------------------------


def import_upload(
    uploaded_file,
    *,
    name: str,
    interaction_type: str = LeadImport.InteractionType.IMPORTED,
    tags: list[str] | tuple = (),
    user=None,
) -> LeadImport:
    """Store an uploaded file privately, check it, read its columns and guess their mapping.

    Raises ImportFileError (and keeps nothing) for a file that cannot be imported."""
    limit = max_bytes()
    size = getattr(uploaded_file, "size", None) or 0
    if size > limit:
        raise ImportFileError(
            f"The file is {size / (1024 * 1024):.1f} MB; the limit is "
            f"{limit / (1024 * 1024):.0f} MB. Split it into smaller files."
        )
    if size == 0:
        raise ImportFileError("The file is empty.")
    original = os.path.basename(getattr(uploaded_file, "name", "") or "upload")[:255]
    file_format = file_format_for(original)
    imports_purge_unfinished()
    lead_import = LeadImport(
        name=name.strip()[:200] or original,
        interaction_type=interaction_type,
        tags=", ".join(tags),  # names already checked (leads.services.tags.tag_names_parse)
        original_filename=original,
        file_format=file_format,
        file_size=size,
        created_by=user,
    )
    # A random name on disk: the original file name can itself be personal data.
    lead_import.file.save(f"{uuid.uuid4().hex}.{file_format}", File(uploaded_file), save=False)
    try:
        info = inspect_file(lead_import.file.path, original)
    except ImportFileError:
        lead_import.file.delete(save=False)
        raise
    except Exception as error:  # a file we cannot read is the user's problem to fix, not a 500
        lead_import.file.delete(save=False)
        logger.exception("Could not read uploaded import file")
        raise ImportFileError(f"The file cannot be read ({type(error).__name__}).") from error
    lead_import.headers, lead_import.header_notes = info.headers, info.header_notes
    lead_import.encoding, lead_import.delimiter, lead_import.total_rows = info.encoding, info.delimiter, info.row_count
    lead_import.mapping = guess_mapping(info.headers)
    lead_import.save()
    return lead_import


def import_set_mapping(lead_import: LeadImport, mapping: list[str]) -> list[str]:
    """Save the column mapping; returns the problems that stop it (nothing saved then)."""
    problems = mapping_problems(lead_import.headers, mapping)
    if problems:
        return problems
    lead_import.mapping = list(mapping)
    lead_import.status = LeadImport.Status.MAPPING
    lead_import.checked_good = lead_import.checked_warnings = lead_import.checked_bad = None
    lead_import.save(update_fields=["mapping", "status", "checked_good", "checked_warnings", "checked_bad"])
    return []


def sample_values(lead_import: LeadImport, count: int = 3) -> list[list[str]]:
    """Up to `count` non-blank example values per column, for the mapping screen."""
    samples = [[] for _ in lead_import.headers]
    for _number, row, _problems in islice(iter_data_rows(_path(lead_import), _file_info(lead_import)), 50):
        for index, header in enumerate(lead_import.headers):
            value = (row.get(header) or "").strip()
            if value and len(samples[index]) < count:
                samples[index].append(value[:60])
    return samples


# -- preview ------------------------------------------------------------------------------------


@dataclass
class Preview:
    rows: list = field(default_factory=list)  # RowCheck of the first rows
    good: int = 0
    warnings: int = 0
    bad: int = 0
    repeats: int = 0
    reasons: list = field(default_factory=list)  # [(label, count)] of errors, most frequent first

    @property
    def total(self):
        return self.good + self.warnings + self.bad


def import_preview(lead_import: LeadImport, *, show: int = 20) -> Preview:
    """Check every row as the import will (the lead store's own cleaning), show the first ones."""
    headers, mapping = lead_import.headers, lead_import.mapping
    columns = columns_by_field(headers, mapping)
    rules = cleaning_rules()
    preview = Preview()
    reasons = Counter()
    seen = set()
    for number, row, problems in iter_data_rows(_path(lead_import), _file_info(lead_import)):
        check = check_row(normalise_row(number, row, headers, mapping, problems), columns, rules)
        email = (check.fields.get("email") or "").strip().lower()
        if email and "@" in email:
            key = email_identity_key(email)
            if key in seen:
                preview.repeats += 1
                check.warnings.append("Repeats the email of an earlier row: this row updates the same person.")
            seen.add(key)
        if check.errors:
            preview.bad += 1
            reasons.update(error.split(":", 1)[0] if ":" in error else error for error in check.errors)
        elif check.warnings:
            preview.warnings += 1
        else:
            preview.good += 1
        if len(preview.rows) < show:
            preview.rows.append(check)
    preview.reasons = reasons.most_common(8)
    lead_import.checked_good, lead_import.checked_warnings, lead_import.checked_bad = (
        preview.good,
        preview.warnings,
        preview.bad,
    )
    lead_import.total_rows = preview.total
    if lead_import.status == LeadImport.Status.MAPPING:
        lead_import.status = LeadImport.Status.READY
    lead_import.save(update_fields=["checked_good", "checked_warnings", "checked_bad", "total_rows", "status"])
    return preview


# -- running ------------------------------------------------------------------------------------


def import_start(lead_import: LeadImport, *, user=None) -> LeadImport:
    """Queue the import (or resume a stopped one). The task runs at once with the immediate backend."""
    from .tasks import run_lead_import

    startable = {LeadImport.Status.READY, LeadImport.Status.FAILED}
    updated = LeadImport.objects.filter(pk=lead_import.pk, status__in=startable).update(
        status=LeadImport.Status.QUEUED, error=""
    )
    if updated:
        run_lead_import.enqueue(lead_import.pk)
    lead_import.refresh_from_db()
    return lead_import


def import_run(import_id: int) -> str:
    """The task's body: every row through the lead store in batches; progress saved with each batch."""
    with transaction.atomic():
        lead_import = LeadImport.objects.select_for_update().filter(pk=import_id).first()
        # Running: its worker died mid-import (core.workers queued the task again only then). Each batch
        # committed with its progress, so it goes on after the last saved row.
        resumable = {LeadImport.Status.QUEUED, LeadImport.Status.FAILED, LeadImport.Status.RUNNING}
        if lead_import is None or lead_import.status not in resumable:
            return lead_import.status if lead_import else "missing"
        lead_import.status = LeadImport.Status.RUNNING
        lead_import.started_at = lead_import.started_at or timezone.now()
        lead_import.error = ""
        lead_import.save(update_fields=["status", "started_at", "error"])
    try:
        capture = _run(lead_import)
    except Exception as error:  # shown on the import; it can be resumed
        logger.exception("Lead import %s stopped", import_id)
        message = str(error) if isinstance(error, ImportFileError) else f"{type(error).__name__}: {error}"
        LeadImport.objects.filter(pk=import_id).update(status=LeadImport.Status.FAILED, error=message[:2000])
        return LeadImport.Status.FAILED
    lead_import.status = LeadImport.Status.DONE
    lead_import.finished_at = timezone.now()
    if lead_import.file:
        lead_import.file.delete(save=False)  # personal data: the summary is what is kept
    lead_import.file = ""
    lead_import.save(update_fields=["status", "finished_at", "file"])
    logger.info(
        "Lead import %s done: %s rows, timings %s",
        import_id,
        lead_import.rows_done,
        {phase: round(seconds, 2) for phase, seconds in capture.timings.items()},
    )
    return LeadImport.Status.DONE


def _run(lead_import: LeadImport) -> BulkCapture:
    headers, mapping = lead_import.headers, lead_import.mapping
    columns = columns_by_field(headers, mapping)
    capture = BulkCapture(
        label=lead_import.name, origin_id=f"import-{lead_import.pk}", interaction_type=lead_import.interaction_type
    )
    capture.seen = _seen_so_far(lead_import)
    rows = iter_data_rows(_path(lead_import), _file_info(lead_import), start_after=lead_import.rows_done)
    size = batch_size()
    while batch := list(islice(rows, size)):
        started = time.perf_counter()
        checks = [normalise_row(number, row, headers, mapping, problems) for number, row, problems in batch]
        if lead_import.tags:  # the import's own tags, beside the row's Tags column
            for check in checks:
                check.fields["tags"] = ", ".join(filter(None, (check.fields.get("tags"), lead_import.tags)))
        bulk_rows = [BulkRow(number=check.number, payload=check.payload, fields=check.fields) for check in checks]
        capture.timings["parse and map"] += time.perf_counter() - started
        with transaction.atomic():
            outcomes = capture.process(bulk_rows)
            started = time.perf_counter()
            _record_batch(lead_import, checks, outcomes, columns)
            capture.timings["summary"] += time.perf_counter() - started
    return capture


def _record_batch(lead_import: LeadImport, checks, outcomes, columns) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    counts = Counter()
    reasons = Counter(lead_import.reason_counts or {})
    for check, outcome in zip(checks, outcomes, strict=True):
        notes = []
        if outcome.outcome == REJECTED:
            junk = [flag for flag in outcome.flags if flag["code"] in JUNK_FLAGS]
            notes += [describe_flag(flag, columns) for flag in junk]
            reasons.update(flag["code"] for flag in junk)
        elif outcome.outcome == FAILED:
            notes.append(f"Stored, but processing failed ({outcome.error[:200]}); it will be retried.")
            reasons["failed"] += 1
        if outcome.repeat_of:
            notes.append(f"Repeats the email of row {outcome.repeat_of}: later values win.")
        notes += check.warnings
        if check.warnings:
            counts["warnings"] += 1
        counts[outcome.outcome] += 1
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    outcome.number,
                    outcome.email,
                    outcome.outcome,
                    " | ".join(notes),
                    outcome.person_id or "",
                    outcome.lead_id or "",
                )
            ]
        )
    LeadImportResult.objects.create(
        lead_import=lead_import, first_row=checks[0].number, last_row=checks[-1].number, csv_lines=buffer.getvalue()
    )
    lead_import.rows_done += len(checks)
    lead_import.created_count += counts[CREATED]
    lead_import.updated_count += counts[UPDATED]
    lead_import.rejected_count += counts[REJECTED]
    lead_import.failed_count += counts[FAILED]
    lead_import.warning_count += counts["warnings"]
    lead_import.reason_counts = dict(reasons)
    lead_import.save(
        update_fields=[
            "rows_done",
            "created_count",
            "updated_count",
            "rejected_count",
            "failed_count",
            "warning_count",
            "reason_counts",
        ]
    )


def _seen_so_far(lead_import: LeadImport) -> dict[str, int]:
    """Which emails the rows already imported carried (when resuming), from the stored summary."""
    seen = {}
    for lines in lead_import.results.order_by("first_row").values_list("csv_lines", flat=True):
        for row in csv.reader(io.StringIO(lines)):
            if len(row) > 1 and "@" in row[1]:
                seen.setdefault(email_identity_key(row[1].lstrip("'")), int(row[0]))
    return seen


def safe_cell(value) -> str:
    """A summary cell that a spreadsheet will not run as a formula."""
    return neutralise("" if value is None else str(value))


def summary_csv_chunks(lead_import: LeadImport):
    """The summary as CSV text, a batch at a time (streamed: constant memory)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(SUMMARY_COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # a BOM, so Excel reads the names as UTF-8
    for pk in lead_import.results.order_by("first_row").values_list("pk", flat=True):
        yield LeadImportResult.objects.values_list("csv_lines", flat=True).get(pk=pk)


def reason_summary(lead_import: LeadImport) -> list[tuple[str, str, int]]:
    return sorted(
        ((code, REASON_LABELS.get(code, code), count) for code, count in (lead_import.reason_counts or {}).items()),
        key=lambda item: -item[2],
    )


def imports_purge_unfinished() -> int:
    """Delete the files of imports never started (or stopped) for LEAD_IMPORT_KEEP_DAYS (default 7)."""
    days = int(getattr(settings, "LEAD_IMPORT_KEEP_DAYS", 7))
    stale = LeadImport.objects.filter(
        status__in=[LeadImport.Status.MAPPING, LeadImport.Status.READY, LeadImport.Status.FAILED],
        created_at__lt=timezone.now() - timedelta(days=days),
    )
    count = 0
    for lead_import in stale:
        if lead_import.file:
            lead_import.file.delete(save=False)
        lead_import.file = ""
        lead_import.status = LeadImport.Status.ABANDONED
        lead_import.save(update_fields=["file", "status"])
        count += 1
    return count
