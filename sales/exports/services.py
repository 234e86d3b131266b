"""Exports of the sales workspace's lists, in the request when small, as a background job when big.

The rows are always `sales.selectors.list_queryset(...)` for the exporting user (their scope, the
list's filters, the search), never a filter of our own; a background job chooses them again when it
runs, with the requesting user's rights at that moment. Rows are read in keyset batches (newest
first, `pk < last` per batch) as plain tuples, so memory stays flat whatever the size, and no query
holds a cursor or a transaction open for the length of the export.

Every export leaves one entry in the audit log (sales.audit.record_export) with the real row count;
every download of a background export's file leaves another (EXPORT_DOWNLOAD_ACTION).
"""

import logging
import os
import queue
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import NotSupportedError, connections, transaction
from django.db.models import CharField, Func
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import slugify

from leads.models import Company, Lead, Person
from leads.privacy import can_view_personal_data
from sales.access import AUDIT_PERMISSION, can_export
from sales.audit import EXPORT_DOWNLOAD_ACTION, record_export
from sales.exports import columns as registry
from sales.exports import storage
from sales.exports.writers import (
    FORMULA_STARTS,
    XLSX_MAX_ROWS,
    TooManyRowsForExcel,
    cell_converters,
    csv_chunks,
    write_csv,
    write_xlsx,
)
from sales.filters import FILTERSETS
from sales.models import ExportJob
from sales.selectors import list_filter_errors, list_queryset

logger = logging.getLogger(__name__)

LISTS = ("people", "companies", "leads", "gated")
MODELS = {"people": Person, "companies": Company, "leads": Lead, "gated": Person}
# Query-string keys that are the export's or the listing's own, not the list's filters.
CONTROL_KEYS = frozenset({"list", "title", "format", "file_format", "columns", "mask_personal_data", "params",
                          "use_default_columns", "csrfmiddlewaretoken", "p", "page", "ordering", "export",
                          "per_page", "after", "before", "_w_filter_fragment", "_"})
MAX_PARAMS_LENGTH = 4000
MAX_TITLE_LENGTH = 100
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportInputError(ValueError):
    """Bad input for an export, naming the field it came from."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ExportRefused(PermissionError):
    pass


# --- Settings ----------------------------------------------------------------------------------

def inline_max_rows() -> int:
    return int(getattr(settings, "SALES_EXPORT_INLINE_MAX_ROWS", 5000))


def batch_size() -> int:
    return max(1, int(getattr(settings, "SALES_EXPORT_BATCH_SIZE", 2000)))


def progress_every() -> int:
    return max(1, int(getattr(settings, "SALES_EXPORT_PROGRESS_EVERY", 5000)))


def count_cap() -> int:
    return int(getattr(settings, "SALES_EXPORT_COUNT_CAP", 100_000))


def keep_days() -> int:
    return int(getattr(settings, "SALES_EXPORT_KEEP_DAYS", 7))


def stuck_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "SALES_EXPORT_STUCK_MINUTES", 60)))


# --- What is asked for -------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportSpec:
    """One export as asked: which list, its filters, its name, the columns, the format, masked or not."""

    list_name: str
    params: QueryDict
    title: str
    columns: tuple[str, ...]
    file_format: str
    masked: bool

    @property
    def query_string(self) -> str:
        return self.params.urlencode(safe=":,")  # source=content:42 reads as it is written


def clean_list_name(value) -> str:
    value = (value or "people").strip() if isinstance(value, str) else "people"
    if value not in LISTS:
        raise ExportInputError("list", f"there is no list called {value[:40]!r}; choose one of {', '.join(LISTS)}.")
    return value


def filter_params(data) -> QueryDict:
    """The list's filters from a QueryDict (a request's GET) or a query string, without the export's and
    the listing's own keys (paging, sorting) and without empty values."""
    if isinstance(data, str) or data is None:
        text = data or ""
        if len(text) > MAX_PARAMS_LENGTH:
            raise ExportInputError("params", f"the filters are longer than {MAX_PARAMS_LENGTH} characters.")
        data = QueryDict(text)
    params = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in CONTROL_KEYS:
            continue
        kept = [value for value in values if value.strip()]
        if kept:
            params.setlist(key, kept)
    if len(params.urlencode()) > MAX_PARAMS_LENGTH:
        raise ExportInputError("params", f"the filters are longer than {MAX_PARAMS_LENGTH} characters.")
    params._mutable = False
    return params


def clean_title(value, list_name: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", " ", value if isinstance(value, str) else "").strip()
    return " ".join(text.split())[:MAX_TITLE_LENGTH] or registry.TITLES[list_name]


def file_name_for(title: str, list_name: str, file_format: str, day=None) -> str:
    """"Whitepaper: State of RevOps" -> whitepaper-state-of-revops-2026-12-01.csv."""
    day = day or timezone.localdate()
    slug = slugify(title)[:80].strip("-") or list_name
    return f"{slug}-{day:%Y-%m-%d}.{file_format}"


def _rows_of(list_name: str) -> str:
    return registry.ROWS_OF.get(list_name, list_name)


def _filterset(list_name: str, params, user=None):
    model = MODELS[list_name]
    return FILTERSETS[_rows_of(list_name)](data=params, queryset=model.objects.none(), user=user)


def filter_errors(list_name: str, params, user=None) -> list[str]:
    """What is wrong with the filters, field by field ("Stage: Select a valid choice..."); empty when fine.

    The listing leaves a bad filter out and shows the rest; an export refuses it, so a file never holds
    more than was asked for (sales.selectors.list_filter_errors)."""
    errors = list_filter_errors(_rows_of(list_name), user=user, params=params)
    if not errors:
        return []
    fields = _filterset(list_name, params, user).form.fields
    return [f"{fields[name].label if name in fields and fields[name].label else name}: {' '.join(messages)}"
            for name, messages in errors.items()]


def describe_filters(list_name: str, params, user=None) -> list[tuple[str, str]]:
    """The filters in words, as (label, value) pairs, for the export form and the job's page."""
    form = _filterset(list_name, params, user).form
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    described, consumed = [], {"q"}
    query = (params.get("q") or "").strip()
    if query:
        described.append(("Search", f"“{query}”"))
    for name, field in form.fields.items():
        keys = _data_keys(name, field.widget)
        consumed.update(keys)
        if not any(params.get(key) for key in keys):
            continue
        if name in cleaned:
            text = _display(field, cleaned[name])
        else:  # not valid: shown as typed (the form says why); its choices are never consulted
            text = ", ".join(v for key in keys for v in params.getlist(key))
        if text:
            described.append((str(field.label or name), text))
    for key in params:
        if key not in consumed:
            described.append((key, ", ".join(params.getlist(key))))
    return described


def _data_keys(name: str, widget) -> list[str]:
    suffixes = getattr(widget, "suffixes", None)
    if suffixes is not None and hasattr(widget, "suffixed"):
        return [widget.suffixed(name, suffix) for suffix in suffixes]
    names = getattr(widget, "widgets_names", None)
    if names:
        return [name + suffix for suffix in names]
    return [name]


def _display(field, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, slice):
        start, stop = _display(field, value.start), _display(field, value.stop)
        return f"from {start} to {stop}" if start and stop else (f"from {start}" if start else f"up to {stop}")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    labels = _choice_labels(field)
    if labels:
        items = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in items)
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return ", ".join(str(item) for item in value)
    return str(value)


def _choice_labels(field) -> dict[str, str]:
    """{value: label} of a choice field, nested groups included; {} for any other field.

    The choices are iterated, never tested for truth or length: the workspace's owner, source and
    industry filters hand django-filter a callable (built only when used), and django-filter 26's
    choice iterator answers len() with len(callable), a TypeError."""
    if hasattr(field, "queryset") or getattr(field, "choices", None) is None:
        return {}
    labels = {}
    for key, label in field.choices:
        if isinstance(label, (list, tuple)):
            labels.update({str(k): str(v) for k, v in label})
        else:
            labels[str(key)] = str(label)
    return labels


def export_rows(list_name: str, *, user, params):
    """The rows of the list as `user` may see them (scope, filters, search): sales.selectors decides."""
    return list_queryset(registry.ROWS_OF.get(list_name, list_name), user=user, params=params)


def count_rows(queryset, cap: int) -> int:
    """Rows up to cap + 1 (a count that stays cheap at a million rows: it stops early)."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def spec_for(user, *, list_name: str, params, title: str, columns, file_format: str, mask: bool,
             queryset=None) -> ExportSpec:
    """Check an export request; the columns default to the list's defaults. Raises ExportInputError."""
    list_name = clean_list_name(list_name)
    if file_format not in CONTENT_TYPES:
        raise ExportInputError("format", "choose CSV or Excel (XLSX).")
    params = params if isinstance(params, QueryDict) and not params._mutable else filter_params(params)
    errors = filter_errors(list_name, params, user)
    if errors:
        raise ExportInputError("filters", "; ".join(errors))
    queryset = export_rows(list_name, user=user, params=params) if queryset is None else queryset
    offered = {column.key for column in registry.columns_for(list_name, queryset)}
    if columns is None:
        columns = registry.default_keys(list_name, queryset)
    unknown = [key for key in columns if key not in offered]
    if unknown:
        raise ExportInputError("columns", f"this list has no column {unknown[0][:40]!r}.")
    if not columns:
        raise ExportInputError("columns", "choose at least one column.")
    order = [column.key for column in registry.columns_for(list_name, queryset)]
    return ExportSpec(list_name=list_name, params=params, title=clean_title(title, list_name),
                      columns=tuple(sorted(set(columns), key=order.index)), file_format=file_format,
                      masked=bool(mask) or not can_view_personal_data(user))


# --- Writing -----------------------------------------------------------------------------------

def iter_batches(queryset, row_plan: registry.RowPlan, size: int | None = None):
    """The rows as lists of cells, `size` at a time, newest first, one short query per batch
    (`pk < the last one`), so no cursor or transaction stays open while a file is written."""
    size = size or batch_size()
    if row_plan.annotations:
        queryset = queryset.annotate(**row_plan.annotations)
    rows = queryset.order_by("-pk").values_list(*row_plan.fields)  # "pk" first
    pages = _pages(rows, size)
    if _may_prefetch(queryset.db):
        pages = _prefetched(pages)
    convert = row_plan.rows
    for page in pages:
        yield convert(page)


def _pages(rows, size: int):
    last = None
    while True:
        page = list((rows if last is None else rows.filter(pk__lt=last))[:size])
        if not page:
            return
        last = page[-1][0]
        yield page
        if len(page) < size:
            return


def _may_prefetch(alias: str) -> bool:
    """Read the next batch while this one is written: on PostgreSQL, outside a transaction (the reading
    thread has its own connection, so it must see what this one sees: committed rows only)."""
    connection = connections[alias]
    return (getattr(settings, "SALES_EXPORT_PREFETCH", True) and connection.vendor == "postgresql"
            and not connection.in_atomic_block)


_DONE = object()


def _prefetched(pages, depth: int = 2):
    """`pages`, run in a thread of its own (the database works on batch n+1 while batch n is converted
    and written). At most `depth` batches wait in between, so memory stays flat; a consumer that stops
    early (a download cut short) stops the thread."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for page in pages:
                if not put(page):
                    return
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put(error)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=read, name="sales-export-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=10)


class LocalTimeText(Func):
    """A moment as "YYYY-MM-DD HH:MM:SS" in the site's time zone, written by PostgreSQL.

    For a CSV, the text is all that is needed: psycopg would build a datetime (through Django's time-zone
    loader, in Python) only for us to turn it back into the same text, a few seconds per million rows."""

    output_field = CharField()

    def __init__(self, expression, zone: str):
        super().__init__(expression)
        self.zone = zone

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("LocalTimeText is for PostgreSQL.")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')", (*params, self.zone)


def row_plan_for(spec: ExportSpec, queryset) -> registry.RowPlan:
    columns = registry.choose(spec.list_name, spec.columns, queryset)
    csv_file = spec.file_format == "csv"
    moment_text = None
    if csv_file and connections[queryset.db].vendor == "postgresql":
        zone = settings.TIME_ZONE
        moment_text = lambda expression: LocalTimeText(expression, zone)  # noqa: E731
    return registry.plan(columns, masked=spec.masked, converters=cell_converters(spec.file_format),
                         inline_text=FORMULA_STARTS if csv_file else None, moment_text=moment_text)


def write_file(fileobj, spec: ExportSpec, queryset, progress=None) -> int:
    """Write the export to an open binary file; returns the number of rows written."""
    row_plan = row_plan_for(spec, queryset)
    batches = iter_batches(queryset, row_plan)
    if spec.file_format == "xlsx":
        return write_xlsx(fileobj, row_plan.headings, batches, title=spec.title, progress=progress)
    import io

    text = io.TextIOWrapper(fileobj, encoding="utf-8", newline="", write_through=False)
    try:
        rows = write_csv(text, row_plan.headings, batches, progress=progress)
        text.flush()
    finally:
        text.detach()
    return rows


def _audit(user, spec: ExportSpec, rows: int, job_id=None, action=None):
    kwargs = {"action": action} if action else {}
    record_export(user, model=MODELS[spec.list_name], list_title=spec.title, file_format=spec.file_format,
                  rows=rows, params=spec.query_string, masked=spec.masked, job_id=job_id, **kwargs)


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
    _check_may_export(user)
    queryset = export_rows(spec.list_name, user=user, params=spec.params) if queryset is None else queryset
    filename = file_name_for(spec.title, spec.list_name, spec.file_format)
    if spec.file_format == "csv":
        rows = count_rows(queryset, inline_max_rows()) if rows is None else rows
        _audit(user, spec, rows)  # before a byte leaves: an export cut short is still on the record
        row_plan = row_plan_for(spec, queryset)
        return InlineExport(filename, CONTENT_TYPES["csv"], rows,
                            chunks=csv_chunks(row_plan.headings, iter_batches(queryset, row_plan)))
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the FileResponse, which closes it
    try:
        rows = write_file(output, spec, queryset)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    _audit(user, spec, rows)
    return InlineExport(filename, CONTENT_TYPES["xlsx"], rows, file=output)


def _check_may_export(user):
    if not can_export(user):
        raise ExportRefused("You may not export lists: that needs the permission to export lead lists.")


# --- Background jobs ---------------------------------------------------------------------------

def export_job_start(user, spec: ExportSpec) -> ExportJob:
    """Create the job and queue it (with the immediate backend it runs before this returns)."""
    _check_may_export(user)
    job = ExportJob.objects.create(requested_by=user, list_name=spec.list_name, title=spec.title,
                                   params=spec.query_string, columns=list(spec.columns),
                                   file_format=spec.file_format, masked=spec.masked)
    _enqueue(job)
    job.refresh_from_db()
    return job


def _enqueue(job: ExportJob):
    from sales.exports.tasks import run_export

    # The worker must find the job's row: queue it once it is committed (at once outside a transaction).
    transaction.on_commit(lambda: run_export.enqueue(job.pk))


def job_spec(job: ExportJob, user) -> ExportSpec:
    """The job's export, with the user's rights now: personal data masked if they lost the right."""
    return spec_for(user, list_name=job.list_name, params=job.params, title=job.title, columns=job.columns,
                    file_format=job.file_format, mask=job.masked)


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
        _check_may_export(user)
        spec = job_spec(job, user)
        queryset = export_rows(spec.list_name, user=user, params=spec.params)
        total = queryset.order_by().count()
        if spec.file_format == "xlsx" and total > XLSX_MAX_ROWS:
            raise TooManyRowsForExcel(f"Excel holds at most {XLSX_MAX_ROWS:,} rows in a sheet and this list has "
                                      f"{total:,}: export it as CSV or narrow its filters.")
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
    except Exception as error:  # noqa: BLE001 - shown on the job, which can be retried
        Path(part).unlink(missing_ok=True)
        if not isinstance(error, ExportRefused | ExportInputError | TooManyRowsForExcel):
            logger.exception("Export job %s failed", job_id)
        message = str(error) if isinstance(error, ExportRefused | ExportInputError | TooManyRowsForExcel) \
            else f"{type(error).__name__}: {error}"
        mine.update(status=ExportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now(),
                    file_name="")
        return ExportJob.Status.FAILED
    updated = mine.update(status=ExportJob.Status.DONE, rows_done=rows, rows_total=rows,
                          file_size=final.stat().st_size, finished_at=timezone.now())
    if not updated:  # retried while this run was still going: the new run's file is the one kept
        final.unlink(missing_ok=True)
        return "superseded"
    _audit(user, spec, rows, job_id=job.pk)
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
    _check_may_export(user)
    if job.status != ExportJob.Status.FAILED and not job_is_stuck(job):
        return job
    updated = ExportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ExportJob.Status.QUEUED, error="", rows_done=0, rows_total=None, started_at=None, finished_at=None)
    if updated:
        storage.delete(job.file_name)
        _enqueue(job)
    job.refresh_from_db()
    return job


def is_export_admin(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(AUDIT_PERMISSION)
                                             or user.has_perm("sales.view_exportjob")))


def jobs_visible_to(user):
    """The jobs a user may open: their own; an administrator's, everybody's."""
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if is_export_admin(user) else jobs.filter(requested_by=user)


def job_download_name(job: ExportJob) -> str:
    return file_name_for(job.title, job.list_name, job.file_format, day=timezone.localdate(job.created_at))


def job_download(job: ExportJob, user):
    """The job's file, open for reading, and its download name; the download is logged first."""
    _check_may_export(user)
    if job.requested_by_id != user.pk and not is_export_admin(user):
        raise ExportRefused("This export belongs to somebody else.")
    if not job.masked and not can_view_personal_data(user):
        raise ExportRefused("This file holds email addresses and phone numbers, which you may not see.")
    if job.status != ExportJob.Status.DONE or not job.file_name:
        raise FileNotFoundError("This export has no file (any more).")
    path = storage.path_of(job.file_name)
    handle = open(path, "rb")  # noqa: SIM115 - the FileResponse closes it; FileNotFoundError if pruned
    record_export(user, model=MODELS[job.list_name], list_title=job.title, file_format=job.file_format,
                  rows=job.rows_done, params=job.params, masked=job.masked, job_id=job.pk,
                  action=EXPORT_DOWNLOAD_ACTION)
    return handle, job_download_name(job)


# --- Housekeeping ------------------------------------------------------------------------------

FILE_PATTERN = re.compile(r"^export-\d+-[0-9a-f]+\.(csv|xlsx)(\.part)?$")


def exports_prune(now=None) -> int:
    """Remove export files older than SALES_EXPORT_KEEP_DAYS (default 7), and leftovers of stopped runs.

    The jobs stay (who exported what is in the audit log either way); their page says the file is gone.
    For the operations cron: `python manage.py shell -c "from sales.exports.services import exports_prune;
    exports_prune()"` or the prune_exports command."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    removed = 0
    old = ExportJob.objects.exclude(file_name="").filter(created_at__lt=cutoff).exclude(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
    for job in old.iterator():
        removed += storage.delete(job.file_name)
        ExportJob.objects.filter(pk=job.pk).update(file_name="", file_size=0)
    root = Path(storage.export_root())
    if root.is_dir():
        live = set(ExportJob.objects.exclude(file_name="").values_list("file_name", flat=True))
        for path in root.iterdir():
            if (path.is_file() and FILE_PATTERN.match(path.name) and path.name not in live
                    and path.name.removesuffix(".part") not in live
                    and path.stat().st_mtime < cutoff.timestamp()):
                path.unlink(missing_ok=True)
                removed += 1
    return removed
