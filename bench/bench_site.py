"""Benchmark the public site and the content API as production serves them.

    .venv/bin/python bench/bench_site.py [--pages 1000] [--requests 400] [--concurrency 8]
                                         [--port 8799] [--keep] [--database-url URL]

What it does:

1. Builds a data set in the bench database (SQLite at bench/.data/bench.sqlite3 unless
   --database-url or BENCH_DATABASE_URL says otherwise): a home page at the site root, a
   whitepaper library (/whitepapers/) and a case study library (/case-studies/) holding --pages
   pages each (every third whitepaper open, the others gated by one gate form), an event with its
   landing page and registration form, a few topics, industries, products and authors, and five
   cover images shared by the cards. Every page is published with a live revision, as an editor
   leaves it (a page without one never reaches the output cache); a database that already holds
   enough pages is reused, and its pages without a live revision are given one (bench/site_data.py).
2. Collects static files into bench/.data/static.
3. Starts gunicorn (cms.wsgi:application, DJANGO_SETTINGS_MODULE=bench.settings, which is
   cms.settings.production with HTTPS and hosts relaxed for 127.0.0.1) and waits for it.
4. Warms every target, then sends --requests GET requests to each target from --concurrency
   threads, each with its own keep-alive connection to 127.0.0.1, and prints latency and
   throughput next to /bench/floor/, a bare Django view that only goes through the middleware.
   gunicorn's default sync workers close the connection after every response, so each thread
   reconnects as needed; the "TCP connections" column of the targets list shows how often.
   Each page is measured twice: as served (warm: from the output cache) and uncached (the same
   URL with a new unknown parameter each time, so it is rendered in full), printed side by side
   with issue 19's goal (pages within 3x the floor's throughput, the content API within 5x).

gunicorn is always stopped at the end. Unless --keep is given, a database (and the media files
of its images) that this run created is removed again; one that existed before is left alone,
so `--keep` once and later runs skip the build.
"""

import http.client
import itertools
import os
import platform
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.harness import (  # noqa: E402
    DATA_DIR,
    HOST,
    REQUEST_TIMEOUT,
    STOP,
    argument_parser,
    check_at_least_one,
    check_port,
    configure_django,
    drop_postgres_database,
    ensure_postgres_database,
    log_tail,
    on_sigterm,
    percentile,
    port_in_use,
    redact,
    start_gunicorn,
    stop_gunicorn,
    wait_until_ready,
)
from bench.site_data import (  # noqa: E402,F401  (names other benches import from here)
    COVER_COUNT,
    SQLITE_PATH,
    TOPICS,
    build_data,
    discover_targets,
    ensure_home,
    media_tag,
)

GUNICORN_LOG = DATA_DIR / "gunicorn.log"

HEADERS = {"User-Agent": "bench_site/1.0", "Accept": "text/html,application/json;q=0.9"}
# A parameter no page knows: the page is rendered in full, never from (or into) the output cache.
BYPASS_PARAM = "bench_uncached"


def parse_args(argv=None):
    parser = argument_parser(__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="whitepapers and case studies each")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per target")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (connections)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8799)))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep a database this run created (and its media) so later runs skip the build",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="overrides BENCH_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/bench_site",
    )
    parser.add_argument(
        "--target-timeout",
        type=float,
        default=120.0,
        help="seconds one target may take; requests not sent by then are left out",
    )
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, ("pages", "requests", "concurrency", "workers"))
    check_port(parser, args)
    return args


def configure_environment(args):
    """Point Django at bench.settings before anything imports it."""
    configure_django(args.port, args.database_url)


# --- Database -------------------------------------------------------------------------------


def sqlite_path(url):
    """The file a sqlite:// URL names, read the way dj-database-url reads it."""
    return Path(urlsplit(url).path[1:])


def prepare_database():
    """Make sure the bench database exists; return (description, created_by_this_run)."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url:
        created = not SQLITE_PATH.exists()
        return f"sqlite:///{SQLITE_PATH}", created
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return url, not sqlite_path(url).exists()
    return redact(url), ensure_postgres_database(url)


def database_description():
    from django.db import connection

    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    elif vendor == "postgresql":
        major, rest = divmod(connection.pg_version, 10000)
        version = f"PostgreSQL {major}.{rest}"
    else:
        version = vendor
    return vendor, version


# --- gunicorn -------------------------------------------------------------------------------


def get(port, path):
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_debug_off(port):
    """A missing page must not come back as Django's technical (DEBUG = True) page."""
    status, body = get(port, "/bench/no-such-page-for-debug-check/")
    if b"DEBUG = True" in body:
        raise SystemExit("the server answers with DEBUG pages; the numbers would be meaningless")
    if status != 404:
        print(f"note: a missing page answered {status}, not 404 (see {GUNICORN_LOG})")


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    path: str
    sent: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    connections: int = 0
    timed_out: bool = False

    @property
    def rps(self):
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, q):
        return percentile(self.latencies, q) * 1000  # latencies are seconds, figures milliseconds


def run_load(port, name, path, total, concurrency, timeout_s, request_for=None, on_response=None):
    """Send `total` GETs to `path` from `concurrency` threads, one keep-alive connection each.

    request_for(ticket), if given, returns the (path, headers) of request number `ticket` (a
    visitor's cookie, say); on_response(ticket, response, body) sees each answer once its latency
    is taken. Without them every request is a GET of `path` with HEADERS.
    """
    result = Result(name, path)
    tickets = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + timeout_s

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        latencies, statuses, errors, connections = [], Counter(), 0, 0
        try:
            while True:
                with lock:
                    ticket = next(tickets)
                if ticket >= total or STOP.is_set():
                    break
                if time.monotonic() > deadline:
                    result.timed_out = True
                    break
                request_path, headers = request_for(ticket) if request_for else (path, HEADERS)
                if conn.sock is None:
                    connections += 1
                started = time.perf_counter()
                try:
                    conn.request("GET", request_path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status = type(exc).__name__
                    response = None
                latencies.append(time.perf_counter() - started)
                if on_response is not None and response is not None:
                    on_response(ticket, response, body)
                statuses[status] += 1
                if status != 200:
                    errors += 1
        finally:
            conn.close()
        return latencies, statuses, errors, connections

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        outcomes = [f.result() for f in [pool.submit(client) for _ in range(concurrency)]]
    except BaseException:  # Ctrl-C or SIGTERM: let the client threads go before waiting for them
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=True)
    result.seconds = time.perf_counter() - started
    for latencies, statuses, errors, connections in outcomes:
        result.latencies.extend(latencies)
        result.statuses.update(statuses)
        result.errors += errors
        result.connections += connections
    result.sent = len(result.latencies)
    return result


# --- Reporting ------------------------------------------------------------------------------


def print_environment(args, db_label, data_facts, gunicorn_command):
    from importlib.metadata import version

    from django.conf import settings

    vendor, db_version = database_description()
    db = settings.DATABASES["default"]
    print("\n== machine")
    print(f"cores          {os.cpu_count()}")
    print(f"platform       {platform.platform()}")
    print(f"python         {platform.python_implementation()} {platform.python_version()}")
    print(f"packages       Django {version('django')}, Wagtail {version('wagtail')}, gunicorn {version('gunicorn')}")
    print(f"database       {vendor} ({db_version})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average   {load} (1/5/15 min; other work on the machine skews the figures)")
    print("\n== settings")
    settings_module = os.environ["DJANGO_SETTINGS_MODULE"]
    print(f"settings       {settings_module} (cms.settings.production, relaxed for 127.0.0.1)")
    print(f"DEBUG          {settings.DEBUG}")
    print(f"database url   {db_label}")
    print(f"CONN_MAX_AGE   {db.get('CONN_MAX_AGE', 0)}")
    print(f"cache          {settings.CACHES['default']['BACKEND']}")
    print(f"static         {settings.STORAGES['staticfiles']['BACKEND']}")
    shown = gunicorn_command[gunicorn_command.index("cms.wsgi:application") :]
    print(f"gunicorn       gunicorn {' '.join(shown)}")
    print(
        f"load           {args.requests} requests per target, concurrency {args.concurrency}, "
        f"target timeout {args.target_timeout:.0f}s, client {HOST}:{args.port}"
    )
    print("data           " + ", ".join(f"{k} {v}" for k, v in data_facts.items()))


def measure_uncached(args, name, path):
    """The same page rendered in full for every request: a parameter no page knows keeps it out of the
    output cache (cms.page_cache.cacheable), and a new value each time keeps any other cache out too."""
    joiner = "&" if "?" in path else "?"

    def request_for(ticket):
        return f"{path}{joiner}{BYPASS_PARAM}={ticket}", HEADERS

    result = run_load(
        args.port, name, path, args.requests, args.concurrency, args.target_timeout, request_for=request_for
    )
    print(f"  {name:<22} uncached: measured {result.sent} in {result.seconds:.1f}s", flush=True)
    return result


def print_goals(results, uncached):
    """Issue 19, target 6: cached pages within 3x the floor, the content API within 5x (by throughput)."""
    floor = results[0]
    header = (
        f"{'target':<22}{'cached req/s':>13}{'x floor':>9}{'p50 ms':>8}  "
        f"{'uncached req/s':>15}{'x floor':>9}{'p50 ms':>8}  {'goal':<6}{'met':<4}"
    )
    print("\n== cached and uncached side by side (x floor = floor req/s / target req/s)")
    print(header)
    print("-" * len(header))
    for r in results[1:]:
        goal = 5 if r.path.startswith("/api/") else 3
        ratio = floor.rps / r.rps if r.rps else float("inf")
        cold = uncached.get(r.name)
        cold_text = (
            f"{cold.rps:>15.1f}{floor.rps / cold.rps if cold.rps else float('inf'):>8.1f}x{cold.percentile(50):>8.1f}"
            if cold
            else f"{'(not measured)':>32}"
        )
        met = "yes" if ratio <= goal and not r.errors else "NO"
        print(f"{r.name:<22}{r.rps:>13.1f}{ratio:>8.1f}x{r.percentile(50):>8.1f}  {cold_text}  {goal}x    {met}")
    print(f"load average now {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def print_table(results, uncached=None):
    floor = results[0]
    header = (
        f"{'target':<22}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}"
        f"  {'throughput vs floor':<22}{'p50 vs floor':<14}"
    )
    print("\n== results")
    print(header)
    print("-" * len(header))
    for r in results:
        p50, p95 = r.percentile(50), r.percentile(95)
        if r is floor:
            vs_rps, vs_p50 = "baseline", "baseline"
        else:
            vs_rps = f"{floor.rps / r.rps:.1f}x slower" if r.rps else "n/a"
            vs_p50 = f"{p50 / floor.percentile(50):.1f}x" if floor.latencies else "n/a"
        flag = "  <- errors" if r.errors else ""
        print(
            f"{r.name:<22}{r.sent:>9}{r.errors:>8}{p50:>9.1f}{p95:>9.1f}{r.rps:>9.1f}  {vs_rps:<22}{vs_p50:<14}{flag}"
        )
    print("\n== targets")
    for r in results:
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(r.statuses.items(), key=str))
        extra = "  (target timeout hit)" if r.timed_out else ""
        print(f"{r.name:<22}{r.path:<52}{codes}; {r.connections} TCP connections{extra}")
    print_goals(results, uncached or {})
    failed = [r.name for r in results if r.errors] + [
        f"{n} (uncached)" for n, r in (uncached or {}).items() if r.errors
    ]
    if failed:
        print(f"\nfailed targets: {', '.join(failed)} (tracebacks in {GUNICORN_LOG})")
    else:
        print("\nall targets answered 200")


# --- Cleanup --------------------------------------------------------------------------------


def remove_media():
    """Delete this database's originals and renditions (see media_tag)."""
    from django.conf import settings

    tag = media_tag()
    for number in range(1, COVER_COUNT + 1):
        for path in Path(settings.MEDIA_ROOT).glob(f"*/bench{number}-{tag}*"):
            path.unlink(missing_ok=True)


def remove_created_database(db_created):
    from django.db import connections

    if not db_created:
        return
    connections.close_all()
    remove_media()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url or url.lower().startswith("sqlite"):
        path = sqlite_path(url) if url else SQLITE_PATH
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"removed the bench database {path} (pass --keep to reuse it)")
    else:
        drop_postgres_database(url)
        print(f"dropped the bench database {redact(url)} (pass --keep to reuse it)")


def release_database(keep, db_label, db_created):
    """Unless `keep`, remove a database this run created; say so when one is kept."""
    if not keep:
        remove_created_database(db_created)
    elif db_created:
        print(f"kept the bench database {db_label}")


# --- Main -----------------------------------------------------------------------------------


def prepare_site(pages, db_label, db_created):
    """Migrate the bench database, build (or reuse) the site's pages and collect static files."""
    from django.conf import settings
    from django.core.management import call_command

    print(f"database: {db_label}" + (" (new)" if db_created else ""))
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f}s")
    build_data(pages)

    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"collectstatic: {time.perf_counter() - started:.1f}s into {settings.STATIC_ROOT}")


def main(argv=None):
    args = parse_args(argv)
    configure_environment(args)
    signal.signal(signal.SIGTERM, on_sigterm)

    if port_in_use(args.port):
        raise SystemExit(f"{HOST}:{args.port} is already in use; pick another --port")

    db_label, db_created = prepare_database()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    if settings.DEBUG:
        raise SystemExit("bench.settings has DEBUG on; the numbers would be meaningless")

    proc = None
    total_started = time.perf_counter()
    try:
        prepare_site(args.pages, db_label, db_created)
        targets, data_facts = discover_targets()
        connections.close_all()  # gunicorn's workers get the database to themselves

        proc, command = start_gunicorn(args, GUNICORN_LOG)
        wait_until_ready(proc, args.port)
        check_debug_off(args.port)
        print(f"gunicorn: pid {proc.pid}, {args.workers} workers on {HOST}:{args.port}")

        print_environment(args, db_label, data_facts, command)

        warmup = max(args.concurrency, 2 * args.workers) * 2
        print(f"\nwarming up ({warmup} requests per target) and measuring ...", flush=True)
        results, uncached = [], {}
        for name, path in targets:
            warm = run_load(args.port, name, path, warmup, args.concurrency, args.target_timeout)
            result = run_load(args.port, name, path, args.requests, args.concurrency, args.target_timeout)
            codes = ", ".join(f"{c} x{n}" for c, n in sorted(warm.statuses.items(), key=str))
            print(
                f"  {name:<22} warm-up {codes}; measured {result.sent} in {result.seconds:.1f}s "
                f"(load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
            results.append(result)
            if name != "floor" and not path.startswith("/api/"):
                uncached[name] = measure_uncached(args, name, path)
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn died during {name}:\n{log_tail(GUNICORN_LOG)}")

        print_table(results, uncached)
    except KeyboardInterrupt:
        STOP.set()
        print("\ninterrupted")
        raise
    finally:
        STOP.set()
        stop_gunicorn(proc)
        release_database(args.keep, db_label, db_created)
        print(f"total time {time.perf_counter() - total_started:.0f}s")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
