"""Writing an export's file, and the small export answered in the request (CSV streamed as it is read,
XLSX from a temporary file). Every export leaves one entry in the audit log with its real row count.

The rows are read from the read replica when there is one (core/read_replica.py), off the primary that
takes the forms and the sales work; they may be a few seconds behind it. The audit entry and a job's
progress are writes, and go to the primary.
"""

import io
import tempfile
from dataclasses import dataclass

from django.conf import settings

from core.read_replica import on_reading_database, reading_from_replica
from sales.access import can_export
from sales.audit import record_export
from sales.exports.rows import iter_batches, row_plan_for
from sales.exports.spec import CONTENT_TYPES, MODELS, ExportRefused, ExportSpec, count_rows, export_rows, file_name_for
from sales.exports.writers import csv_chunks, write_csv, write_xlsx


def inline_max_rows() -> int:
    return int(getattr(settings, "SALES_EXPORT_INLINE_MAX_ROWS", 5000))


def write_file(fileobj, spec: ExportSpec, queryset, progress=None) -> int:
    """Write the export to an open binary file; returns the number of rows written."""
    with reading_from_replica():
        queryset = on_reading_database(queryset)  # batches read ahead in a thread, which starts unscoped
        row_plan = row_plan_for(spec, queryset)
        batches = iter_batches(queryset, row_plan)
        if spec.file_format == "xlsx":
            return write_xlsx(fileobj, row_plan.headings, batches, title=spec.title, progress=progress)
        text = io.TextIOWrapper(fileobj, encoding="utf-8", newline="", write_through=False)
        try:
            rows = write_csv(text, row_plan.headings, batches, progress=progress)
            text.flush()
        finally:
            text.detach()
        return rows


def audit_export(user, spec: ExportSpec, rows: int, job_id=None, action=None):
    kwargs = {"action": action} if action else {}
    record_export(
        user,
        model=MODELS[spec.list_name],
        list_title=spec.title,
        file_format=spec.file_format,
        rows=rows,
        params=spec.query_string,
        masked=spec.masked,
        job_id=job_id,
        **kwargs,
    )


@dataclass
class InlineExport:
    filename: str
    content_type: str
    rows: int
    chunks: object = None  # CSV: an iterator of bytes
    file: object = None  # XLSX: a temporary file, at its start


def export_is_small(queryset) -> tuple[bool, int]:
    limit = inline_max_rows()
    rows = count_rows(queryset, limit)
    return rows <= limit, rows


def export_inline(user, spec: ExportSpec, queryset=None, rows: int | None = None) -> InlineExport:
    """A small export, answered in the request: CSV streamed as it is read, XLSX from a temporary file."""
    check_may_export(user)
    with reading_from_replica():
        queryset = export_rows(spec.list_name, user=user, params=spec.params) if queryset is None else queryset
        # Bound now: the CSV is read as the response streams, after this scope (and the view) ended.
        queryset = on_reading_database(queryset)
    filename = file_name_for(spec.title, spec.list_name, spec.file_format)
    if spec.file_format == "csv":
        rows = count_rows(queryset, inline_max_rows()) if rows is None else rows
        audit_export(user, spec, rows)  # before a byte leaves: an export cut short is still on the record
        row_plan = row_plan_for(spec, queryset)
        return InlineExport(
            filename, CONTENT_TYPES["csv"], rows, chunks=csv_chunks(row_plan.headings, iter_batches(queryset, row_plan))
        )
    output = tempfile.TemporaryFile()  # handed to the FileResponse, which closes it
    try:
        rows = write_file(output, spec, queryset)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    audit_export(user, spec, rows)
    return InlineExport(filename, CONTENT_TYPES["xlsx"], rows, file=output)


def check_may_export(user):
    if not can_export(user):
        raise ExportRefused("You may not export lists: that needs the permission to export lead lists.")
