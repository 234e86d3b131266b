"""What every benchmark shares: the common arguments, the environment, the bench database, starting
and stopping gunicorn (and other server processes), sending requests, percentiles and printed figures.

The scripts run as `.venv/bin/python bench/<script>.py`, so each puts the repository on sys.path
before it imports this module as `bench.harness` (one module object, so one STOP for every thread).
"""

import argparse
import http.client
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "bench" / ".data"
HOST = "127.0.0.1"  # the only address a bench ever talks HTTP to
LOCAL_DB_HOSTS = {"", "127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT = 30  # seconds, per request
STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer /bench/floor/
STOP = threading.Event()  # set on SIGTERM / Ctrl-C so client threads give up at once
# The form defences a load from one address would trip (minimum fill time, rate limits), opened wide.
FORMS_WIDE_OPEN = {
    "FORMS_MIN_FILL_SECONDS": "0",
    "FORMS_RATE_LIMIT_IP": "1000000/60",
    "FORMS_RATE_LIMIT_EMAIL": "1000000/60",
}


def on_sigterm(signum, frame):
    """SIGTERM becomes SystemExit, so the finally in a script's main() still stops its servers."""
    STOP.set()
    sys.exit(128 + signum)


# --- Arguments -------------------------------------------------------------------------------------


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of the script's docstring."""
    return argparse.ArgumentParser(description=doc.split("\n\n")[0])


def check_at_least_one(parser, args, names):
    for name in names:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")


def check_port(parser, args):
    if not 1024 <= args.port <= 65535:
        parser.error("--port must be between 1024 and 65535")


def check_postgres_url(parser, args):
    if not args.database_url.lower().startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")


# --- Environment -----------------------------------------------------------------------------------


def configure_django(port, database_url=None, **extra):
    """Point Django at bench.settings before anything imports it; gunicorn and the workers a bench
    starts inherit the environment, so they read the same settings."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_PORT": str(port),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
    )
    if database_url:
        os.environ["BENCH_DATABASE_URL"] = database_url
    os.environ.update(extra)
    DATA_DIR.mkdir(parents=True, exist_ok=True)


def setup_django(database_url, migrate=True):
    """For the in-process benches (no server): the development settings on `database_url`, created
    if it is a missing local PostgreSQL database, migrated."""
    parts = urlsplit(database_url)
    if parts.scheme.startswith("postgres"):
        import psycopg

        if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            sys.exit("Refusing a non-local database for a benchmark.")
        name = parts.path.lstrip("/")
        admin = database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    os.environ["DEBUG"] = "false"  # no query log in memory
    # As in production: capture enqueues processing on the database task queue.
    os.environ["BACKGROUND_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


# --- The bench database ----------------------------------------------------------------------------


def redact(url):
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _maintenance_params(parts):
    params = {"dbname": "postgres", "user": parts.username or "postgres"}
    if parts.hostname:
        params["host"] = parts.hostname
    if parts.port:
        params["port"] = parts.port
    if parts.password:
        params["password"] = parts.password
    return params


def ensure_postgres_database(url):
    """Create the PostgreSQL database if missing (connecting to "postgres"); True if created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if (parts.hostname or "") not in LOCAL_DB_HOSTS:
        raise SystemExit(f"refusing a non-local database host {parts.hostname!r}; use 127.0.0.1")
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("--database-url names no database")
    with psycopg.connect(**_maintenance_params(parts), autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created PostgreSQL database {name!r}")
        return True


def drop_postgres_database(url):
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(**_maintenance_params(parts), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def fresh_database(database_url, media_dir):
    """Drop and create the bench database, empty its media, set Django up and migrate (timed)."""
    import shutil

    drop_postgres_database(database_url)
    ensure_postgres_database(database_url)
    shutil.rmtree(media_dir, ignore_errors=True)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DEBUG:
        raise SystemExit("bench.settings has DEBUG on; the numbers would be meaningless")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f}s")


def add_sales_reps():
    """Four sales reps: production settings skip the demo's users, so routing would have nobody to
    assign leads to."""
    from django.contrib.auth import get_user_model

    from leads.models import SalesRep

    users = get_user_model()
    for n, (territories, weight) in enumerate([("DE,AT,CH", 1), ("GB,IE,US", 2), ("FR,BE,NL", 1), ("", 1)]):
        user, _ = users.objects.get_or_create(username=f"bench-rep-{n}", defaults={"email": f"rep{n}@bench.invalid"})
        SalesRep.objects.get_or_create(user=user, defaults={"territories": territories, "weight": weight})


# --- Servers ---------------------------------------------------------------------------------------


def launcher(name):
    """The virtualenv's console script `name`, or `python -m name`."""
    exe = Path(sys.executable).with_name(name)
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


def db_worker_command(worker_id: str) -> list[str]:
    """One worker of the product's "background" queue as production runs it, polling every 0.1 s."""
    return [
        sys.executable, "manage.py", "db_worker", "--backend", "background", "--queue-name", "default",
        "--interval", "0.1", "--no-startup-delay", "--no-reload", "--verbosity", "0", "--worker-id", worker_id,
    ]  # fmt: skip


def gunicorn_command(args, worker_class=None):
    """gunicorn serving cms.wsgi:application with args.workers workers on args.port."""
    command = [*launcher("gunicorn"), "cms.wsgi:application", "--workers", str(args.workers)]
    if worker_class:
        command += ["--worker-class", worker_class]
    command += ["--bind", f"{HOST}:{args.port}", "--access-logfile", "/dev/null"]
    # Recent gunicorn opens a control socket under ~/.gunicorn by default; the bench needs none.
    usage = subprocess.run([*launcher("gunicorn"), "--help"], capture_output=True, text=True, timeout=30)
    if "--no-control-socket" in usage.stdout:
        command.append("--no-control-socket")
    return command


def start_process(command, log_path, env, mode="ab"):
    """Start a server process in the repository, its output in log_path (closed by stop_process)."""
    log = open(log_path, mode)  # closed in stop_process
    proc = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so we can stop exactly what we started
    )
    proc.bench_log = log
    proc.bench_log_path = log_path
    return proc


def stop_process(proc):
    if proc is None:
        return
    try:
        if proc.poll() is None:
            proc.terminate()  # graceful: a gunicorn master stops its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the process group this script created
                proc.wait(timeout=5)
    finally:
        proc.bench_log.close()


def start_gunicorn(args, log_path):
    """gunicorn with args.workers workers on args.port on bench.settings, logging to log_path (emptied
    first); returns (process, command)."""
    command = gunicorn_command(args)
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["BENCH_PORT"] = str(args.port)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return start_process(command, log_path, env, mode="wb"), command


stop_gunicorn = stop_process


def port_in_use(port):
    conn = http.client.HTTPConnection(HOST, port, timeout=1)
    try:
        conn.connect()
    except OSError:
        return False
    finally:
        conn.close()
    return True


def log_tail(path, lines=30):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_ready(proc, port):
    """Until gunicorn answers /bench/floor/ (a view that only goes through the middleware) with ok."""
    log = proc.bench_log_path
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log_tail(log)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            conn.request("GET", "/bench/floor/")
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
            continue
        finally:
            conn.close()
        if response.status == 200 and body == b"ok":
            return
        raise SystemExit(f"/bench/floor/ answered {response.status}: {body[:200]!r}\n{log_tail(log)}")
    raise SystemExit(f"gunicorn did not answer within {STARTUP_TIMEOUT}s:\n{log_tail(log)}")


def cpu_busy(seconds=2.0):
    """Share of all CPUs busy over `seconds`, from /proc/stat (0 where that is unavailable)."""

    def sample():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


# --- Requests and figures --------------------------------------------------------------------------


def send(conn, method, path, headers, body=None):
    """One request; returns (status or exception name, headers, body, ms). http.client reconnects
    after a close."""
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        status, response_headers = response.status, response.headers
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        status, response_headers, data = type(exc).__name__, None, b""
    return status, response_headers, data, (time.perf_counter() - started) * 1000


def percentile(values, q):
    """The nearest-rank percentile (nan for no values): the figure every bench prints."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def fmt_status(counter):
    """A Counter of statuses as "200 x950, 503 x50" (or "none")."""
    return ", ".join(f"{k} x{v}" for k, v in sorted(counter.items(), key=lambda kv: str(kv[0]))) or "none"


def print_machine():
    """The machine lines of a bench's "machine and setup" block: other work skews the figures."""
    print(f"cores          {os.cpu_count()}; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"platform       {platform.platform()}, Python {platform.python_version()}")


def print_forms_wide_open():
    print("environment    " + " ".join(f"{name}={value}" for name, value in FORMS_WIDE_OPEN.items()))
