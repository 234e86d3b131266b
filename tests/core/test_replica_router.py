"""The read replica (issue 19): reports and exports read from it inside `reading_from_replica()`, and
everything else, every write included, goes to the primary; with no replica configured nothing changes.

The "replica" alias here is the primary's test mirror, as DATABASE_REPLICA_URL makes it in tests: the
same test database through a connection of its own. That connection sees only committed rows, so the
tests that read through it run in real transactions (`transaction=True`).
"""

import copy
import csv
import importlib.util
import io
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry

from cms.settings import base as base_settings
from core.read_replica import DEFAULT, REPLICA, ReplicaRouter, on_reading_database, reading_from_replica
from leads.models import Person
from sales.exports import services
from sales.models import ExportJob
from tests.factories.leads import PersonFactory

REPORTS = "/admin/reports/"
NEW_EXPORT = "/admin/sales/exports/new/"
BOTH = ["default", "replica"]


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """The alias DATABASE_REPLICA_URL would add, made after the test database exists (module-wide, so it is
    there before pytest-django checks a test's `databases`); the router is switched on per test."""
    if REPLICA in connections.settings:  # the suite was started with DATABASE_REPLICA_URL
        yield
        return
    mirror = copy.deepcopy(connections[DEFAULT].settings_dict)
    mirror["TEST"]["MIRROR"] = DEFAULT
    connections.settings[REPLICA] = mirror
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica_on(settings):
    settings.DATABASE_ROUTERS = ["core.read_replica.ReplicaRouter"]


@pytest.fixture
def replica_off(settings):
    settings.DATABASE_ROUTERS = []


def sql_of(context) -> str:
    return "\n".join(query["sql"] for query in context.captured_queries)


def batches_read(context) -> int:
    """How many of an export's batches of people (newest first, `LIMIT` a batch) were read here."""
    return sum(
        'FROM "leads_person"' in query["sql"] and " DESC LIMIT " in query["sql"] for query in context.captured_queries
    )


def csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# --- Settings ------------------------------------------------------------------------------------


def settings_with(monkeypatch, **environment) -> dict:
    """cms/settings/base.py run afresh with these variables (a copy of the module, the real one untouched)."""
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("cms.settings.base_afresh", base_settings.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def test_settings_add_the_replica_and_its_router_only_when_its_address_is_set(monkeypatch):
    plain = settings_with(monkeypatch)
    assert set(plain["DATABASES"]) == {"default"} and "DATABASE_ROUTERS" not in plain

    scaled = settings_with(monkeypatch, DATABASE_REPLICA_URL="postgres://reader:pw@replica.internal:5432/signalpage")
    replica = scaled["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"], replica["USER"]) == ("replica.internal", "signalpage", "reader")
    assert replica["TEST"] == {"MIRROR": "default"}
    assert scaled["DATABASE_ROUTERS"] == ["core.read_replica.ReplicaRouter"]


def test_a_malformed_replica_address_stops_start_up_naming_its_variable(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL has an unsupported"):
        settings_with(monkeypatch, DATABASE_REPLICA_URL="postgress://reader@replica/signalpage")


# --- The router ----------------------------------------------------------------------------------


def test_reads_go_to_the_replica_only_inside_the_scope_and_writes_never():
    replica_router = ReplicaRouter()
    assert replica_router.db_for_read(Person) == DEFAULT
    with reading_from_replica():
        assert replica_router.db_for_read(Person) == REPLICA
        with reading_from_replica():
            pass
        assert replica_router.db_for_read(Person) == REPLICA, "a nested scope leaves the outer one as it was"
        read_there = Person(email="read@replica.example")
        read_there._state.db = REPLICA
        assert replica_router.db_for_write(Person, instance=read_there) == DEFAULT
    assert replica_router.db_for_read(Person) == DEFAULT
    with pytest.raises(RuntimeError), reading_from_replica():
        raise RuntimeError("a report that failed")
    assert replica_router.db_for_read(Person) == DEFAULT, "the scope ends however it is left"


def test_the_scope_is_a_decorator_too():
    @reading_from_replica()
    def figures():
        return ReplicaRouter().db_for_read(Person)

    assert figures() == REPLICA and ReplicaRouter().db_for_read(Person) == DEFAULT


def test_only_the_primary_is_migrated_and_objects_of_both_may_be_linked():
    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate(DEFAULT, "leads") is True
    assert replica_router.allow_migrate(REPLICA, "leads") is False
    one, other = Person(), Person()
    one._state.db, other._state.db = DEFAULT, REPLICA
    assert replica_router.allow_relation(one, other) is True
    other._state.db = "elsewhere"
    assert replica_router.allow_relation(one, other) is None


def test_querysets_follow_the_router_and_a_bound_one_keeps_its_database_in_another_thread(replica_on):
    with reading_from_replica():
        assert Person.objects.all().db == REPLICA
        assert Person.objects.select_for_update().db == DEFAULT, "a read for a write is a write"
        bound = on_reading_database(Person.objects.filter(email__endswith=".example"))
    unbound = Person.objects.all()
    assert bound.filter(pk__gt=0).db == REPLICA and unbound.db == DEFAULT
    seen = {}

    def in_a_thread():  # a new thread starts outside any scope: only the bound queryset stays
        seen["bound"], seen["unbound"] = bound.db, unbound.db

    with reading_from_replica():
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    assert seen == {"bound": REPLICA, "unbound": DEFAULT}


def test_without_a_replica_the_scope_changes_nothing(replica_off):
    with reading_from_replica():
        assert Person.objects.all().db == DEFAULT
        assert router.db_for_read(Person) == DEFAULT


# --- Reading through the replica's own connection ------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_inside_the_scope_rows_are_read_on_the_replica_and_written_on_the_primary(replica_on):
    with (
        CaptureQueriesContext(connections[DEFAULT]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
        reading_from_replica(),
    ):
        PersonFactory(email="ines@replica.example")
        assert Person.objects.filter(email="ines@replica.example").count() == 1
    assert "INSERT" in sql_of(primary) and "INSERT" not in sql_of(replica)
    assert "COUNT(" in sql_of(replica) and "COUNT(" not in sql_of(primary)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_report_reads_its_figures_on_the_replica_and_writes_its_csv_audit_entry_on_the_primary(
    admin_client, replica_on
):
    with CaptureQueriesContext(connections[DEFAULT]) as primary, CaptureQueriesContext(connections[REPLICA]) as replica:
        assert admin_client.get(REPORTS).status_code == 200
    assert "reports_personjourney" in sql_of(replica)
    assert "reports_personjourney" not in sql_of(primary), "the figures come from the replica alone"

    with CaptureQueriesContext(connections[DEFAULT]) as primary, CaptureQueriesContext(connections[REPLICA]) as replica:
        response = admin_client.get(REPORTS, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "INSERT" not in sql_of(replica) and "wagtailcore_modellogentry" in sql_of(primary)
    assert ModelLogEntry.objects.filter(label__startswith="Report: Dashboard").exists()


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_small_export_streams_its_rows_from_the_replica_and_is_audited_on_the_primary(
    admin_client, replica_on, settings
):
    settings.SALES_EXPORT_PREFETCH = False  # PostgreSQL reads ahead in a thread, which these captures cannot see
    PersonFactory(email="olga@replica.example")
    with CaptureQueriesContext(connections[DEFAULT]) as primary, CaptureQueriesContext(connections[REPLICA]) as replica:
        response = admin_client.post(
            NEW_EXPORT, {"list": "people", "params": "", "format": "csv", "use_default_columns": "1"}
        )
        rows = csv_rows(response)  # read while captured: the rows are read as the response streams
    assert response.status_code == 200
    assert any("o***@replica.example" in row or "olga@replica.example" in row for row in rows)
    assert batches_read(replica) == 1 and batches_read(primary) == 0
    assert "INSERT" not in sql_of(replica) and "wagtailcore_modellogentry" in sql_of(primary)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_an_export_job_reads_its_rows_on_the_replica_and_keeps_its_bookkeeping_on_the_primary(
    admin_user, replica_on, settings, tmp_path
):
    settings.SALES_EXPORT_ROOT = str(tmp_path)
    settings.SALES_EXPORT_PREFETCH = False
    settings.SALES_EXPORT_PROGRESS_EVERY = 1  # a progress write between batches, inside the scope
    settings.SALES_EXPORT_BATCH_SIZE = 2
    PersonFactory.create_batch(3)
    job = ExportJob.objects.create(requested_by=admin_user, list_name="people", title="people", columns=["pid"])
    with CaptureQueriesContext(connections[DEFAULT]) as primary, CaptureQueriesContext(connections[REPLICA]) as replica:
        assert services.export_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert job.rows_done == 3 and len(csv_rows_of_file(tmp_path / job.file_name)) == 4
    assert batches_read(replica) == 2 and batches_read(primary) == 0  # two, then one: a short batch ends it
    assert 'COUNT(*) AS "__count" FROM "leads_person"' in sql_of(replica)
    assert "UPDATE" not in sql_of(replica) and "INSERT" not in sql_of(replica)
    assert 'UPDATE "sales_exportjob" SET "rows_done" = 2 ' in sql_of(primary), "its progress, written mid-export"
    assert "wagtailcore_modellogentry" in sql_of(primary)


def csv_rows_of_file(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_on_postgresql_the_batches_read_ahead_in_a_thread_come_from_the_replica_too(admin_user, replica_on):
    if connections[DEFAULT].vendor != "postgresql":
        pytest.skip("the export reads ahead in a thread on PostgreSQL only")
    PersonFactory.create_batch(2)
    opened = []

    def note(sender, connection, **kwargs):
        opened.append((threading.current_thread().name, connection.alias))

    connection_created.connect(note)
    try:
        with reading_from_replica():
            queryset = services.export_rows("people", user=admin_user, params=services.filter_params(""))
        spec = services.spec_for(
            admin_user, list_name="people", params="", title="", columns=["pid"], file_format="csv", mask=False
        )
        assert services.write_file(io.BytesIO(), spec, queryset) == 2
    finally:
        connection_created.disconnect(note)
    assert ("sales-export-reader", REPLICA) in opened
    assert ("sales-export-reader", DEFAULT) not in opened


# --- Without a replica ---------------------------------------------------------------------------
# Only the primary is allowed in these tests: a query on the replica's connection would fail them.


@pytest.mark.django_db
def test_without_a_replica_reports_and_their_csv_work_as_before(admin_client, replica_off):
    assert admin_client.get(REPORTS).status_code == 200
    assert admin_client.get(REPORTS, {"format": "csv"}).status_code == 200
    assert ModelLogEntry.objects.filter(label__startswith="Report: Dashboard").exists()


@pytest.mark.django_db
def test_without_a_replica_exports_work_as_before(admin_client, admin_user, replica_off, settings, tmp_path):
    settings.SALES_EXPORT_ROOT = str(tmp_path)
    PersonFactory(email="paul@primary.example")
    response = admin_client.post(
        NEW_EXPORT, {"list": "people", "params": "", "format": "csv", "use_default_columns": "1"}
    )
    assert response.status_code == 200 and len(csv_rows(response)) == 2
    job = ExportJob.objects.create(requested_by=admin_user, list_name="people", title="people", columns=["pid"])
    assert services.export_job_run(job.pk) == "done"
