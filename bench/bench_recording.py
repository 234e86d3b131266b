"""What recording web behaviour costs a known visitor's page: the same page, recording on and off, side by side.

    .venv/bin/python bench/bench_recording.py --database-url postgres://postgres@127.0.0.1:5432/bench_recording
        [--requests 2400] [--concurrency 8] [--visitors 200] [--rounds 8] [--segments 5] [--pages 20]
        [--port 8793] [--workers 2] [--redis-url redis://127.0.0.1:6379/14] [--target-timeout 120] [--keep]

The bar (issue 16): a known visitor's page served with recording on costs at most 10% more than with
recording off, measured in one run, with gunicorn (2 workers), PostgreSQL and Redis.

What it does:

1. Builds bench_site's data set in the bench database, publishes bench_personalization's personalised
   page with --segments segments, and creates --visitors people (the known visitors).
2. Starts two gunicorns from the same code, settings, database and Redis: "on" (BEHAVIOUR_RECORDING=1,
   the default) on --port and "off" (BEHAVIOUR_RECORDING=0) on --port + 1, --workers each, plus one
   `manage.py db_worker` for the background queue, as production runs: with recording on it writes the
   buffered page views in batches while pages are served, on the same two cores (that work is part of
   what recording costs).
3. Every visitor arrives through a tracked link (?sp_t=, made for their person) and then opens the
   page on both servers: they hold their sp_vid cookie, are known, and their page is in the output cache.
4. Measured: --rounds rounds; in each, --requests / --rounds GETs of the page go to each server from
   --concurrency threads (keep-alive), the visitors taking turns, the order alternating every round so
   that noise from the machine falls on both alike. Only one server is loaded at a time.
5. Waits for the worker to drain the buffer and prints p50/p95 and requests/s per server, the cost of
   recording (on / off, per request) and the page views the lead store received.

HTTP, PostgreSQL and Redis only on 127.0.0.1. The Redis database given is flushed at the start and at
the end. The servers and the worker are always stopped (logs: bench/.data/*-recording*.log).
"""

import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import bench_site  # noqa: E402
from bench.bench_personalization import (  # noqa: E402
    PERSONALISED_SLUG,
    Visitor,
    build_segments,
    page_path,
    personalised_content,
    publish_page,
)
from bench.bench_site import prepare_database, prepare_site, release_database, run_load  # noqa: E402
from bench.harness import (  # noqa: E402
    DATA_DIR,
    HOST,
    LOCAL_DB_HOSTS,
    STOP,
    argument_parser,
    check_at_least_one,
    check_port,
    db_worker_command,
    log_tail,
    on_sigterm,
    percentile,
    port_in_use,
    start_gunicorn,
    start_process,
    stop_process,
    wait_until_ready,
)

BAR = 1.10  # recording on may cost at most 10% more per page
EMAIL_DOMAIN = "bench-recording.example"


def parse_args(argv=None):
    parser = argument_parser(__doc__)
    parser.add_argument("--requests", type=int, default=2400, help="measured requests per server")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--visitors", type=int, default=200, help="known visitors, each with its own cookies")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--segments", type=int, default=5)
    parser.add_argument("--pages", type=int, default=20, help="whitepapers and case studies each")
    parser.add_argument("--port", type=int, default=8793, help="recording on; off is --port + 1")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database the bench may flush")
    parser.add_argument("--target-timeout", type=float, default=120.0, help="seconds one pass may take")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="start no db_worker: the serving path's own cost, without the batch writer on the same cores",
    )
    parser.add_argument("--database-url", default=None, help="overrides BENCH_DATABASE_URL (PostgreSQL for the bar)")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, ("requests", "concurrency", "visitors", "rounds", "segments", "workers"))
    if args.requests < args.rounds or args.visitors > 5000 or args.requests > 100000:
        parser.error("--requests must be at least --rounds; keep --visitors <= 5000 and --requests <= 100000")
    check_port(parser, args)
    parts = urlsplit(args.redis_url)
    if parts.scheme != "redis" or (parts.hostname or "") not in LOCAL_DB_HOSTS - {""}:
        parser.error("--redis-url must be redis://127.0.0.1:PORT/DB (a local Redis)")
    return args


def known_visitors(count):
    """People to be, and a Visitor (cookie jar) each with the tracked link that identifies its browser."""
    from leads.models import Person, ScoringRule
    from personalization.services import tracked_link_token

    # Page views score as the demo's "Page view" rule makes them (2 points, at most 10 a week, halving
    # weekly), so the worker rescores the people of every batch.
    ScoringRule.objects.update_or_create(
        name="Bench page view",
        defaults={
            "kind": "interest",
            "interaction_type": "page_view",
            "points": 2,
            "cap_points": 10,
            "cap_period_days": 7,
            "half_life_days": 7,
        },
    )

    Person.objects.bulk_create(
        [
            Person(email=f"reader{n}@{EMAIL_DOMAIN}", email_key=f"reader{n}@{EMAIL_DOMAIN}", first_name=f"Reader {n}")
            for n in range(count)
        ],
        ignore_conflicts=True,
    )
    people = list(Person.objects.filter(email_key__endswith=f"@{EMAIL_DOMAIN}").order_by("pk")[:count])
    visitors = []
    for n, person in enumerate(people):
        visitor = Visitor(n)
        visitor.token = tracked_link_token(person.pk)
        visitors.append(visitor)
    return visitors


def page_views_written(since):
    from leads.models import Interaction

    return Interaction.objects.filter(
        type="page_view", occurred_at__gte=since, person__email_key__endswith=f"@{EMAIL_DOMAIN}"
    ).count()


def warm_up(port, path, visitors, args):
    """Each visitor: the tracked link (302 to the page without ?sp_t=), then the page, on this server."""
    failures = 0
    for step in ("link", "page"):

        def request_for(ticket, step=step):
            visitor = visitors[ticket]
            target = f"{path}?sp_t={visitor.token}" if step == "link" else path
            return target, visitor.headers()

        def on_response(ticket, response, body):
            nonlocal failures
            visitors[ticket].take_cookies(response)
            failures += response.status not in (200, 302)

        run_load(port, f"warm-{step}", path, len(visitors), 1, args.target_timeout, request_for, on_response)
    return failures


def measure(args, path, visitors, servers):
    """Alternating rounds; returns {server name: [latencies]}, {server name: seconds} and errors."""
    latencies = {name: [] for name in servers}
    seconds = dict.fromkeys(servers, 0.0)
    errors = dict.fromkeys(servers, 0)
    per_round = [args.requests // args.rounds + (r < args.requests % args.rounds) for r in range(args.rounds)]
    offset = 0
    names = list(servers)
    for round_number, total in enumerate(per_round):
        for name in names if round_number % 2 == 0 else names[::-1]:
            if STOP.is_set():
                raise KeyboardInterrupt
            start = offset

            def request_for(ticket, start=start):
                return path, visitors[(start + ticket) % len(visitors)].headers()

            result = run_load(
                servers[name], name, path, total, args.concurrency, args.target_timeout, request_for, None
            )
            latencies[name].extend(result.latencies)
            seconds[name] += result.seconds
            errors[name] += result.errors + sum(n for status, n in result.statuses.items() if status != 200)
        offset += total
    return latencies, seconds, errors


def main(argv=None):
    args = parse_args(argv)
    if not args.database_url and not os.environ.get("BENCH_DATABASE_URL"):
        args.database_url = f"sqlite:///{DATA_DIR / 'bench_recording.sqlite3'}"
    bench_site.configure_environment(args)
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["BENCH_BACKGROUND_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    signal.signal(signal.SIGTERM, on_sigterm)
    ports = {"on": args.port, "off": args.port + 1}
    for port in ports.values():
        if port_in_use(port):
            raise SystemExit(f"{HOST}:{port} is already in use; pick another --port")
    import redis

    client = redis.Redis.from_url(args.redis_url, socket_timeout=10)
    client.flushdb()
    db_label, db_created = prepare_database()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, connections
    from django.utils import timezone

    if settings.DEBUG:
        raise SystemExit("bench.settings has DEBUG on; the numbers would be meaningless")
    processes = []
    started = time.perf_counter()
    try:
        prepare_site(args.pages, db_label, db_created)
        segment_ids, _ = build_segments(args.segments)
        page = publish_page(PERSONALISED_SLUG, "Bench personalised page", personalised_content(segment_ids))
        path = page_path(page)
        visitors = known_visitors(args.visitors)
        connections.close_all()

        servers = {}
        for name, port in ports.items():
            os.environ["BEHAVIOUR_RECORDING"] = "1" if name == "on" else "0"
            args.port = port
            proc, command = start_gunicorn(args, DATA_DIR / f"gunicorn-recording-{name}.log")
            processes.append(proc)
            wait_until_ready(proc, port)
            servers[name] = port
        os.environ.pop("BEHAVIOUR_RECORDING")
        if not args.no_worker:
            worker = start_process(
                db_worker_command("bench-recording"), DATA_DIR / "worker-recording.log", dict(os.environ), mode="wb"
            )
            processes.append(worker)
        print(
            f"servers: recording on at {HOST}:{ports['on']}, off at {HOST}:{ports['off']}, {args.workers} workers each"
        )
        print(f"page {path}, {args.segments} segments, {len(visitors)} known visitors", flush=True)

        failures = sum(warm_up(port, path, visitors, args) for port in servers.values())
        known = sum(1 for v in visitors if "sp_vid" in v.cookies)
        print(f"warm-up: {known}/{len(visitors)} visitors hold a cookie, {failures} failed requests", flush=True)

        window_start = timezone.now()
        latencies, seconds, errors = measure(args, path, visitors, servers)
        measured_at = time.monotonic()
        buffered = client.llen("signalpage:behaviour:page-views")
        while (
            not args.no_worker
            and client.llen("signalpage:behaviour:page-views")
            and time.monotonic() - measured_at < 120
        ):
            time.sleep(0.5)  # the worker drains the buffer: wait for it, bounded
        drained = time.monotonic() - measured_at
        written = page_views_written(window_start)
        connection.close()

        print(f"\n== {args.requests} requests per server, {args.rounds} alternating rounds, {args.concurrency} clients")
        print(f"{'server':<14}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}{'errors':>8}")
        figures = {}
        for name in servers:
            values = latencies[name]
            rps = len(values) / seconds[name] if seconds[name] else 0.0
            figures[name] = (percentile(values, 50) * 1000, percentile(values, 95) * 1000, rps)
            p50, p95, rps = figures[name]
            print(f"recording {name:<4}{p50:>9.2f}{p95:>9.2f}{rps:>9.1f}{errors[name]:>8}")
        cost = figures["off"][2] / figures["on"][2] if figures["on"][2] else float("inf")
        p50_ratio = figures["on"][0] / figures["off"][0] if figures["off"][0] else float("inf")
        verdict = "meets" if cost <= BAR else "misses"
        print(
            f"\ncost of recording: {cost:.3f}x time per request (throughput off / on), p50 {p50_ratio:.3f}x; "
            f"bar {BAR:.2f}x: {verdict}"
        )
        print(
            f"lead store: {written} page views written for the measured window "
            f"({len(latencies['on'])} requests with recording on); {buffered} still buffered when measuring "
            f"ended, drained {drained:.1f}s later"
        )
        print(f"total time {time.perf_counter() - started:.0f}s")
    except KeyboardInterrupt:
        STOP.set()
        print("\ninterrupted")
        raise
    finally:
        STOP.set()
        for proc in processes:
            if proc.poll() is not None and proc.returncode:
                print(f"a process exited with {proc.returncode}:\n{log_tail(proc.bench_log_path)}")
            stop_process(proc)
        connections.close_all()
        release_database(args.keep, db_label, db_created)
        client.flushdb()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
