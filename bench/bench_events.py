"""Benchmark a burst of event registrations through the JSON API, on PostgreSQL.

    .venv/bin/python bench/bench_events.py [--registrations 5000] [--capacity 1000] [--concurrency 32]
        [--workers 2] [--pattern visitor] [--max-seconds 120] [--serial 50] [--floor 1000]
        [--db-workers 2] [--drain-timeout 600] [--no-drain] [--profile 40] [--quiet-wait 180]
        [--app cms] [--setup demo] [--port 8797] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_events]

    --workers, --concurrency, --pattern and --app take comma lists (e.g. --workers 2,4 --concurrency 32,64):
    every combination is one run on its own fresh event.

The events issue: "5,000 registrations for one event with capacity 1,000 in a burst over concurrent
connections on PostgreSQL: registrations per second, p95, and a check that exactly 1,000 are approved
and 4,000 waitlisted. Target: at least 200 registrations/s with no overbooking."

What it does:

1. Drops and creates the bench database (PostgreSQL on 127.0.0.1 only), migrates and runs `load_demo`
   (home page, consent policies, scoring rules, demo people; media in bench/.data/events-media) plus
   four sales reps (production settings skip the demo's), so the queued lead processing afterwards has
   the rules a real site has (--setup bare, or a failing load_demo: only a home page and site, from
   bench_site.ensure_home). Static files are collected only if bench/.data/static has no manifest
   (the JSON API renders no template).
2. Events, each in person, scheduled 30 days ahead, no approval, with its landing page made (and
   published) by cms.event_pages.event_pages_sync, which also creates the site's default registration
   form: a warm-up event (capacity 16, so the warm-up takes both the seat and the waitlist path), and
   per run a fresh measured event with --capacity seats.
3. Per run (every combination of --workers, --concurrency and --pattern; comma lists) starts gunicorn
   (cms.wsgi, bench.settings = production settings relaxed for 127.0.0.1, sync workers,
   CONN_MAX_AGE 60) with BENCH_BACKGROUND_TASKS_BACKEND=django_tasks_db.DatabaseBackend: a request
   stores the raw lead and its processing task, the form submission and consent record, then the
   registration (seat claimed by a conditional UPDATE of the event's counter) and its email row in
   the outbox, with the email's delivery task in the same transaction. NO db_worker runs during the
   burst: lead processing and email delivery wait in the queue, as in production under a burst.
   Email backend: locmem (bench settings), so nothing is ever sent. FORMS_MIN_FILL_SECONDS=0 and
   rate limits of 1000000/60 (every visitor comes from 127.0.0.1).
4. A virtual visitor: GET /api/v1/events/{id} (the event with its `form`: fields, token, consent
   policy, a new visitor id), then POST /api/v1/events/{id}/registrations (JSON: token, answers with
   a unique work email, consent ticked, consent_policy, visitor_id). Threads with http.client, one
   connection each (gunicorn's sync workers close it after every response, so the client reconnects;
   the latencies include the TCP connect). Request bodies are prebuilt; a thread only splices in the
   token and visitor id it got. Passes: a warm-up (2 x concurrency visitors) and --serial visitors one
   at a time, both on the warm-up event and not counted; --floor GETs of /bench/floor/ (HTTP, WSGI and
   middleware, no database: the per-request overhead); then the burst: --registrations visitors on the
   measured event from --concurrency threads, stopped after --max-seconds. Before each run the script
   waits (up to --quiet-wait seconds) until other work leaves the CPUs, and it flags a run during which
   other processes used more than a quarter of a core.
   --pattern visitor   each visitor GETs then POSTs; registrations/s = POSTs / burst wall time (which
                       includes the GETs: one form view per registration);
   --pattern prefetch  all GETs first (a separate, reported pass: people opened the page earlier), then
                       the burst is the POSTs alone, as when a registration link goes out and everyone
                       clicks "Register" at once.
   --app cms           gunicorn serves cms.wsgi:application;
   --app no-refindex   a what-if that edits no app code: gunicorn serves
                       bench.bench_events:wsgi_without_reference_index(), the same application with
                       Wagtail's reference index off for Lead, ConsentRecord and Registration (as if
                       their admin viewsets set add_to_reference_index = False).
5. Reports registrations/s, POST and GET p50/p95/p99, errors by status, the rate while seats were left
   and after (waitlist), CPU used by gunicorn, PostgreSQL and the load generator during the burst
   (/proc, sampled every second, so backends that come and go are counted) and per registration,
   then reads the database: registrations per status (must be exactly min(capacity, accepted) approved,
   the rest waitlisted), Event.seats_taken, leads stored (and still unprocessed), form submissions,
   consent records, email rows and queued tasks. PASS/FAIL for "no overbooking" and for ">= 200/s".
6. Unless --no-drain: after the last run (gunicorn stopped) starts --db-workers `manage.py db_worker`
   processes and reports how long the queue (lead processing + email delivery with QR code and
   calendar file, locmem backend) took to drain, the CPU of the workers and PostgreSQL meanwhile, each
   task's mean run time, and EXPLAIN ANALYZE of the query a worker claims its next task with (taken on
   the full queue, rolled back).
7. With --profile N (default 40): N registrations in this process (Django's test client, no HTTP, no
   other load, the same queued backend) on an event with N/2 seats: ms and SQL queries per POST
   (CaptureQueriesContext), per step, approved vs waitlisted, every statement of one approved and one
   waitlisted POST with its round-trip time, the GET's cost, the CPU this process spent per GET and POST
   (time.process_time: the Python per registration, far less stretched by other load than wall time);
   then a what-if: N more POSTs with Wagtail's reference index handlers disconnected (in this process
   only) for the models a registration saves; then cProfile's top of N more POSTs.

Closed loop: each thread sends its next request as soon as the last one is answered, so the mean
latency is about concurrency / throughput (Little's law); with 2 cores shared by gunicorn, PostgreSQL
and this Python load generator, the throughput is what the machine can do, and p95 follows from it.

gunicorn and the workers are always stopped. Unless --keep is given the database and the media
directory are removed at the end.
"""

import argparse
import cProfile
import http.client
import io
import itertools
import json
import os
import pstats
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.harness import (  # noqa: E402
    DATA_DIR,
    FORMS_WIDE_OPEN,
    HOST,
    REQUEST_TIMEOUT,
    STOP,
    add_sales_reps,
    argument_parser,
    check_at_least_one,
    check_port,
    check_postgres_url,
    configure_django,
    cpu_busy,
    db_worker_command,
    drop_postgres_database,
    fmt_status,
    fresh_database,
    gunicorn_command,
    log_tail,
    on_sigterm,
    percentile,
    port_in_use,
    print_forms_wide_open,
    print_machine,
    redact,
    send,
    start_gunicorn,
    start_process,
    stop_gunicorn,
    stop_process,
    wait_until_ready,
)

MEDIA_DIR = DATA_DIR / "events-media"
GUNICORN_LOG = DATA_DIR / "gunicorn-events.log"
WORKER_LOG = DATA_DIR / "db-worker-events.log"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/signalpage_bench_events"
QUEUE_BACKEND = "django_tasks_db.DatabaseBackend"
USER_AGENT = "bench_events/1.0"
GET_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
POST_HEADERS = {**GET_HEADERS, "Content-Type": "application/json"}
TARGET_PER_SECOND = 200
WARMUP_CAPACITY = 16
APPS = {
    "cms": "cms.wsgi:application",
    "no-refindex": "bench.bench_events:wsgi_without_reference_index()",
}
PATTERNS = {
    "visitor": "each visitor GETs the event, then POSTs; rate over the whole burst",
    "prefetch": "every GET first (its own pass), then the burst of POSTs alone",
}
FIRST_NAMES = ["Jana", "Lukas", "Amelie", "Noah", "Chloe", "Mateo", "Priya", "Oliver", "Sofia", "Emil"]
LAST_NAMES = ["Novak", "Schmidt", "Dubois", "Hughes", "Vries", "Keller", "Moreau", "Haddad", "Berg"]
JOBS = ["Head of Marketing", "RevOps Lead", "CMO", "Demand Gen Manager", ""]


def int_list(text):
    values = [int(v) for v in str(text).split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give positive integers, comma-separated")
    return values


def parse_args(argv=None):
    parser = argument_parser(__doc__)
    parser.add_argument("--registrations", type=int, default=5000, help="visitors in the burst, per run")
    parser.add_argument("--capacity", type=int, default=1000, help="seats of the measured event")
    parser.add_argument("--concurrency", type=int_list, default=[32], help="client threads, e.g. 32 or 32,64")
    parser.add_argument("--workers", type=int_list, default=[2], help="gunicorn sync workers, e.g. 2 or 2,4")
    parser.add_argument("--pattern", default="visitor", help="visitor and/or prefetch, comma-separated")
    parser.add_argument(
        "--app",
        default="cms",
        help="cms (cms.wsgi:application) and/or no-refindex (a what-if: the same app with Wagtail's "
        "reference index off for the models a registration saves), comma-separated",
    )
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time limit of one burst")
    parser.add_argument("--serial", type=int, default=50, help="visitors one at a time before each burst")
    parser.add_argument(
        "--floor",
        type=int,
        default=1000,
        help="GETs of /bench/floor/ (middleware only) per run, for the per-request overhead (0: none)",
    )
    parser.add_argument("--db-workers", type=int, default=2, help="db_worker processes for the drain")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds to wait for the queue")
    parser.add_argument("--no-drain", action="store_true", help="leave the queue as the bursts left it")
    parser.add_argument("--profile", type=int, default=40, help="in-process registrations to profile (0: none)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=180.0,
        help="before each run, wait up to this many seconds for other work to leave the CPUs",
    )
    parser.add_argument(
        "--setup",
        choices=["demo", "bare"],
        default="demo",
        help="demo: load_demo (falls back to bare if it fails); bare: a home page and site only",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_EVENTS_PORT", 8797)))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_EVENTS_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database and media afterwards")
    args = parser.parse_args(argv)
    args.pattern = [p.strip() for p in args.pattern.split(",") if p.strip()]
    args.app = [a.strip() for a in args.app.split(",") if a.strip()]
    for app in args.app:
        if app not in APPS:
            parser.error(f"unknown app {app!r}; use cms and/or no-refindex")
    for pattern in args.pattern:
        if pattern not in PATTERNS:
            parser.error(f"unknown pattern {pattern!r}; use visitor and/or prefetch")
    check_at_least_one(parser, args, ("registrations", "capacity", "db_workers"))
    check_port(parser, args)
    check_postgres_url(parser, args)
    return args


def configure_environment(args):
    """What this process, gunicorn and the workers read; the queue backend only for gunicorn and workers."""
    configure_django(args.port, args.database_url, BENCH_MEDIA_ROOT=str(MEDIA_DIR), **FORMS_WIDE_OPEN)
    # This process builds the demo with the immediate backend (its leads get processed at once);
    # main() sets the queue for gunicorn and the workers after setup; the profile overrides TASKS itself.
    os.environ.pop("BENCH_BACKGROUND_TASKS_BACKEND", None)


def server_env():
    return {**os.environ, "BENCH_BACKGROUND_TASKS_BACKEND": QUEUE_BACKEND}


# --- Setup ----------------------------------------------------------------------------------


def build_database(args):
    fresh_database(args.database_url, MEDIA_DIR)
    from django.conf import settings
    from django.core.management import call_command

    started = time.perf_counter()
    if args.setup == "demo":
        try:
            call_command("load_demo", stdout=io.StringIO())
        except Exception as error:  # noqa: BLE001 - the demo is a convenience; the bench needs only a home page
            print(f"load_demo failed ({type(error).__name__}: {error}); falling back to --setup bare")
            args.setup = "bare"
    if args.setup == "bare":
        from django.db import transaction

        from bench.bench_site import ensure_home

        with transaction.atomic():
            ensure_home(args.port)
    add_sales_reps()
    print(
        f"{'load_demo' if args.setup == 'demo' else 'home page and site'} + 4 sales reps: "
        f"{time.perf_counter() - started:.1f}s"
    )
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"collectstatic: {time.perf_counter() - started:.1f}s")


def event_create(title, capacity):
    """An in-person event 30 days ahead with its published landing page (and the default form)."""
    from django.utils import timezone

    from cms.event_pages import event_pages_sync
    from events.models import Event

    starts = (timezone.now() + timedelta(days=30)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = Event.objects.create(
        title=title,
        type=Event.Type.IN_PERSON,
        status=Event.Status.SCHEDULED,
        summary="An evening of talks about revenue operations.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        time_zone="Europe/Berlin",
        venue_name="Factory Hall",
        address="Lohmühlenstraße 65",
        city="Berlin",
        country="DE",
        capacity=capacity,
        requires_approval=False,
    )
    [(_, page, _)] = event_pages_sync([event], publish=True)
    return event, page


def wsgi_without_reference_index():
    """gunicorn's application factory for --app no-refindex, a what-if that changes no app code: cms.wsgi's
    application, but Wagtail's reference index neither tracks nor updates Lead, ConsentRecord and
    Registration, as if their admin viewsets said add_to_reference_index = False. Runs in each worker."""
    import importlib

    application = importlib.import_module("cms.wsgi").application  # first: it runs django.setup()
    from wagtail.models.reference_index import ReferenceIndex
    from wagtail.signal_handlers import disconnect_reference_index_signal_handlers_for_model

    from events.models import Registration
    from forms.models import ConsentRecord
    from leads.models import Lead

    skipped = {Lead, ConsentRecord, Registration}
    register = ReferenceIndex.register_model.__func__

    def register_model(cls, model):  # admin viewsets register their models when the URLconf loads
        if model not in skipped:
            register(cls, model)

    ReferenceIndex.register_model = classmethod(register_model)
    for model in skipped:  # snippets are registered at start-up already
        ReferenceIndex.indexed_models.discard(model)
        ReferenceIndex.tracked_models.discard(model)
        disconnect_reference_index_signal_handlers_for_model(model)
    return application


# --- The virtual visitor --------------------------------------------------------------------


class Answers:
    """Prebuilt JSON for every visitor's answers (unique emails); only token and visitor id are added later."""

    def __init__(self, fields, consent_field, tag, count):
        by_target = {f["maps_to"]: f["name"] for f in fields if f.get("maps_to")}
        missing = {"email", "first_name", "last_name", "company"} - set(by_target)
        if missing:
            raise SystemExit(f"the registration form has no field for {sorted(missing)}: {fields}")
        self.bodies = []
        for n in range(count):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]
            answers = {
                by_target["email"]: f"{first}.{last}.{n}@firm{n % 400}-{tag}.de".lower(),
                by_target["first_name"]: first,
                by_target["last_name"]: last,
                by_target["company"]: f"Firm {n % 400}",
            }
            if "job_title" in by_target:
                answers[by_target["job_title"]] = JOBS[n % len(JOBS)]
            if consent_field:
                answers[consent_field] = True
            self.bodies.append('{"answers":' + json.dumps(answers, separators=(",", ":")))

    def body(self, n, form):
        consent = form.get("consent") or {}
        return (
            self.bodies[n]
            + ',"token":'
            + json.dumps(form["token"])
            + ',"consent_policy":'
            + json.dumps(consent.get("policy", ""))
            + ',"visitor_id":'
            + json.dumps(form["visitor_id"])
            + "}"
        ).encode()


def form_shape(port, event_id):
    """The registration form's fields and consent field, as a new visitor gets them."""
    status, _, body, _ = send(
        http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT),
        "GET",
        f"/api/v1/events/{event_id}",
        GET_HEADERS,
    )
    if status != 200:
        raise SystemExit(f"GET /api/v1/events/{event_id} answered {status}: {body[:300]!r}")
    form = json.loads(body).get("form")
    if not form:
        raise SystemExit(f"event {event_id} came without a registration form: {body[:300]!r}")
    consent = form.get("consent") or {}
    return form["fields"], consent.get("field") if consent.get("show_checkbox") else None


@dataclass
class Pass:
    name: str
    seconds: float = 0.0
    visitors: int = 0
    get_ms: list = field(default_factory=list)
    post_ms: list = field(default_factory=list)
    get_status: Counter = field(default_factory=Counter)
    post_status: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # the JSON status of accepted POSTs
    done_at: list = field(default_factory=list)  # (seconds since the pass started, outcome) per POST
    samples: list = field(default_factory=list)
    timed_out: bool = False

    @property
    def accepted(self):
        return self.post_status.get(201, 0)

    @property
    def per_second(self):
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def errors(self):
        return sum(n for s, n in self.get_status.items() if s != 200) + sum(
            n for s, n in self.post_status.items() if s != 201
        )

    def merge(self, other):
        self.visitors += other.visitors
        self.get_ms += other.get_ms
        self.post_ms += other.post_ms
        self.get_status.update(other.get_status)
        self.post_status.update(other.post_status)
        self.outcomes.update(other.outcomes)
        self.done_at += other.done_at
        self.samples += other.samples[: max(0, 5 - len(self.samples))]
        self.timed_out |= other.timed_out


def run_pass(name, *, port, total, concurrency, max_seconds, job):
    """`total` tickets from `concurrency` threads, each with its own connection; job(conn, n, local, t0)."""
    result = Pass(name)
    tickets = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        local = Pass(name)
        try:
            while not STOP.is_set():
                with lock:
                    ticket = next(tickets)
                if ticket >= total:
                    break
                if time.monotonic() > deadline:
                    local.timed_out = True
                    break
                local.visitors += 1
                job(conn, ticket, local, started)
        finally:
            conn.close()
        return local

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        outcomes = [f.result() for f in [pool.submit(client) for _ in range(concurrency)]]
    except BaseException:
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=True)
    result.seconds = time.perf_counter() - started
    for part in outcomes:
        result.merge(part)
    result.done_at.sort()
    return result


def visitor_jobs(event_id, answers, forms):
    """The three jobs: GET only (prefetch), POST only (with a prefetched form), GET then POST."""
    event_path = f"/api/v1/events/{event_id}"
    post_path = f"{event_path}/registrations"

    def get_form(conn, n, local):
        status, _, body, ms = send(conn, "GET", event_path, GET_HEADERS)
        local.get_ms.append(ms)
        local.get_status[status] += 1
        if status == 200:
            form = json.loads(body).get("form")
            if form:
                return form
            local.get_status["200 without form"] += 1
        if len(local.samples) < 3:
            local.samples.append(f"GET {status}: {body[:300]!r}")
        return None

    def post(conn, n, local, t0, form):
        status, _, body, ms = send(conn, "POST", post_path, POST_HEADERS, answers.body(n, form))
        local.post_ms.append(ms)
        local.post_status[status] += 1
        outcome = json.loads(body).get("status", "?") if status == 201 else f"HTTP {status}"
        if status == 201:
            local.outcomes[outcome] += 1
        elif len(local.samples) < 3:
            local.samples.append(f"POST {status}: {body[:300]!r}")
        local.done_at.append((time.perf_counter() - t0, outcome))

    def prefetch(conn, n, local, t0):
        forms[n] = get_form(conn, n, local)

    def post_prefetched(conn, n, local, t0):
        if forms.get(n) is None:
            local.post_status["no form (GET failed)"] += 1
            return
        post(conn, n, local, t0, forms[n])

    def visit(conn, n, local, t0):
        form = get_form(conn, n, local)
        if form is not None:
            post(conn, n, local, t0, form)

    return prefetch, post_prefetched, visit


# --- CPU accounting -------------------------------------------------------------------------


def _proc_stat(pid):
    """(comm, process group, utime + stime, start time), in clock ticks, of one process; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()  # rest[i] is field i + 3 of proc(5)
    return comm, int(rest[2]), int(rest[11]) + int(rest[12]), int(rest[19])


def _all_busy_ticks():
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return sum(values) - values[3] - (values[4] if len(values) > 4 else 0)


class CpuMonitor(threading.Thread):
    """CPU used by gunicorn (its process group), PostgreSQL (every postgres process), this process (the
    load generator) and all CPUs while it runs. /proc is read every `interval` seconds, so processes that
    come and go in between (a PostgreSQL backend replaced after CONN_MAX_AGE) are counted too."""

    def __init__(self, gunicorn_pgid, interval=1.0):
        super().__init__(daemon=True)
        # One process group (gunicorn's) or several (db_workers, each in its own session), counted as "gunicorn".
        self.pgids = set(gunicorn_pgid) if isinstance(gunicorn_pgid, list | set | tuple) else {gunicorn_pgid}
        self.interval = interval
        self.hz = os.sysconf("SC_CLK_TCK")
        self.done = threading.Event()
        self.ticks = Counter()
        self.last = {}  # (pid, start time) -> ticks seen so far
        with open("/proc/uptime") as uptime:
            self.born_after = float(uptime.read().split()[0]) * self.hz
        self.sample(initial=True)
        self.t0, self.busy0 = time.perf_counter(), _all_busy_ticks()

    def group(self, pid, comm, pgrp):
        if pgrp in self.pgids:
            return "gunicorn"
        if comm.startswith("postgres"):
            return "postgres"
        if pid == os.getpid():
            return "load generator"
        return None

    def sample(self, initial=False):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            info = _proc_stat(int(entry))
            if info is None:
                continue
            comm, pgrp, ticks, started = info
            name = self.group(int(entry), comm, pgrp)
            if name is None:
                continue
            key = (int(entry), started)
            if key not in self.last:  # new since the last sample: count from 0 if it started after us
                self.last[key] = ticks if initial or started < self.born_after else 0
            self.ticks[name] += ticks - self.last[key]
            self.last[key] = ticks

    def run(self):
        while not self.done.wait(self.interval):
            self.sample()

    def stop(self):
        """Cores used per group (1.0 = one core all the time), "other" being everything else."""
        self.done.set()
        self.join()
        self.sample()
        seconds = max(1e-6, time.perf_counter() - self.t0)
        cores = {name: self.ticks[name] / self.hz / seconds for name in ("gunicorn", "postgres", "load generator")}
        cores["all busy"] = (_all_busy_ticks() - self.busy0) / self.hz / seconds
        cores["other"] = max(0.0, cores["all busy"] - sum(cores[n] for n in ("gunicorn", "postgres", "load generator")))
        return cores


# --- Database truth -------------------------------------------------------------------------


def global_counts():
    from django_tasks_db.models import DBTaskResult
    from wagtail.models import ReferenceIndex

    from forms.models import ConsentRecord, LeadFormSubmission, RejectedSubmission
    from leads.models import Lead
    from outbox.models import OutgoingEmail

    return {
        "reference index rows": ReferenceIndex.objects.count(),
        "leads": Lead.objects.count(),
        "form submissions": LeadFormSubmission.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "rejections": RejectedSubmission.objects.count(),
        "email rows": OutgoingEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
        **{
            f"tasks {path.rsplit('.', 1)[-1]}": n
            for path, n in Counter(DBTaskResult.objects.values_list("task_path", flat=True)).items()
        },
    }


def event_truth(event):
    from events.models import Event, Registration
    from leads.models import Lead
    from outbox.models import OutgoingEmail

    registrations = Registration.objects.filter(event=event)
    statuses = Counter(registrations.values_list("status", flat=True))
    emails = Counter(OutgoingEmail.objects.filter(registration__event=event).values_list("kind", "status"))
    return {
        "statuses": statuses,
        "registrations": sum(statuses.values()),
        "seats_taken": Event.objects.get(pk=event.pk).seats_taken,
        "distinct emails": registrations.values("email_key").distinct().count(),
        "with lead": registrations.filter(lead__isnull=False).count(),
        "leads received": Lead.objects.filter(pk__in=registrations.values("lead_id"), status="received").count(),
        "email rows": emails,
    }


def wait_for_quiet(limit, threshold=0.15):
    """Share of the CPUs busy with other work, once it drops below `threshold` or `limit` seconds passed."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline and not STOP.is_set():
        print(f"  other work keeps {busy:.0%} of the CPUs busy; waiting (up to {limit:.0f}s, --quiet-wait)", flush=True)
        time.sleep(8)
        busy = cpu_busy()
    return busy


# --- One run --------------------------------------------------------------------------------


@dataclass
class Run:
    workers: int
    concurrency: int
    pattern: str
    app: str = "cms"
    event_id: int = 0
    capacity: int = 0
    passes: list = field(default_factory=list)
    prefetch: Pass | None = None
    burst: Pass | None = None
    truth: dict = field(default_factory=dict)
    delta: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)
    busy_before: float = 0.0
    floor: Pass | None = None
    floor_cpu: dict = field(default_factory=dict)
    prefetch_cpu: dict = field(default_factory=dict)

    @property
    def label(self):
        return f"workers {self.workers}, concurrency {self.concurrency}, {self.pattern}" + (
            f", {self.app}" if self.app != "cms" else ""
        )


def run_one(args, run, warm_event, number):
    from django.db import connections

    event, _ = event_create(f"Bench burst {number}: RevOps Meetup Berlin", args.capacity)
    run.event_id, run.capacity = event.pk, args.capacity
    before = global_counts()
    connections.close_all()
    run.busy_before = wait_for_quiet(args.quiet_wait)
    print(
        f"\n== run {number}: {run.label} (event {event.pk}, capacity {args.capacity}); CPU busy with other "
        f"work before: {run.busy_before:.0%}",
        flush=True,
    )
    proc = None
    try:
        server = SimpleNamespace(workers=run.workers, port=args.port)
        if run.app == "cms":
            proc, _ = start_gunicorn(server, GUNICORN_LOG)
        else:  # bench_forms' command line with the what-if's application factory in place of cms.wsgi
            command = [
                APPS[run.app] if part == APPS["cms"] else part for part in gunicorn_command(server, worker_class="sync")
            ]
            proc = start_process(command, GUNICORN_LOG, dict(os.environ))
        wait_until_ready(proc, args.port)
        fields, consent_field = form_shape(args.port, warm_event.pk)
        tag = f"r{number}"
        warm_answers = Answers(fields, consent_field, f"{tag}w", 2 * run.concurrency + args.serial)
        answers = Answers(fields, consent_field, tag, args.registrations)

        common = {"port": args.port}
        _, _, warm_visit = visitor_jobs(warm_event.pk, warm_answers, {})
        warm = run_pass(
            "warm-up", total=2 * run.concurrency, concurrency=run.concurrency, max_seconds=60, job=warm_visit, **common
        )
        print(
            f"  warm-up   {warm.visitors} visitors in {warm.seconds:.1f}s (warm-up event): "
            f"GET {fmt_status(warm.get_status)}; POST {fmt_status(warm.post_status)}",
            flush=True,
        )
        serial_visit = visitor_jobs(warm_event.pk, warm_answers, {})[2]

        def serial_job(conn, n, local, t0):
            serial_visit(conn, n + 2 * run.concurrency, local, t0)

        serial = run_pass("serial", total=args.serial, concurrency=1, max_seconds=60, job=serial_job, **common)
        print(
            f"  serial    {serial.visitors} visitors one at a time: POST p50 {percentile(serial.post_ms, 50):.1f} "
            f"ms, GET p50 {percentile(serial.get_ms, 50):.1f} ms",
            flush=True,
        )
        run.passes = [warm, serial]

        def floor_job(conn, n, local, t0):
            status, _, _, ms = send(conn, "GET", "/bench/floor/", GET_HEADERS)
            local.get_ms.append(ms)
            local.get_status[status] += 1

        if args.floor:
            monitor = CpuMonitor(proc.pid)
            monitor.start()
            run.floor = run_pass(
                "floor", total=args.floor, concurrency=run.concurrency, max_seconds=60, job=floor_job, **common
            )
            run.floor_cpu = monitor.stop()
            print(
                f"  floor     {len(run.floor.get_ms)} GET /bench/floor/ in {run.floor.seconds:.1f}s "
                f"({len(run.floor.get_ms) / run.floor.seconds:.0f}/s)",
                flush=True,
            )

        forms = {}
        prefetch, post_prefetched, visit = visitor_jobs(event.pk, answers, forms)
        if run.pattern == "prefetch":
            monitor = CpuMonitor(proc.pid)
            monitor.start()
            run.prefetch = run_pass(
                "page views",
                total=args.registrations,
                concurrency=run.concurrency,
                max_seconds=args.max_seconds,
                job=prefetch,
                **common,
            )
            run.prefetch_cpu = monitor.stop()
            print(
                f"  GETs      {run.prefetch.visitors} in {run.prefetch.seconds:.1f}s "
                f"({len(run.prefetch.get_ms) / run.prefetch.seconds:.0f}/s), {fmt_status(run.prefetch.get_status)}",
                flush=True,
            )
        job = post_prefetched if run.pattern == "prefetch" else visit
        monitor = CpuMonitor(proc.pid)
        monitor.start()
        run.burst = run_pass(
            "burst",
            total=args.registrations,
            concurrency=run.concurrency,
            max_seconds=args.max_seconds,
            job=job,
            **common,
        )
        run.cpu = monitor.stop()
        print(
            f"  burst     {run.burst.accepted} registrations in {run.burst.seconds:.1f}s = "
            f"{run.burst.per_second:.1f}/s; {dict(run.burst.outcomes)}"
            + ("  (time limit hit)" if run.burst.timed_out else ""),
            flush=True,
        )
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn died during the run:\n{log_tail(GUNICORN_LOG)}")
    finally:
        if run.app == "cms":
            stop_gunicorn(proc)
        else:
            stop_process(proc)
    connections.close_all()
    run.truth = event_truth(event)
    after = global_counts()
    run.delta = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    connections.close_all()
    return run


# --- Draining the queue ---------------------------------------------------------------------


def queue_state(full=True):
    """Tasks waiting (READY or RUNNING), done and failed; with full, leads and emails by status too.
    Counted in PostgreSQL (the bench polls this while the workers drain: it must cost them little)."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from leads.models import Lead
    from outbox.models import OutgoingEmail

    tasks = dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("id")))
    state = {
        "waiting": tasks.get("READY", 0) + tasks.get("RUNNING", 0),
        "done": tasks.get("SUCCESSFUL", 0),
        "failed": tasks.get("FAILED", 0),
    }
    if full:
        leads = dict(Lead.objects.order_by().values_list("status").annotate(n=Count("id")))
        emails = dict(OutgoingEmail.objects.order_by().values_list("status").annotate(n=Count("id")))
        state.update(
            {
                "leads received": leads.get("received", 0),
                "leads processed": leads.get("processed", 0),
                "emails pending": emails.get("pending", 0),
                "emails sent": emails.get("sent", 0),
            }
        )
    return state


def claim_plan():
    """EXPLAIN ANALYZE of the query a db_worker claims its next task with (rolled back), on the full queue."""
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.ready().filter(backend_name="background", queue_name__in=["default"])
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = tasks.select_for_update(skip_locked=True)[:1].query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return lines


def drain(args):
    from django.db import connections

    state = queue_state()
    plan = claim_plan()
    connections.close_all()
    print(
        f"\n== draining the queue: {state['waiting']} tasks waiting ({state['leads received']} leads unprocessed, "
        f"{state['emails pending']} emails pending); {args.db_workers} db_worker processes, gunicorn stopped",
        flush=True,
    )
    print("  the claim query of a db_worker on this queue (EXPLAIN ANALYZE, rolled back):")
    for line in plan:
        print(f"    {line}")
    procs = []
    started = time.perf_counter()
    timed_out = False
    try:
        for n in range(args.db_workers):
            procs.append(
                start_process(
                    db_worker_command(f"bench-events-{n}"),
                    WORKER_LOG,
                    server_env(),
                )
            )
        monitor = CpuMonitor([p.pid for p in procs])
        monitor.start()
        deadline = started + args.drain_timeout
        last_print = started
        while True:
            time.sleep(2)
            now_state = queue_state(full=False)
            connections.close_all()
            if now_state["waiting"] == 0:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a db_worker died:\n{log_tail(WORKER_LOG)}")
            if time.perf_counter() > deadline:
                timed_out = True
                break
            if time.perf_counter() - last_print > 15:
                last_print = time.perf_counter()
                print(f"  {last_print - started:5.0f}s: {now_state['waiting']} tasks waiting", flush=True)
        cpu = monitor.stop()
    finally:
        for proc in procs:
            stop_process(proc)
    seconds = time.perf_counter() - started
    final = queue_state()
    durations = task_durations()
    connections.close_all()
    print(
        f"  drained in {seconds:.1f}s; CPU (cores of {os.cpu_count()}): db_workers {cpu['gunicorn']:.2f}, "
        f"PostgreSQL {cpu['postgres']:.2f}, this script (polling every 2s) {cpu['load generator']:.2f}, "
        f"other {cpu['other']:.2f}"
    )
    busy_s, worker_s = sum(n * mean for n, mean, _ in durations.values()) / 1000, args.db_workers * seconds
    print(
        f"  the tasks themselves ran {busy_s:.0f}s of the {args.db_workers} workers' {worker_s:.0f} worker-seconds "
        f"({100 * busy_s / max(1e-6, worker_s):.0f}%); the rest is claiming (the query above), committing, polling"
    )
    for path, (n, mean_ms, p95_ms) in durations.items():
        print(f"  {path}: {n} done, run time mean {mean_ms:.1f} ms, p95 {p95_ms:.1f} ms (started_at -> finished_at)")
    return {
        "before": state,
        "after": final,
        "seconds": seconds,
        "timed_out": timed_out,
        "tasks": state["waiting"] - final["waiting"],
        "cpu": cpu,
        "durations": durations,
    }


def task_durations():
    """Per task: how many finished, and their mean and p95 run time in ms."""
    from django_tasks_db.models import DBTaskResult

    runs = defaultdict(list)
    rows = DBTaskResult.objects.filter(status="SUCCESSFUL", started_at__isnull=False, finished_at__isnull=False)
    for path, started, finished in rows.values_list("task_path", "started_at", "finished_at").iterator():
        runs[path.rsplit(".", 1)[-1]].append((finished - started).total_seconds() * 1000)
    return {path: (len(ms), sum(ms) / len(ms), percentile(ms, 95)) for path, ms in sorted(runs.items())}


# --- In-process profile ---------------------------------------------------------------------

STEPS = [
    # (module, attribute, label): wrapped to time each call; indented steps are inside the one above.
    ("events.api", "get_object_or_404", "event lookup (get_object_or_404)"),
    ("events.api", "registration_form_for", "registration_form_for"),
    ("events.api", "submission_take", "submission_take (forms API)"),
    ("forms.api.forms", "_visitor", "  _visitor (visitor id -> person)"),
    ("forms.api.forms", "form_submit", "  form_submit"),
    ("forms.services.submission", "form_plan", "    form_plan (questions, consent policy)"),
    ("forms.services.spam", "check_rate_limits", "    spam: rate limits (cache)"),
    ("forms.services.visitor_form", "form_class", "    form_class (build the form class)"),
    ("forms.services.submission", "policy_from_token", "    consent policy from its token"),
    ("django.forms.forms", "BaseForm.full_clean", "    validation (full_clean)"),
    ("forms.services.spam", "check_started_token", "    spam: started token"),
    ("forms.services.submission", "lead_capture", "    lead_capture (store raw lead + task)"),
    ("leads.services.capture", "lead_store_raw", "      store raw lead (INSERT)"),
    ("leads.services.capture", "_enqueue_processing", "      enqueue process_lead (INSERT task)"),
    ("forms.services.submission", "consent_record", "    consent record"),
    ("forms.services.submission", "_send_emails", "    form emails (none: confirm=False)"),
    ("forms.api.forms", "_asset", "  _asset (page_id)"),
    ("events.api", "registration_from_lead", "registration_from_lead"),
    ("events.services.registrations", "registration_create", "  registration_create"),
    ("events.services.registrations", "_status_for_new", "    seat claim (conditional UPDATE)"),
    ("events.services.registrations", "email_queue", "    email row (INSERT)"),
    ("outbox.services", "_enqueue", "    enqueue delivery (INSERT task)"),
    ("events.api", "_registration_out", "_registration_out (signed links)"),
]


def timed_steps():
    """Wrap STEPS in place; returns (totals, queries, calls, switch, restore)."""
    import importlib

    from django.db import connection

    totals, step_queries, calls = defaultdict(float), Counter(), Counter()
    state = {"on": False}
    originals = []

    def timed(label, fn):
        def wrapper(*a, **kw):
            if not state["on"]:
                return fn(*a, **kw)
            t0, q0 = time.perf_counter(), len(connection.queries_log)
            try:
                return fn(*a, **kw)
            finally:
                totals[label] += time.perf_counter() - t0
                step_queries[label] += len(connection.queries_log) - q0
                calls[label] += 1

        return wrapper

    for module_name, dotted, label in STEPS:
        owner = importlib.import_module(module_name)
        *path_to, attr = dotted.split(".")
        for part in path_to:
            owner = getattr(owner, part)
        if attr in vars(owner):
            originals.append((owner, attr, vars(owner)[attr]))
            setattr(owner, attr, timed(label, vars(owner)[attr]))
        else:
            print(f"  note: {module_name}.{dotted} not found; its step is not timed")

    def restore():
        for owner, attr, original in originals:
            setattr(owner, attr, original)

    return totals, step_queries, calls, state, restore


def short_sql(sql, width=150):
    sql = " ".join(sql.split())
    sql = re.sub(r"SELECT .*? FROM", "SELECT ... FROM", sql, count=1)
    return sql if len(sql) <= width else sql[: width - 3] + "..."


class StatementLog:
    """Every statement and COMMIT on one connection, in order, timed with perf_counter (Django's own
    query log rounds to a millisecond). BEGIN is not a round trip of its own: psycopg sends it with
    the first statement of a transaction."""

    def __init__(self, connection):
        self.connection = connection
        self.rows = []
        self.on = False

    def __call__(self, execute, sql, params, many, context):
        if not self.on:
            return execute(sql, params, many, context)
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((sql, time.perf_counter() - t0))

    def __enter__(self):
        connection = self.connection
        original = connection._commit

        def commit(*a, **kw):
            t0 = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                if self.on:
                    self.rows.append(("COMMIT", time.perf_counter() - t0))

        self._original_commit = original
        connection._commit = commit
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)
        self.connection._commit = self._original_commit

    def take(self):
        rows, self.rows = self.rows, []
        return rows


def reference_index_models():
    """Models saved by a registration whose post_save runs Wagtail's reference index update inline."""
    from django.db.models.signals import post_save
    from django_tasks_db.models import DBTaskResult
    from wagtail.signal_handlers import update_reference_index_on_save

    from events.models import Registration
    from forms.models import ConsentRecord, LeadFormSubmission
    from leads.models import Lead
    from outbox.models import OutgoingEmail

    tracked = []
    for model in (Lead, DBTaskResult, LeadFormSubmission, ConsentRecord, Registration, OutgoingEmail):
        receivers = post_save._live_receivers(model)
        receivers = receivers[0] if isinstance(receivers, tuple) else receivers  # sync receivers
        if any(getattr(r, "__wrapped__", r) is update_reference_index_on_save for r in receivers):
            tracked.append(model)
    return tracked


def profile_registrations(args, count):
    """`count` registrations in this process (test client, queued backend), timed per step, then `count`
    with Wagtail's reference index off for the models it tracks (a what-if), then `count` under cProfile."""
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from wagtail.signal_handlers import (
        connect_reference_index_signal_handlers_for_model,
        disconnect_reference_index_signal_handlers_for_model,
    )

    from events.models import Event

    tasks = {**settings.TASKS, "background": {**settings.TASKS["background"], "BACKEND": QUEUE_BACKEND}}
    overridden = override_settings(TASKS=tasks)
    overridden.enable()
    connections.close_all()
    seats = max(1, count // 2)
    event, _ = event_create("Bench profile: RevOps Meetup Berlin", seats + 2)  # +2: the warm-up POSTs
    path = f"/api/v1/events/{event.pk}"
    client = Client(HTTP_HOST=f"{HOST}:{args.port}")
    tracked = []  # found after the warm-up: admin viewsets register their models on the first request
    totals, step_queries, calls, state, restore = timed_steps()
    answers = None
    get_ms, get_q, post, whatif = [], [], [], []  # post and whatif: (outcome, ms, logged queries, statements)
    # CPU of this process per request (time.process_time): what a worker spends in Python, whatever
    # else the machine is doing (wall times stretch under load; this stretches far less).
    get_cpu, post_cpu = [], []
    listings = {}
    profiler = cProfile.Profile()
    tasks_before = global_counts()["tasks"]
    total = 3 * count + 2
    log = StatementLog(connection)
    try:
        with log:
            for n in range(total):
                phase = (
                    "warm" if n < 2 else "measure" if n < count + 2 else "whatif" if n < 2 * count + 2 else "cprofile"
                )
                t0, cpu0 = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as captured:
                    page = client.get(path)
                if phase == "measure":
                    get_ms.append((time.perf_counter() - t0) * 1000)
                    get_cpu.append((time.process_time() - cpu0) * 1000)
                    get_q.append(len(captured.captured_queries))
                form = page.json()["form"]
                if answers is None:
                    consent = form.get("consent") or {}
                    answers = Answers(
                        form["fields"], consent.get("field") if consent.get("show_checkbox") else None, "profile", total
                    )
                body = answers.body(n, form)
                if phase == "whatif" and n == count + 2:
                    tracked = reference_index_models()
                    for model in tracked:
                        disconnect_reference_index_signal_handlers_for_model(model)
                if phase == "cprofile" and n == 2 * count + 2:
                    for model in tracked:
                        connect_reference_index_signal_handlers_for_model(model)
                if phase == "cprofile":
                    profiler.enable()
                state["on"], log.on = phase == "measure", phase in ("measure", "whatif")
                log.take()
                t0, cpu0 = time.perf_counter(), time.process_time()
                if phase == "cprofile":  # no debug cursor: it would show up in the profile
                    response = client.post(f"{path}/registrations", body, content_type="application/json")
                    captured = SimpleNamespace(captured_queries=[])
                else:
                    with CaptureQueriesContext(connection) as captured:
                        response = client.post(f"{path}/registrations", body, content_type="application/json")
                ms = (time.perf_counter() - t0) * 1000
                if phase == "measure":
                    post_cpu.append((time.process_time() - cpu0) * 1000)
                state["on"] = log.on = False
                profiler.disable()
                statements = log.take()
                outcome = (
                    response.json().get("status", "?")
                    if response.status_code == 201
                    else f"HTTP {response.status_code}"
                )
                row = (outcome, ms, len(captured.captured_queries), statements)
                if phase == "measure":
                    post.append(row)
                    listings.setdefault(outcome, statements)
                elif phase == "whatif":
                    whatif.append(row)
                if response.status_code != 201:
                    print(f"  profile: registration {n} answered {response.status_code}: {response.content[:200]!r}")
    finally:
        for model in tracked:  # connecting twice is harmless (dispatch ids)
            connect_reference_index_signal_handlers_for_model(model)
        restore()
        overridden.disable()
        connections.close_all()
    queued = global_counts()["tasks"] - tasks_before
    seats_taken = Event.objects.get(pk=event.pk).seats_taken
    connections.close_all()

    measured = len(post)
    all_ms = [r[1] for r in post]
    all_q = [r[2] for r in post]
    all_st = [len(r[3]) for r in post]
    commits = [sum(1 for sql, _ in r[3] if sql == "COMMIT") for r in post]
    db_ms = [sum(t for _, t in r[3]) * 1000 for r in post]
    print(
        f"\n== where the time goes: {measured} registrations in this process (Django test client, no HTTP, no "
        f"concurrency, queued backend: {queued} tasks queued for {total} POSTs; event {event.pk}, "
        f"{seats_taken} of {seats + 2} seats taken)"
    )
    print(
        f"POST   p50 {percentile(all_ms, 50):.1f} ms, p95 {percentile(all_ms, 95):.1f} ms; connection.queries "
        f"entries p50 {percentile(all_q, 50)} (= {percentile(all_st, 50) - percentile(commits, 50)} SQL statements "
        f"+ {percentile(commits, 50)} COMMITs + as many BEGINs); waiting on PostgreSQL p50 "
        f"{percentile(db_ms, 50):.1f} ms per POST (round trips, commits), so "
        f"~{percentile(all_ms, 50) - percentile(db_ms, 50):.1f} ms is Python in the worker"
    )
    for outcome in sorted({r[0] for r in post}):
        rows = [r for r in post if r[0] == outcome]
        print(
            f"  {outcome:<11} {len(rows):>3} POSTs: p50 {percentile([r[1] for r in rows], 50):.1f} ms, "
            f"{percentile([r[2] for r in rows], 50)} queries entries"
        )
    print(
        f"GET    p50 {percentile(get_ms, 50):.1f} ms, p95 {percentile(get_ms, 95):.1f} ms; queries p50 "
        f"{percentile(get_q, 50)} (the event with its form for a new visitor)"
    )
    print(
        f"CPU of this process (time.process_time, debug cursor on): GET p50 {percentile(get_cpu, 50):.1f} ms, "
        f"POST p50 {percentile(post_cpu, 50):.1f} ms, so {percentile(get_cpu, 50) + percentile(post_cpu, 50):.1f} "
        f"ms of Python per registration (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    print(f"{'POST step (includes the steps indented under it)':<52}{'ms/POST':>9}{'queries':>9}{'calls':>7}")
    labels = [label for _, _, label in STEPS if calls[label]]
    top_ms = top_q = 0.0
    for label in labels:
        ms, q = totals[label] * 1000 / measured, step_queries[label] / measured
        print(f"{label:<52}{ms:>9.2f}{q:>9.1f}{calls[label] / measured:>7.1f}")
        if not label.startswith(" ") and "on commit" not in label:
            top_ms, top_q = top_ms + ms, top_q + q
    mean_ms, mean_q = sum(all_ms) / measured, sum(all_q) / measured
    print(f"{'rest: Django, middleware, ninja, JSON, commits':<52}{mean_ms - top_ms:>9.2f}{mean_q - top_q:>9.1f}")
    print(f"{'whole POST (mean; queries = connection.queries)':<52}{mean_ms:>9.2f}{mean_q:>9.1f}")
    for outcome, statements in listings.items():
        print(
            f"\nSQL of one {outcome} POST: {len(statements)} round trips, "
            f"{sum(t for _, t in statements) * 1000:.2f} ms waiting on PostgreSQL"
        )
        for sql, seconds in statements:
            print(f"  {seconds * 1000:6.2f} ms  {short_sql(sql)}")
    if whatif and not tracked:
        print(
            f"\nwhat-if skipped: Wagtail's reference index tracks none of the models a registration saves "
            f"({len(whatif)} more waitlisted POSTs: p50 {percentile([r[1] for r in whatif], 50):.1f} ms, "
            f"{percentile([r[2] for r in whatif], 50)} queries entries)"
        )
    elif whatif:
        base = [r for r in post if r[0] == "waitlisted"] or post
        names = ", ".join(m.__name__ for m in tracked)
        print(
            f"\nwhat-if, Wagtail's reference index off for {names} (post_save handlers disconnected in this "
            f"process only): {len(whatif)} waitlisted POSTs p50 {percentile([r[1] for r in whatif], 50):.1f} ms, "
            f"{percentile([r[2] for r in whatif], 50)} queries entries, vs waitlisted with it "
            f"p50 {percentile([r[1] for r in base], 50):.1f} ms, {percentile([r[2] for r in base], 50)}"
        )
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(re.escape(str(REPO_ROOT)) + r"/(events|forms|leads|cms)/", 22)
    stats.sort_stats("tottime").print_stats(18)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    print(f"\ncProfile of {count} more POSTs (our code by cumulative time, then everything by own time):")
    print("\n".join(line for line in lines if not line.startswith(("   Ordered by", "   List reduced"))))
    return {
        "post_ms": percentile(all_ms, 50),
        "queries": percentile(all_q, 50),
        "get_ms": percentile(get_ms, 50),
        "get_queries": percentile(get_q, 50),
        "get_cpu_ms": percentile(get_cpu, 50),
        "post_cpu_ms": percentile(post_cpu, 50),
        "db_ms": percentile(db_ms, 50),
        "whatif_ms": percentile([r[1] for r in whatif], 50) if whatif else None,
        "whatif_queries": percentile([r[2] for r in whatif], 50) if whatif else None,
        "tracked": [m.__name__ for m in tracked],
    }


# --- Reporting ------------------------------------------------------------------------------


def print_environment(args):
    from importlib.metadata import version

    from django.db import connection

    connection.ensure_connection()
    pg = divmod(connection.pg_version, 10000)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared = cursor.fetchone()[0]
    connection.close()
    print("\n== machine and setup")
    print_machine()
    print(f"code           {code_version()}")
    print(
        f"packages       Django {version('django')}, Wagtail {version('wagtail')}, gunicorn {version('gunicorn')}, "
        f"django-ninja {version('django-ninja')}, django-tasks-db {version('django-tasks-db')}, "
        f"psycopg {version('psycopg')}"
    )
    print(
        f"database       PostgreSQL {pg[0]}.{pg[1]} at {redact(args.database_url)} (fresh, {args.setup} setup), "
        f"synchronous_commit={sync_commit}, shared_buffers={shared}"
    )
    print(
        f"server         gunicorn cms.wsgi:application --workers {','.join(map(str, args.workers))} (sync) on "
        f"{HOST}:{args.port}; bench.settings (production, DEBUG off, CONN_MAX_AGE 60, locmem cache and email)"
    )
    print(f"queue          BENCH_BACKGROUND_TASKS_BACKEND={QUEUE_BACKEND}; no db_worker during the bursts")
    print(
        f"load           {args.registrations} visitors per burst on a fresh event with {args.capacity} seats, "
        f"concurrency {','.join(map(str, args.concurrency))}, pattern {','.join(args.pattern)}, "
        f"max {args.max_seconds:.0f}s; warm-up 2 x concurrency and {args.serial} serial visitors on another event"
    )
    print_forms_wide_open()


def code_version():
    """HEAD, and a digest of uncommitted changes (the tree the servers ran), so figures can be matched to code."""
    import hashlib
    import subprocess

    def git(*command):
        return subprocess.run(["git", *command], cwd=REPO_ROOT, capture_output=True, timeout=30).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").decode().strip()
        changed = [line for line in git("status", "--porcelain").decode().splitlines() if line.strip()]
        digest = hashlib.sha1(git("diff", "HEAD"))
        for line in sorted(changed):
            path = REPO_ROOT / line[3:]
            if line.startswith("??") and path.is_file():
                digest.update(path.read_bytes())
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    if not changed:
        return f"git {head} (clean)"
    return f"git {head} + {len(changed)} uncommitted paths (digest {digest.hexdigest()[:10]})"


def rate_split(burst, capacity):
    """Registrations/s while seats were left (first `capacity` answers) and afterwards (the waitlist)."""
    done = [t for t, outcome in burst.done_at if not outcome.startswith("HTTP")]
    if len(done) <= capacity or capacity < 2:
        return None
    seated_end = done[capacity - 1]
    rest = len(done) - capacity
    return capacity / seated_end, rest / max(1e-6, done[-1] - seated_end)


def contaminated(run):
    return run.cpu.get("other", 0.0) > 0.25


def checks(run, args):
    t, burst = run.truth, run.burst
    accepted = burst.accepted
    approved = t["statuses"].get("approved", 0)
    waitlisted = t["statuses"].get("waitlisted", 0)
    expected_approved = min(run.capacity, accepted)
    overbooking_ok = approved <= run.capacity and t["seats_taken"] == approved
    exact_ok = (
        approved == expected_approved
        and waitlisted == accepted - expected_approved
        and t["registrations"] == accepted
        and accepted == args.registrations
    )
    rate_ok = burst.per_second >= TARGET_PER_SECOND and not burst.errors
    return overbooking_ok, exact_ok, rate_ok


def print_run(args, run):
    burst = run.burst
    print(f"\n== results: {run.label} ({PATTERNS[run.pattern]})")
    header = (
        f"{'pass':<11}{'visitors':>9}{'secs':>7}{'regs/s':>8}{'POST p50':>10}{'p95':>8}{'p99':>8}"
        f"{'GET p50':>9}{'p95':>8}{'p99':>8}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for p in [*run.passes, *([run.prefetch] if run.prefetch else []), burst]:
        print(
            f"{p.name:<11}{p.visitors:>9}{p.seconds:>7.1f}{p.per_second:>8.1f}{percentile(p.post_ms, 50):>10.1f}"
            f"{percentile(p.post_ms, 95):>8.1f}{percentile(p.post_ms, 99):>8.1f}{percentile(p.get_ms, 50):>9.1f}"
            f"{percentile(p.get_ms, 95):>8.1f}{percentile(p.get_ms, 99):>8.1f}{p.errors:>8}"
        )
    print("(ms at the client, TCP connect included; regs/s = 201 answers per second of the pass's wall time)")
    print(f"burst POST status {fmt_status(burst.post_status)}; answers {fmt_status(burst.outcomes)}")
    print(f"burst GET status  {fmt_status(burst.get_status)}")
    if run.prefetch:
        print(
            f"prefetch GETs     {fmt_status(run.prefetch.get_status)}, "
            f"{len(run.prefetch.get_ms) / run.prefetch.seconds:.1f}/s"
        )
    for sample in burst.samples or (run.prefetch.samples if run.prefetch else []):
        print(f"  sample error: {sample}")
    if burst.timed_out:
        print(f"burst stopped by --max-seconds {args.max_seconds:.0f} after {burst.visitors} of {args.registrations}")
    split = rate_split(burst, run.capacity)
    if split:
        print(
            f"rate while seats were left (first {run.capacity} answers) {split[0]:.1f}/s, then waitlist "
            f"{split[1]:.1f}/s"
        )
    mean_ms = sum(burst.post_ms) / len(burst.post_ms) if burst.post_ms else float("nan")
    print(
        f"Little's law: {run.concurrency} connections / {burst.per_second:.1f} regs/s = "
        f"{1000 * run.concurrency / max(1e-6, burst.per_second):.0f} ms per visitor (measured mean POST "
        f"{mean_ms:.0f} ms" + (f" + GET {sum(burst.get_ms) / len(burst.get_ms):.0f} ms)" if burst.get_ms else ")")
    )
    cpu = run.cpu
    print(
        f"CPU during the burst (cores of {os.cpu_count()}): gunicorn {cpu['gunicorn']:.2f}, PostgreSQL "
        f"{cpu['postgres']:.2f}, load generator {cpu['load generator']:.2f}, other {cpu['other']:.2f}; "
        f"all busy {cpu['all busy']:.2f}"
    )
    for name, p, pcpu in (("floor", run.floor, run.floor_cpu), ("prefetch GETs", run.prefetch, run.prefetch_cpu)):
        if p is None or not p.get_ms:
            continue
        n = len(p.get_ms)
        ms = {k: 1000 * pcpu[k] * p.seconds / n for k in ("gunicorn", "postgres", "load generator")}
        print(
            f"{name + ':':<14} {n / p.seconds:.0f} GET/s at {run.concurrency} connections, p50 "
            f"{percentile(p.get_ms, 50):.1f} ms; CPU per request: gunicorn {ms['gunicorn']:.1f} ms, PostgreSQL "
            f"{ms['postgres']:.1f} ms, load generator {ms['load generator']:.1f} ms"
            + (" (/bench/floor/: HTTP, WSGI and middleware, no database)" if name == "floor" else "")
        )
    if contaminated(run):
        print(
            f"WARNING: other work used {cpu['other']:.2f} cores during the burst: these figures understate what "
            "the server can do; run again on a quiet machine"
        )
    if burst.accepted:
        per = {
            name: 1000 * cpu[name] * burst.seconds / burst.accepted
            for name in ("gunicorn", "postgres", "load generator")
        }
        print(
            f"CPU per registration: gunicorn {per['gunicorn']:.1f} ms, PostgreSQL {per['postgres']:.1f} ms, "
            f"load generator {per['load generator']:.1f} ms"
            + (" (GET included)" if run.pattern == "visitor" else "")
            + f"; {os.cpu_count()} cores / their sum = "
            f"{1000 * (os.cpu_count() or 1) / max(1e-6, sum(per.values())):.0f} registrations/s at most"
        )
    t = run.truth
    print("database truth for the measured event:")
    print(
        f"  registrations {t['registrations']} ({fmt_status(t['statuses'])}), distinct emails "
        f"{t['distinct emails']}, seats_taken {t['seats_taken']} of {run.capacity}, with a lead {t['with lead']}"
    )
    emails = ", ".join(f"{kind}/{status} x{n}" for (kind, status), n in sorted(t["email rows"].items()))
    print(f"  email rows {sum(t['email rows'].values())} ({emails or 'none'})")
    d = run.delta
    tasks = ", ".join(f"{k[6:]} {v}" for k, v in d.items() if k.startswith("tasks ") and v)
    print(
        f"  this run stored (warm-up and serial included): leads {d['leads']}, form submissions "
        f"{d['form submissions']}, consent records {d['consent records']}, email rows {d['email rows']}, "
        f"tasks queued {d['tasks']} ({tasks}), rejections {d['rejections']}, Wagtail reference index rows "
        f"{d['reference index rows']}"
    )
    overbooking_ok, exact_ok, rate_ok = checks(run, args)
    approved = t["statuses"].get("approved", 0)
    print(
        f"  {'PASS' if overbooking_ok else 'FAIL'} no overbooking: {approved} approved for {run.capacity} seats, "
        f"seats_taken {t['seats_taken']}"
    )
    print(
        f"  {'PASS' if exact_ok else 'FAIL'} exactly {min(run.capacity, args.registrations)} approved and "
        f"{max(0, args.registrations - run.capacity)} waitlisted of {args.registrations}: {approved} approved, "
        f"{t['statuses'].get('waitlisted', 0)} waitlisted, {t['registrations']} registrations for "
        f"{burst.accepted} accepted POSTs"
    )
    print(
        f"  {'PASS' if rate_ok else 'FAIL'} >= {TARGET_PER_SECOND} registrations/s: {burst.per_second:.1f}/s"
        + (f" ({burst.errors} errors)" if burst.errors else "")
    )


def print_summary(args, runs, drained, profile):
    print("\n== summary")
    print(
        f"bench/bench_events.py --registrations {args.registrations} --capacity {args.capacity}: JSON API "
        f"(GET event + POST registration), PostgreSQL, gunicorn sync, queued tasks, no db_worker during the "
        f"burst, {os.cpu_count()} cores shared with the load generator"
    )
    for run in runs:
        b = run.burst
        overbooking_ok, exact_ok, rate_ok = checks(run, args)
        print(
            f"- {run.label:<38}: {b.per_second:6.1f} registrations/s, POST p50/p95/p99 "
            f"{percentile(b.post_ms, 50):.0f}/{percentile(b.post_ms, 95):.0f}/{percentile(b.post_ms, 99):.0f} ms"
            + (f", GET p95 {percentile(b.get_ms, 95):.0f} ms" if b.get_ms else "")
            + f", errors {b.errors}; {run.truth['statuses'].get('approved', 0)} approved / "
            f"{run.truth['statuses'].get('waitlisted', 0)} waitlisted, seats_taken {run.truth['seats_taken']}; "
            f"overbooking {'PASS' if overbooking_ok else 'FAIL'}, exact {'PASS' if exact_ok else 'FAIL'}, "
            f">= {TARGET_PER_SECOND}/s {'PASS' if rate_ok else 'FAIL'}"
        )
    busy = [
        f"{run.label}: {run.busy_before:.0%} before, {run.cpu['other']:.2f} cores during"
        for run in runs
        if run.busy_before > 0.15 or contaminated(run)
    ]
    if busy:
        print(f"- WARNING: other work competed for the CPUs ({'; '.join(busy)}); those figures are pessimistic")
    if drained:
        after = drained["after"]
        print(
            f"- queue drain ({args.db_workers} db_workers, gunicorn stopped): {drained['tasks']} tasks in "
            f"{drained['seconds']:.1f}s = {drained['tasks'] / max(1e-6, drained['seconds']):.1f} tasks/s"
            + (" (TIMED OUT)" if drained["timed_out"] else "")
            + f"; leads processed {after['leads processed']}, unprocessed {after['leads received']}, emails sent "
            f"{after['emails sent']}, pending {after['emails pending']}, tasks failed {after['failed']}; "
            f"CPU db_workers {drained['cpu']['gunicorn']:.2f}, PostgreSQL {drained['cpu']['postgres']:.2f}, other "
            f"{drained['cpu']['other']:.2f} cores; mean run time "
            + ", ".join(f"{path} {mean:.0f} ms" for path, (_, mean, _) in drained["durations"].items())
        )
    if profile:
        print(
            f"- in-process (no HTTP, one at a time): POST p50 {profile['post_ms']:.1f} ms with "
            f"{profile['queries']} queries ({profile['db_ms']:.1f} ms of it waiting on PostgreSQL); GET p50 "
            f"{profile['get_ms']:.1f} ms with {profile['get_queries']} queries; CPU in Python p50 GET "
            f"{profile['get_cpu_ms']:.1f} ms + POST {profile['post_cpu_ms']:.1f} ms"
            + (
                f"; with Wagtail's reference index off: POST p50 {profile['whatif_ms']:.1f} ms, "
                f"{profile['whatif_queries']} queries"
                if profile.get("tracked")
                else ""
            )
        )


# --- Main -----------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    configure_environment(args)
    signal.signal(signal.SIGTERM, on_sigterm)
    if port_in_use(args.port):
        raise SystemExit(f"{HOST}:{args.port} is already in use; pick another --port")
    total_started = time.perf_counter()
    built = False
    try:
        print(f"database: {redact(args.database_url)} (dropped and created)")
        built = True
        build_database(args)
        # From here on gunicorn and the workers (started with this environment) get the queued backend;
        # this process keeps the settings it was set up with (immediate) and the profile overrides TASKS.
        os.environ["BENCH_BACKGROUND_TASKS_BACKEND"] = QUEUE_BACKEND
        from django.db import connections

        warm_event, _ = event_create("Bench warm-up: RevOps Meetup Berlin", WARMUP_CAPACITY)
        connections.close_all()
        print_environment(args)
        runs, number = [], 0
        for workers in args.workers:
            for concurrency in args.concurrency:
                for pattern, app in itertools.product(args.pattern, args.app):
                    number += 1
                    runs.append(run_one(args, Run(workers, concurrency, pattern, app), warm_event, number))
                    print_run(args, runs[-1])
        drained = None if args.no_drain else drain(args)
        profile = profile_registrations(args, args.profile) if args.profile else None
        print_summary(args, runs, drained, profile)
    except KeyboardInterrupt:
        STOP.set()
        print("\ninterrupted")
        raise
    finally:
        STOP.set()
        if built and not args.keep:
            if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
                from django.db import connections

                connections.close_all()
            drop_postgres_database(args.database_url)
            shutil.rmtree(MEDIA_DIR, ignore_errors=True)
            print(f"dropped {redact(args.database_url)} and removed {MEDIA_DIR} (--keep keeps them)")
        print(f"total time {time.perf_counter() - total_started:.0f}s")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
