"""Reading an export's rows: keyset batches (newest first, `pk < last` per batch) as plain tuples, so
memory stays flat whatever the size and no query holds a cursor or a transaction open for the length
of the export; on PostgreSQL the next batch is read in a thread while this one is written.
"""

import queue
import threading

from django.conf import settings
from django.db import NotSupportedError, connections
from django.db.models import CharField, Func

from sales.exports import columns as registry
from sales.exports.spec import ExportSpec
from sales.exports.writers import FORMULA_STARTS, cell_converters


def batch_size() -> int:
    return max(1, int(getattr(settings, "SALES_EXPORT_BATCH_SIZE", 2000)))


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
    return (
        getattr(settings, "SALES_EXPORT_PREFETCH", True)
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


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
    return registry.plan(
        columns,
        masked=spec.masked,
        converters=cell_converters(spec.file_format),
        inline_text=FORMULA_STARTS if csv_file else None,
        moment_text=moment_text,
    )
