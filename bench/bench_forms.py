"""Benchmark HTML form submissions on a gated whitepaper, through the whole path, on PostgreSQL.

    .venv/bin/python bench/bench_forms.py [--requests 3000] [--concurrency 32] [--max-seconds 120]
        [--modes inline,queue] [--db-workers 2] [--drain after|during] [--worker-nice 0]
        [--repeat-share 0.1] [--serial 50] [--profile 30] [--port 8798] [--keep] [--reuse]
        [--database-url postgres://postgres@127.0.0.1:5432/signalpage_bench_forms]

What it does:

1. Drops and creates the bench database (PostgreSQL on 127.0.0.1 only), migrates, runs
   `load_demo` (home page, whitepapers gated by the "get-the-whitepaper" form, PDFs, consent
   policies, scoring rules, a few hundred demo people) and adds four sales reps (production
   settings skip the demo's), then collects static files. Media go to bench/.data/forms-media.
2. Per mode, starts gunicorn (cms.wsgi, bench.settings = production settings relaxed for
   127.0.0.1, --workers 2, sync) with FORMS_MIN_FILL_SECONDS=0 and rate limits of 1000000/60:
     inline  the "background" task backend is immediate: the request cleans, resolves the
             person and company, records the interaction, scores, applies stage rules, routes
             and sends the emails itself;
     queue   django_tasks_db.DatabaseBackend plus --db-workers `manage.py db_worker` processes:
             the request validates, stores the raw lead and its one task in one transaction and
             answers; workers do the rest (submission row, consent record, emails, person, score).
             --drain after (the default) starts the workers when the load has ended, so the accept
             phase (the web tier alone on the cores) and the drain phase (the workers alone, leads
             processed per second) are measured apart; --drain during runs them through the load,
             competing for the same cores (--worker-nice N lowers their CPU priority, as a deployment
             that favours answering visitors over draining would).
3. Each virtual visitor is a browser with an empty cookie jar: GET the whitepaper (csrftoken and
   visitor cookies, hidden inputs csrfmiddlewaretoken, sp_started, sp_consent_policy, sp_utm_*),
   then POST the answers with the cookies, an Origin and a Referer. Emails are unique, except
   --repeat-share of visitors who reuse an email already accepted (the update path). A POST
   counts as accepted only when the page comes back with the form's thank-you panel and its
   download link; anything else is an error, listed by status.
   Passes: a warm-up, --serial visitors one at a time (service time with no queueing), then the
   measured load: --requests visitors from --concurrency threads, stopped after --max-seconds.
   Each thread has its own http.client connection (gunicorn's sync workers close it after each
   response, so a visitor reconnects like a browser would after "Connection: close").
4. Afterwards reads the database: leads stored / processed / flagged, people and companies
   created, interactions, form submissions, consent records, rejections, tasks; in queue mode it
   waits (up to --drain-timeout) until every lead is processed and reports how long that took and
   how many leads a second the workers processed.
5. With --profile N (default 30), submits N forms per mode in this process (Django's test client)
   and prints the time and queries per step, so a missed target says where the time goes.

Closed loop: every thread sends its next request as soon as the last one is answered, so the mean
latency is about concurrency / throughput (Little's law); p95 < 100 ms at 32 connections needs
roughly 320+ requests/s from two cores. Both the figures and that arithmetic are printed.

gunicorn and the workers are always stopped. Unless --keep is given, the database and the media
directory are removed at the end. --reuse runs on a database kept by an earlier --keep run (migrated,
not rebuilt: load_demo takes minutes on a busy machine); the figures count only this run's rows.
"""

import cProfile
import http.client
import io
import itertools
import os
import pstats
import random
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

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
    start_process,
    stop_process,
    wait_until_ready,
)

MEDIA_DIR = DATA_DIR / "forms-media"
GUNICORN_LOG = DATA_DIR / "gunicorn-forms.log"
WORKER_LOG = DATA_DIR / "db-worker-forms.log"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/signalpage_bench_forms"
GATE_SLUG = "get-the-whitepaper"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) bench_forms/1.0"
MODES = {
    "inline": ("django_tasks.backends.immediate.ImmediateBackend", "request processes the lead itself"),
    "queue": ("django_tasks_db.DatabaseBackend", "request stores lead + task, db_worker processes"),
}
TARGET_P95_MS = 100
COUNTRIES = ["DE", "DE", "FR", "GB", "NL", "US", "AT"]
FIRST_NAMES = ["Jana", "Lukas", "Amelie", "Noah", "Chloe", "Mateo", "Priya", "Oliver", "Sofia", "Emil"]
LAST_NAMES = ["Novak", "Schmidt", "Dubois", "Hughes", "de Vries", "Keller", "Moreau", "Haddad", "Berg"]
FIELD_NAMES = ("work_email", "first_name", "last_name", "company", "country")


def parse_args(argv=None):
    parser = argument_parser(__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="measured visitors (GET + POST) per mode")
    parser.add_argument("--concurrency", type=int, default=32, help="client threads (connections)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="time limit of the measured load")
    parser.add_argument("--modes", default="inline,queue", help="comma-separated: inline, queue")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--db-workers", type=int, default=2, help="db_worker processes in queue mode")
    parser.add_argument(
        "--drain",
        choices=["after", "during"],
        default="after",
        help="queue mode: start the workers after the load (accept and drain measured apart) or before it",
    )
    parser.add_argument("--worker-nice", type=int, default=0, help="queue mode: nice value of the db_workers")
    parser.add_argument("--repeat-share", type=float, default=0.10, help="visitors reusing an accepted email")
    parser.add_argument("--serial", type=int, default=50, help="visitors one at a time before the load")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="queue mode: seconds to wait")
    parser.add_argument("--profile", type=int, default=30, help="in-process profiled submissions (0: none)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_FORMS_PORT", 8798)))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_FORMS_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--keep", action="store_true", help="keep the database and media afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database an earlier --keep run kept (keep that run's --profile at 0 in queue mode: the "
        "profiled submissions' tasks stay queued and the next run's workers would count them)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-htmx",
        action="store_true",
        help="POST as a browser without JavaScript (the whole page comes back) instead of htmx",
    )
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in args.modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}; use inline and/or queue")
    check_at_least_one(parser, args, ("requests", "concurrency", "workers", "db_workers"))
    if not 0 <= args.worker_nice <= 19:
        parser.error("--worker-nice must be in [0, 19]")
    if not 0 <= args.repeat_share < 1:
        parser.error("--repeat-share must be in [0, 1)")
    check_port(parser, args)
    check_postgres_url(parser, args)
    return args


def configure_environment(args):
    """Everything the bench process, gunicorn and the workers read: settings come from the environment."""
    configure_django(args.port, args.database_url, BENCH_MEDIA_ROOT=str(MEDIA_DIR), **FORMS_WIDE_OPEN)
    os.environ.pop("BENCH_BACKGROUND_TASKS_BACKEND", None)  # this process always processes inline


# --- Setup ----------------------------------------------------------------------------------


def build_database(args):
    """A fresh database with the demo site (or the kept one, migrated); returns (whitepaper path, form page id)."""
    if args.reuse:
        reuse_database()
    else:
        fresh_database(args.database_url, MEDIA_DIR)
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("load_demo", stdout=io.StringIO())
        add_sales_reps()
        print(f"load_demo + 4 sales reps: {time.perf_counter() - started:.1f}s")
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"collectstatic: {time.perf_counter() - started:.1f}s")

    from cms.models import WhitepaperPage

    page = (
        WhitepaperPage.objects.live()
        .filter(gated=True, gate_form__slug=GATE_SLUG, document__isnull=False)
        .order_by("pk")
        .first()
    )
    if page is None:
        raise SystemExit(f"load_demo built no live gated whitepaper with the {GATE_SLUG!r} form")
    path = page.get_url_parts()[2]
    return path, page.gate_form_id, page.title


def reuse_database():
    """The database an earlier --keep run left, brought up to the current migrations."""
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"reused the kept database; migrate: {time.perf_counter() - started:.1f}s")


def db_counts():
    from django_tasks_db.models import DBTaskResult

    from forms.models import ConsentRecord, LeadFormSubmission, RejectedSubmission
    from leads.models import Company, Interaction, Lead, Person

    leads = Counter(Lead.objects.values_list("status", flat=True))
    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))
    return {
        "leads": sum(leads.values()),
        "processed": leads.get("processed", 0),
        "received": leads.get("received", 0),
        "failed": leads.get("failed", 0),
        "flagged": Lead.objects.filter(verdict="flagged").count(),
        "people": Person.objects.count(),
        "companies": Company.objects.count(),
        "interactions": Interaction.objects.count(),
        "form submissions": LeadFormSubmission.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "rejections": RejectedSubmission.objects.count(),
        "tasks": sum(tasks.values()),
        "tasks done": tasks.get("SUCCESSFUL", 0),
        "tasks failed": tasks.get("FAILED", 0),
    }


def queue_backlog():
    from django_tasks_db.models import DBTaskResult

    from leads.models import Lead

    waiting = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
    return Lead.objects.filter(status="received").count(), waiting


# --- Processes ------------------------------------------------------------------------------


# --- The virtual visitor --------------------------------------------------------------------

INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
NAMES = re.compile(r'\bname="([^"]+)"')
ERRORS = re.compile(r'<div class="form-errors".*?</div>', re.S)
TAGS = re.compile(r"<[^>]+>")


def hidden_inputs(html):
    """The hidden inputs a browser sends back (tokens, attribution, consent policy), as in tests/forms."""
    values = {}
    for tag in INPUT.findall(html):
        attrs = {k: unescape(v) for k, v in ATTR.findall(tag)}
        if attrs.get("type") == "hidden" and attrs.get("name"):
            values[attrs["name"]] = attrs.get("value", "")
    return values


class EmailBook:
    """New unique emails, and emails already accepted (for the update path), shared by all threads."""

    def __init__(self, mode):
        self.mode = mode
        self.counter = itertools.count(1)
        self.accepted = []
        self.lock = threading.Lock()

    def pick(self, rng, repeat_share):
        with self.lock:
            if self.accepted and rng.random() < repeat_share:
                return rng.choice(self.accepted), True
            n = next(self.counter)
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]
        local = f"{first}.{last}".lower().replace(" ", "")
        return f"{local}.{n}@firm{n % 400}-{self.mode}.de", False

    def remember(self, email):
        with self.lock:
            self.accepted.append(email)


@dataclass
class Pass:
    name: str
    seconds: float = 0.0
    visitors: int = 0
    get_ms: list = field(default_factory=list)
    post_ms: list = field(default_factory=list)
    get_status: Counter = field(default_factory=Counter)
    post_status: Counter = field(default_factory=Counter)
    accepted: int = 0
    accepted_new: int = 0
    accepted_repeat: int = 0
    samples: list = field(default_factory=list)
    timed_out: bool = False

    @property
    def errors(self):
        return sum(n for s, n in self.get_status.items() if s != 200) + sum(
            n for s, n in self.post_status.items() if s != "accepted"
        )

    @property
    def posts_per_second(self):
        return len(self.post_ms) / self.seconds if self.seconds else 0.0

    @property
    def requests_per_second(self):
        return (len(self.post_ms) + len(self.get_ms)) / self.seconds if self.seconds else 0.0


def run_pass(name, *, port, path, total, concurrency, max_seconds, book, repeat_share, seed, htmx=True):
    """`total` visitors from `concurrency` threads, stopped at `max_seconds`."""
    result = Pass(name)
    tickets = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    origin = f"http://{HOST}:{port}"

    def client(index):
        rng = random.Random(seed * 1000 + index)
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
                visitor(conn, rng, local)
        finally:
            conn.close()
        return local

    def visitor(conn, rng, local):
        status, headers, body, ms = send(conn, "GET", path, {"User-Agent": USER_AGENT, "Accept": "text/html"})
        local.get_ms.append(ms)
        local.get_status[status] += 1
        if status != 200:
            return
        jar = SimpleCookie()
        for value in headers.get_all("Set-Cookie") or []:
            jar.load(value)
        html = body.decode("utf-8", "replace")
        missing = [n for n in FIELD_NAMES if f'name="{n}"' not in html]
        if missing or "csrftoken" not in jar:
            local.post_status["page without the form"] += 1
            if len(local.samples) < 3:
                local.samples.append(f"GET: missing {missing or 'csrftoken cookie'}; names {NAMES.findall(html)[:20]}")
            return
        email, repeat = book.pick(rng, repeat_share)
        local_part = email.split("@")[0].split(".")
        answers = {
            "work_email": email,
            "first_name": local_part[0].title(),
            "last_name": local_part[1].title(),
            "company": f"Firm {email.split('@')[1].split('-')[0][4:]}",
            "country": rng.choice(COUNTRIES),
            "marketing_consent": "on",
        }
        data = urlencode({**hidden_inputs(html), **answers})
        cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items())
        post_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "text/html",
            "Cookie": cookie,
            "Origin": origin,
            "Referer": origin + path,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if htmx:  # what the page's own form sends with JavaScript on: only the form panel comes back
            post_headers["HX-Request"] = "true"
        status, _, body, ms = send(conn, "POST", path, post_headers, data)
        local.post_ms.append(ms)
        if status == 200 and b"lead-form__done" in body and b"Download the PDF" in body:
            local.post_status["accepted"] += 1
            local.accepted += 1
            if repeat:
                local.accepted_repeat += 1
            else:
                local.accepted_new += 1
                book.remember(email)
            return
        label = f"{status} form shown again" if status == 200 else status
        local.post_status[label] += 1
        if len(local.samples) < 3:
            found = ERRORS.search(body.decode("utf-8", "replace"))
            text = " ".join(TAGS.sub(" ", found.group(0)).split()) if found else body[:200].decode("utf-8", "replace")
            local.samples.append(f"POST {status}: {text[:300]}")

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        outcomes = [f.result() for f in [pool.submit(client, i) for i in range(concurrency)]]
    except BaseException:
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=True)
    result.seconds = time.perf_counter() - started
    for part in outcomes:
        result.visitors += part.visitors
        result.get_ms += part.get_ms
        result.post_ms += part.post_ms
        result.get_status.update(part.get_status)
        result.post_status.update(part.post_status)
        result.accepted += part.accepted
        result.accepted_new += part.accepted_new
        result.accepted_repeat += part.accepted_repeat
        result.samples += part.samples[: max(0, 5 - len(result.samples))]
        result.timed_out |= part.timed_out
    return result


# --- One mode -------------------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    passes: list
    load: Pass
    truth: dict
    expected_leads: int
    expected_people: int
    backlog_at_end: tuple = (0, 0)
    drain_seconds: float | None = None
    drain_timed_out: bool = False
    load_started_to_drained: float | None = None

    @property
    def drain_rate(self) -> float:
        """Leads processed a second while draining what was waiting when the load ended."""
        return self.backlog_at_end[0] / self.drain_seconds if self.drain_seconds else 0.0

    cpu_busy_before: float = 0.0
    load_average: tuple = ()  # os.getloadavg() when the load pass ended


def start_db_workers(args, env):
    command = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    return [
        start_process([*command, *db_worker_command(f"bench-forms-{n}")], WORKER_LOG, env)
        for n in range(args.db_workers)
    ]


def run_mode(args, mode, path):
    from django.db import connections

    backend, _ = MODES[mode]
    env = dict(os.environ)
    env["BENCH_BACKGROUND_TASKS_BACKEND"] = backend
    connections.close_all()
    before = db_counts()
    connections.close_all()
    procs = []
    busy = cpu_busy()  # nothing of ours runs now: this is other work on the machine
    print(f"\nCPU busy with other work before mode {mode}: {busy:.0%} of {os.cpu_count()} cores")
    # Emails unique to this run too: a --reuse run would otherwise send the kept run's emails again.
    book = EmailBook(f"{mode}{int(time.time()) % 1000000:x}")
    common = {
        "port": args.port,
        "path": path,
        "book": book,
        "repeat_share": args.repeat_share,
        "htmx": not args.no_htmx,
    }
    try:
        gunicorn = start_process(gunicorn_command(args, worker_class="sync"), GUNICORN_LOG, env)
        procs.append(gunicorn)
        wait_until_ready(gunicorn, args.port)
        workers_during = mode == "queue" and args.drain == "during"
        if workers_during:
            procs += start_db_workers(args, env)
        print(f"\n== mode {mode}: {MODES[mode][1]}")
        print(
            f"gunicorn pid {gunicorn.pid}, {args.workers} sync workers"
            + (
                f"; {args.db_workers} db_worker processes (nice {args.worker_nice}), "
                + ("running through the load" if workers_during else "started when the load has ended")
                if mode == "queue"
                else ""
            ),
            flush=True,
        )

        warm = run_pass(
            "warm-up",
            total=2 * args.concurrency,
            concurrency=args.concurrency,
            max_seconds=60,
            seed=args.seed,
            **common,
        )
        print(f"  warm-up   {warm.visitors} visitors in {warm.seconds:.1f}s, POST {dict(warm.post_status)}", flush=True)
        serial = run_pass("serial", total=args.serial, concurrency=1, max_seconds=60, seed=args.seed + 1, **common)
        print(
            f"  serial    {serial.visitors} visitors in {serial.seconds:.1f}s, POST p50 "
            f"{percentile(serial.post_ms, 50):.1f} ms",
            flush=True,
        )
        load_started = time.perf_counter()
        load = run_pass(
            "load",
            total=args.requests,
            concurrency=args.concurrency,
            max_seconds=args.max_seconds,
            seed=args.seed + 2,
            **common,
        )
        print(
            f"  load      {load.visitors} visitors in {load.seconds:.1f}s, {load.posts_per_second:.1f} POST/s"
            + ("  (time limit hit)" if load.timed_out else ""),
            flush=True,
        )
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(
                    f"a server process died during {mode}:\n{log_tail(GUNICORN_LOG)}\n{log_tail(WORKER_LOG)}"
                )

        load_average = os.getloadavg()
        passes = [warm, serial, load]
        result = ModeResult(
            mode,
            passes,
            load,
            {},
            sum(p.accepted for p in passes),
            sum(p.accepted_new for p in passes),
            cpu_busy_before=busy,
            load_average=load_average,
        )
        if mode == "queue":
            result.backlog_at_end = queue_backlog()
            load_ended = time.perf_counter()
            if not workers_during:
                procs += start_db_workers(args, env)
            deadline = load_ended + args.drain_timeout
            while True:
                received, waiting = queue_backlog()
                if received == 0 and waiting == 0:
                    break
                if time.perf_counter() > deadline:
                    result.drain_timed_out = True
                    break
                time.sleep(0.25)
            connections.close_all()
            result.drain_seconds = time.perf_counter() - load_ended
            result.load_started_to_drained = time.perf_counter() - load_started
            print(
                f"  queue     {result.backlog_at_end[0]} leads unprocessed when the load ended; drained "
                f"{result.drain_seconds:.1f}s later ({result.drain_rate:.1f} leads/s, workers' start-up "
                "included)" + (" (TIMED OUT)" if result.drain_timed_out else ""),
                flush=True,
            )
    finally:
        for proc in reversed(procs):
            stop_process(proc)
    connections.close_all()
    after = db_counts()
    connections.close_all()
    result.truth = {key: after[key] - before[key] for key in after}
    result.truth["received (now)"] = after["received"]
    result.truth["failed (now)"] = after["failed"]
    return result


# --- Profile --------------------------------------------------------------------------------

STEPS = [
    # (module, attribute, label): wrapped to time each call, inclusive of the indented steps below it
    ("forms.services.journey", "form_serve", "journey: form_serve (all but the render)"),
    ("forms.services.journey", "request_visitor", "  visitor (cookie -> person, attribution)"),
    ("forms.services.journey", "form_submit", "  form_submit"),
    ("forms.services.submission", "form_plan", "    form_plan (questions, consent policy)"),
    ("forms.services.spam", "check_started_token", "    spam: started token"),
    ("forms.services.spam", "check_rate_limits", "    spam: rate limits (cache)"),
    ("forms.services.visitor_form", "form_class", "    form_class (build the form class)"),
    ("django.forms.forms", "BaseForm.full_clean", "    validation (full_clean)"),
    ("forms.services.submission", "policy_from_token", "    consent policy from its token"),
    ("forms.services.submission", "_answer_claim", "    double-submit check (cache)"),
    ("forms.services.submission", "lead_capture", "    lead_capture (store; inline: and the task)"),
    ("leads.services.capture", "lead_store_raw", "      store raw lead"),
    ("forms.services.submission", "download_path", "      signed download link"),
    ("forms.services.submission", "form_lead_process_now", "      the task (inline only; queue: a worker)"),
    ("forms.services.submission", "consent_record", "        consent record"),
    ("forms.services.submission", "_send_emails", "        emails (outbox)"),
    ("leads.services.capture", "clean_lead", "        cleaning"),
    ("leads.services.capture", "person_resolve", "        person/company resolution"),
    ("leads.services.capture", "visitor_link", "        visitor link"),
    ("leads.services.capture", "person_rescore", "        scoring"),
    ("leads.services.capture", "stage_rules_apply", "        stage rules + routing"),
    ("django.template.response", "SimpleTemplateResponse.render", "render: the whole whitepaper page"),
]


def profile_submissions(count, path, mode):
    """`count` submissions in this process through Django's test client, timed per step; cProfile's top.

    queue mode profiles only the request: its tasks stay in the queue (no worker runs here).
    """
    import importlib

    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    tasks = {**settings.TASKS, "background": {**settings.TASKS["background"], "BACKEND": MODES[mode][0]}}
    overridden = override_settings(TASKS=tasks)
    overridden.enable()

    connections.close_all()
    totals, calls, step_queries = defaultdict(float), Counter(), Counter()
    originals = []
    measuring = False

    def timed(label, fn):
        def wrapper(*a, **kw):
            if not measuring:  # only timed POSTs count (not GETs, nor cProfile's slower runs)
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

    book = EmailBook(f"profile{mode}")
    rng = random.Random(7)
    post_ms, queries, profiler = [], [], cProfile.Profile()
    host = {"HTTP_HOST": f"{HOST}:{os.environ['BENCH_PORT']}"}
    try:
        for n in range(2 * count + 3):
            profiling = n >= count + 3  # timed submissions first, then as many under cProfile
            client = Client(**host)
            page = client.get(path)
            email, _ = book.pick(rng, 0)
            data = {
                **hidden_inputs(page.content.decode()),
                "work_email": email,
                "first_name": "Jana",
                "last_name": "Novak",
                "company": f"Firm {n % 400}",
                "country": "DE",
                "marketing_consent": "on",
            }
            if n < 3:  # warm caches, imports and templates
                client.post(path, data)
                continue
            if profiling:
                profiler.enable()
                response = client.post(path, data)
                profiler.disable()
            else:
                t0, measuring = time.perf_counter(), True
                with CaptureQueriesContext(connection) as captured:
                    response = client.post(path, data)
                measuring = False
                post_ms.append((time.perf_counter() - t0) * 1000)
                queries.append(len(captured.captured_queries))
            if b"lead-form__done" not in response.content:
                print(f"  profile: submission {n} was not accepted ({response.status_code})")
    finally:
        for module, attr, original in originals:
            setattr(module, attr, original)
        overridden.disable()
        connections.close_all()

    measured = len(post_ms)
    print(f"\n== where the time goes, {mode}: {measured} submissions in this process (test client, {MODES[mode][1]})")
    print(
        f"POST p50 {percentile(post_ms, 50):.1f} ms (Django's handler, middleware, view and render; no HTTP), "
        f"queries per submission p50 {percentile(queries, 50)} (max {max(queries)})"
    )
    print(f"{'step (includes the steps indented under it)':<46}{'ms per submission':>18}{'queries':>9}{'calls':>7}")
    labels = [label for _, _, label in STEPS if calls[label]]
    rests = []  # (print after this label, label, ms, queries): what a step spends outside its sub-steps

    def indent(text):
        return len(text) - len(text.lstrip())

    for i, label in enumerate(labels):
        print(
            f"{label:<46}{totals[label] * 1000 / measured:>18.2f}{step_queries[label] / measured:>9.1f}"
            f"{calls[label] / measured:>7.1f}"
        )
        depth = indent(label)
        children = []
        for child in labels[i + 1 :]:
            if indent(child) <= depth:
                break
            children.append(child)
        direct = [c for c in children if indent(c) == depth + 2]
        if direct:
            rest_ms = (totals[label] - sum(totals[c] for c in direct)) * 1000 / measured
            rest_q = (step_queries[label] - sum(step_queries[c] for c in direct)) / measured
            rests.append((children[-1], " " * (depth + 2) + "rest (not in a step above)", rest_ms, rest_q))
        for rest in [r for r in rests if r[0] == label][::-1]:  # innermost first
            rests.remove(rest)
            print(f"{rest[1]:<46}{rest[2]:>18.2f}{rest[3]:>9.1f}")
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(re.escape(str(REPO_ROOT)) + r"/(forms|leads|cms)/", 18)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"cProfile of {count} more submissions, our code by cumulative time:")
    print("\n".join(lines[start:]))
    return percentile(post_ms, 50), percentile(queries, 50)


# --- Reporting ------------------------------------------------------------------------------


def print_environment(args, path, title):
    from importlib.metadata import version

    from django.db import connection

    connection.ensure_connection()
    pg = divmod(connection.pg_version, 10000)
    connection.close()
    print("\n== machine and setup")
    print_machine()
    print(
        f"packages       Django {version('django')}, Wagtail {version('wagtail')}, gunicorn {version('gunicorn')}, "
        f"django-tasks-db {version('django-tasks-db')}"
    )
    print(f"database       PostgreSQL {pg[0]}.{pg[1]} at {redact(args.database_url)} (fresh, load_demo)")
    print(
        f"server         gunicorn cms.wsgi:application --workers {args.workers} --worker-class sync on "
        f"{HOST}:{args.port}, settings bench.settings (production, DEBUG off, locmem cache, locmem email)"
    )
    print(f"form           {path} ({title}), gate form {GATE_SLUG!r}")
    print(
        f"load           {args.requests} visitors per mode (GET + POST), concurrency {args.concurrency}, "
        f"max {args.max_seconds:.0f}s, {args.repeat_share:.0%} repeat emails, {args.serial} serial visitors first, "
        f"{'plain POST (no JavaScript)' if args.no_htmx else 'htmx POST (the form panel only)'}"
    )
    print_forms_wide_open()


def print_mode(args, r):
    load = r.load
    print(f"\n== results: {r.mode} ({MODES[r.mode][1]})")
    header = (
        f"{'pass':<10}{'visitors':>9}{'secs':>7}{'POST/s':>8}{'req/s':>8}"
        f"{'POST p50':>10}{'p95':>8}{'p99':>8}{'GET p50':>9}{'p95':>8}{'p99':>8}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for p in r.passes:
        print(
            f"{p.name:<10}{p.visitors:>9}{p.seconds:>7.1f}{p.posts_per_second:>8.1f}{p.requests_per_second:>8.1f}"
            f"{percentile(p.post_ms, 50):>10.1f}{percentile(p.post_ms, 95):>8.1f}{percentile(p.post_ms, 99):>8.1f}"
            f"{percentile(p.get_ms, 50):>9.1f}{percentile(p.get_ms, 95):>8.1f}{percentile(p.get_ms, 99):>8.1f}"
            f"{p.errors:>8}"
        )
    print("(latencies in ms, measured at the client, including the TCP connect; gunicorn sync closes every connection)")
    print(f"load POST status  {fmt_status(load.post_status)}")
    print(f"load GET status   {fmt_status(load.get_status)}")
    if load.timed_out:
        print(f"load stopped by --max-seconds {args.max_seconds:.0f} after {load.visitors} of {args.requests}")
    for sample in load.samples or [s for p in r.passes for s in p.samples][:3]:
        print(f"  sample error: {sample}")
    t = r.truth
    print("database truth (this mode, warm-up + serial + load):")
    print(
        f"  accepted POSTs {r.expected_leads} (new emails {r.expected_people}) -> leads stored {t['leads']}, "
        f"processed {t['processed']}, still received {t['received (now)']}, failed {t['failed (now)']}, "
        f"flagged {t['flagged']}"
    )
    print(
        f"  people created {t['people']} (expected {r.expected_people}), companies created {t['companies']}, "
        f"interactions {t['interactions']}, form submissions {t['form submissions']}, "
        f"consent records {t['consent records']}, rejections {t['rejections']}"
    )
    if r.mode == "queue":
        print(
            f"  tasks {t['tasks']} (done {t['tasks done']}, failed {t['tasks failed']}); when the load ended "
            f"{r.backlog_at_end[0]} leads were unprocessed and {r.backlog_at_end[1]} tasks waiting; queue drained "
            f"{r.drain_seconds:.1f}s after the load ended, {r.load_started_to_drained:.1f}s after it started"
            + (" (DRAIN TIMED OUT)" if r.drain_timed_out else "")
        )
    problems = truth_problems(r)
    print("  " + ("CHECK: " + "; ".join(problems) if problems else "every accepted POST is a stored, processed lead"))


def truth_problems(r):
    t, problems = r.truth, []
    if t["leads"] != r.expected_leads:
        problems.append(f"{t['leads']} leads stored for {r.expected_leads} accepted POSTs")
    if t["processed"] != t["leads"]:
        problems.append(f"{t['leads'] - t['processed']} leads not processed")
    if t["people"] != r.expected_people:
        problems.append(f"{t['people']} people created for {r.expected_people} new emails")
    if t["form submissions"] != r.expected_leads:
        problems.append(f"{t['form submissions']} form submissions for {r.expected_leads} accepted POSTs")
    if t["rejections"]:
        problems.append(f"{t['rejections']} rejected submissions logged")
    return problems


def print_summary(args, results, profiles):
    concurrency = args.concurrency
    needed = concurrency / (TARGET_P95_MS / 1000)
    print("\n== summary (paste into the closing note)")
    print("command: " + " ".join([os.path.relpath(sys.argv[0], REPO_ROOT), *sys.argv[1:]]))
    print(
        f"bench/bench_forms.py --requests {args.requests} --concurrency {args.concurrency} "
        f"--max-seconds {args.max_seconds:.0f}: gated-whitepaper HTML form (GET + POST per visitor), "
        f"PostgreSQL, gunicorn {args.workers} sync workers, {os.cpu_count()} cores"
    )
    print(
        f"targets: POST p95 < {TARGET_P95_MS} ms at {concurrency} concurrent connections on 2 cores; "
        "Mautic users report 6-17 s per submission"
    )
    for r in results:
        load = r.load
        p95 = percentile(load.post_ms, 95)
        verdict = "meets" if p95 < TARGET_P95_MS else "misses"
        serial = r.passes[1]
        line = (
            f"- {r.mode:<6}: {load.posts_per_second:.1f} submissions/s ({load.requests_per_second:.1f} req/s "
            f"GET+POST); POST p50/p95/p99 {percentile(load.post_ms, 50):.0f}/{p95:.0f}/"
            f"{percentile(load.post_ms, 99):.0f} ms ({verdict} the p95 target), GET p95 "
            f"{percentile(load.get_ms, 95):.0f} ms; alone (1 visitor at a time) POST p50 "
            f"{percentile(serial.post_ms, 50):.0f} ms; errors {load.errors} ({fmt_status(load.post_status)}); "
            f"load average {', '.join(f'{x:.2f}' for x in r.load_average)} at the end of the load"
        )
        if r.mode == "queue":
            line += (
                f"; queue drained {r.drain_seconds:.1f}s after the load ({r.backlog_at_end[0]} leads waiting "
                f"at the end, {r.drain_rate:.1f} leads/s, workers {args.drain} the load, nice {args.worker_nice})"
            )
        problems = truth_problems(r)
        line += f"; DB: {r.truth['leads']} leads, {r.truth['processed']} processed, {r.truth['people']} people" + (
            f" -- CHECK: {'; '.join(problems)}" if problems else " (all accounted for)"
        )
        print(line)
    print(
        f"- closed loop, so mean latency ~= connections / throughput: p95 < {TARGET_P95_MS} ms at {concurrency} "
        f"connections (GET + POST each) needs ~{needed:.0f} requests/s; one at a time a submission takes the "
        f"'alone' figure above, the rest at {concurrency} is waiting for one of the {args.workers} workers"
    )
    busy = [f"{r.mode} {r.cpu_busy_before:.0%}" for r in results if r.cpu_busy_before > 0.15]
    if busy:
        print(
            f"- WARNING: other work kept the CPUs busy just before the runs ({', '.join(busy)} of "
            f"{os.cpu_count()} cores); it competed with the server, so these figures are pessimistic"
        )
    for mode, (p50, queries) in profiles.items():
        print(
            f"- in-process, {mode} (no HTTP, no other requests): POST p50 {p50:.1f} ms, {queries} queries per "
            "submission"
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
        print(f"database: {redact(args.database_url)} ({'kept, reused' if args.reuse else 'dropped and created'})")
        built = True
        path, _, title = build_database(args)
        print_environment(args, path, title)
        results = [run_mode(args, mode, path) for mode in args.modes]
        for r in results:
            print_mode(args, r)
        profiles = {mode: profile_submissions(args.profile, path, mode) for mode in args.modes} if args.profile else {}
        print_summary(args, results, profiles)
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
