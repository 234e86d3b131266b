"""The exports' services in one place, for the screens (views.py), the task, the command and the tests.

The work lives along its seams:
- spec.py: what is asked for, checked (the list, its filters, title, columns, format, masking) and the
  rows it will hold (always sales.selectors.list_queryset for the exporting user);
- describe.py: the filters in words;
- rows.py: reading the rows in keyset batches (read ahead on PostgreSQL), constant memory;
- files.py: writing the file, and a small export answered in the request;
- jobs.py: big exports as background jobs, their downloads and their housekeeping.

Every export leaves one entry in the audit log (sales.audit.record_export) with the real row count;
every download of a background export's file leaves another (EXPORT_DOWNLOAD_ACTION).
"""

from sales.exports.describe import describe_filters
from sales.exports.files import (
    InlineExport,
    check_may_export,
    export_inline,
    export_is_small,
    inline_max_rows,
    write_file,
)
from sales.exports.jobs import (
    export_job_retry,
    export_job_run,
    export_job_start,
    exports_prune,
    is_export_admin,
    job_download,
    job_download_name,
    job_is_stuck,
    jobs_visible_to,
)
from sales.exports.rows import iter_batches, row_plan_for
from sales.exports.spec import (
    CONTENT_TYPES,
    LISTS,
    MAX_TITLE_LENGTH,
    ExportInputError,
    ExportRefused,
    ExportSpec,
    clean_list_name,
    clean_title,
    count_cap,
    count_rows,
    export_rows,
    file_name_for,
    filter_errors,
    filter_params,
    spec_for,
)

__all__ = [
    "CONTENT_TYPES",
    "LISTS",
    "MAX_TITLE_LENGTH",
    "ExportInputError",
    "ExportRefused",
    "ExportSpec",
    "InlineExport",
    "check_may_export",
    "clean_list_name",
    "clean_title",
    "count_cap",
    "count_rows",
    "describe_filters",
    "export_inline",
    "export_is_small",
    "export_job_retry",
    "export_job_run",
    "export_job_start",
    "export_rows",
    "exports_prune",
    "file_name_for",
    "filter_errors",
    "filter_params",
    "inline_max_rows",
    "is_export_admin",
    "iter_batches",
    "job_download",
    "job_download_name",
    "job_is_stuck",
    "jobs_visible_to",
    "row_plan_for",
    "spec_for",
    "write_file",
]
