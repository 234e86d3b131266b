"""Benchmark of campaign sending (issue 17): throughput to a local SMTP sink with two workers, and kill -9.

    .venv/bin/python bench/bench_campaign_send.py [--people 20000] [--workers 2] [--kills 3] [--rebuild]
        [--database-url postgres://postgres@127.0.0.1:5432/signalpage_send_bench]
        [--redis-url redis://127.0.0.1:6379/12] [--only throughput|kill] [--seed 17] [--timeout 900]

Builds (with --rebuild, or when the database is missing or holds another number of people) N people with
consent granted and valid addresses (INSERT ... SELECT over generate_series), a tag on all of them, and
CampaignSettings with 1,000,000 emails per minute and no fatigue limit, so nothing throttles. Each run
makes a fresh campaign with a realistic body (a heading with a merge field, text, a button to a page of
ours, two columns) whose audience is that tag.

An aiosmtpd sink runs on loopback in this process (a thread): it counts messages and records each
one's recipient, and parses nothing but the first message (its headers are checked). `--workers`
`manage.py db_worker` processes serve the "background" database queue with bench.settings (production
settings, the database task backend, Redis for the cache the throttle shares), and send through
Django's SMTP backend to the sink (CAMPAIGN_EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT from the environment).

Run 1 (throughput): campaign_send, then the database is polled every 0.5 s until the campaign is sent.
Prints recipients, seconds from send to the last accepted message, messages/s at the sink, and that
time split into preparing (send to first message: recording the recipients and links, queueing the
senders, compiling the email) and delivering (first to last message). The issue's bar: 200 messages/s.

Run 2 (kill test): another campaign to the same people, with dead work coming back fast
(CAMPAIGN_SENDING_TIMEOUT_MINUTES=1, WORKER_HEARTBEAT_SECONDS=1, WORKER_DEAD_AFTER_SECONDS=4,
WORKER_SWEEP_SECONDS=3). While it sends, `--kills` times at a random count of messages at the sink,
every worker gets SIGKILL and new workers (new worker ids) start. Once it is sent: messages at the sink,
distinct recipients, recipients missing (recorded to be sent, never received), duplicates (addresses
received more than once; the issue allows only the moment between the server accepting and the row
saying so) and the rows not "sent". The workers are always stopped (try/finally).
"""

import os
import random
import resource
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import (  # noqa: E402
    DATA_DIR,
    LOCAL_DB_HOSTS,
    argument_parser,
    check_postgres_url,
    configure_django,
    db_worker_command,
    drop_postgres_database,
    ensure_postgres_database,
    log_tail,
    on_sigterm,
    print_machine,
    start_process,
    stop_process,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/signalpage_send_bench"
BAR_PER_SECOND = 200
TAG_SLUG = "bench-send-all"
WORKER_LOG = DATA_DIR / "worker-campaign-send.log"
POLL_SECONDS = 0.5
FAST_RECOVERY = {
    "CAMPAIGN_SENDING_TIMEOUT_MINUTES": "1",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "WORKER_DEAD_AFTER_SECONDS": "4",
    "WORKER_SWEEP_SECONDS": "3",
}


# --- The SMTP sink ---------------------------------------------------------------------------------


class Sink:
    """aiosmtpd handler: counts what it accepted and for whom; keeps only the first message's bytes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recipients: list[str] = []
        self.first_at = self.last_at = None
        self.first_message = b""
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        with self.lock:
            self.recipients.extend(address.lower() for address in envelope.rcpt_tos)
            if self.first_at is None:
                self.first_at, self.first_message = now, envelope.original_content or envelope.content
            self.last_at = now
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.recipients)

    def reset(self):
        with self.lock:
            self.recipients, self.first_at, self.last_at, self.first_message = [], None, None, b""
            self.connections = 0


def sink_start(sink):
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


# --- Building the people and the campaigns -------------------------------------------------------------


def people_built(people: int) -> bool:
    from leads.models import Person, Tag

    tag = Tag.objects.filter(slug=TAG_SLUG).first()
    return tag is not None and Person.objects.count() == people == tag.people.count()


def build(people: int):
    """N people with consent and a valid address, all tagged; the default site's campaign settings."""
    from django.db import connection

    from forms.models import ConsentPolicy
    from leads.models import Tag

    started = time.perf_counter()
    ConsentPolicy.objects.update_or_create(country="US", defaults={"opt_in_required": False, "text": "Notice"})
    tag, _ = Tag.objects.get_or_create(slug=TAG_SLUG, defaults={"name": "Bench: everybody"})
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_person (email, email_key, first_name, last_name, phone, job_title, seniority,"
            " country, company_id, consent, do_not_contact, stage, stage_changed_at, owner_id, fit_score,"
            " interest_score, grade, scored_at, interest_penalty, is_test, is_competitor, is_personal_email,"
            " created_at, updated_at)"
            " SELECT 'reader' || g || '@bench-send.example', 'reader' || g || '@bench-send.example',"
            " (ARRAY['Ann','Bo','','Chidi'])[1 + g %% 4], 'Name ' || g, '', '', '', 'US', NULL, 'granted',"
            " false, 'lead', now(), NULL, g %% 100, 0, 'B2', now(), 0, false, false, false, now(), now()"
            " FROM generate_series(1, %s::bigint) g",
            [people],
        )
        cursor.execute(
            "INSERT INTO leads_persontag (person_id, tag_id, source, added_at)"
            " SELECT id, %s, 'manual', now() FROM leads_person",
            [tag.pk],
        )
        cursor.execute("VACUUM (ANALYZE)")
    print(f"built {people:,} people in {time.perf_counter() - started:.1f} s", flush=True)


def speed_unlimited():
    from wagtail.models import Site

    from campaigns.models import CampaignSettings

    site = Site.objects.get(is_default_site=True)
    CampaignSettings.objects.update_or_create(
        site=site, defaults={"emails_per_minute": 1_000_000, "fatigue_limit": 0, "postal_address": "1 Bench Road"}
    )


def earlier_work_forget():
    """A kept database may hold campaigns of an earlier run still going out (a run that timed out) and their
    tasks: cancelled and deleted, or the workers would send them to this run's sink."""
    from django_tasks_db.models import DBTaskResult

    from campaigns.models import Campaign, CampaignRecipient

    going = Campaign.objects.exclude(status__in=(Campaign.Status.DRAFT, Campaign.Status.SENT))
    CampaignRecipient.objects.filter(campaign__in=going, status__in=("pending", "sending")).update(status="cancelled")
    going.update(status=Campaign.Status.CANCELLED)
    DBTaskResult.objects.all().delete()


def campaign_create(name: str):
    from wagtail.models import Page, Site

    from campaigns.models import AudienceSource, Campaign
    from leads.models import Tag

    page = Site.objects.get(is_default_site=True).root_page or Page.objects.filter(depth=2).first()
    two_columns = {
        "left": [
            {"type": "heading", "value": {"text": "What changed", "size": "h3"}},
            {"type": "text", "value": "<p>Three teams cut their reporting time in half. Here is how.</p>"},
        ],
        "right": [
            {"type": "heading", "value": {"text": "What is next", "size": "h3"}},
            {"type": "text", "value": "<p>A webinar on the 12th, with time for your questions.</p>"},
            {"type": "button", "value": {"label": "Save a seat", "page": None, "url": "https://partner.example/w"}},
        ],
    }
    body = [
        {"type": "heading", "value": {"text": "Hello {{ first_name|there }}", "size": "h1"}},
        {
            "type": "text",
            "value": "<p>Our new report on data teams in banking is out: five ideas, each with a worked example"
            " and the numbers behind it.</p><p>It takes ten minutes to read.</p>",
        },
        {"type": "button", "value": {"label": "Read the report", "page": page.pk, "url": ""}},
        {"type": "two_columns", "value": two_columns},
        {"type": "text", "value": "<p>Best wishes,<br>The Northwind Signal team</p>"},
    ]
    campaign = Campaign.objects.create(
        name=name, subject="{{ first_name|Hello }}, five ideas for your data team", preheader="Ten minutes", body=body
    )
    AudienceSource.objects.create(campaign=campaign, kind=AudienceSource.Kind.TAG, tag=Tag.objects.get(slug=TAG_SLUG))
    return campaign


# --- Workers ---------------------------------------------------------------------------------------


class Workers:
    """`count` db_worker processes; killed with SIGKILL and started again with fresh worker ids."""

    def __init__(self, count: int, env: dict):
        self.count, self.env, self.generation, self.procs = count, env, 0, []

    def start(self, wait=False):
        """Start the workers; with `wait`, return once each has written its heartbeat (ready to work)."""
        from core.models import WorkerHeartbeat

        self.generation += 1
        ids = [f"bench-send-{os.getpid()}-{self.generation}-{n}" for n in range(self.count)]
        for worker_id in ids:
            self.procs.append(start_process(db_worker_command(worker_id), WORKER_LOG, self.env))
        deadline = time.monotonic() + 60
        while wait and WorkerHeartbeat.objects.filter(worker_id__in=ids).count() < len(ids):
            self.check()
            if time.monotonic() > deadline:
                raise SystemExit(f"the workers did not beat within 60 s:\n{log_tail(WORKER_LOG)}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User and system CPU of the running workers so far (from /proc)."""
        total = 0.0
        for proc in self.procs:
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def check(self):
        for proc in self.procs:
            if proc.poll() is not None:
                raise SystemExit(f"a db_worker exited with {proc.returncode}:\n{log_tail(WORKER_LOG)}")

    def kill(self):
        import signal

        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the process group start_process made for it
            proc.wait(timeout=10)
            proc.bench_log.close()
        self.procs = []

    def stop(self):
        for proc in self.procs:
            stop_process(proc)
        self.procs = []


def send_and_wait(campaign, sink, workers, timeout, kills_at=()):
    """Send the campaign, poll until it is sent; kill the workers at the given sink counts."""
    from campaigns.models import Campaign
    from campaigns.sending import campaign_send

    kills_at, killed_at = sorted(kills_at), []
    started = time.monotonic()
    campaign_send(campaign, by=None)
    deadline, next_report = started + timeout, started + 10
    while True:
        status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).get()
        if status in (Campaign.Status.SENT, Campaign.Status.CANCELLED, Campaign.Status.DRAFT):
            break
        now = time.monotonic()
        if now > deadline:
            print(f"  TIMEOUT after {timeout} s: status {status}, {sink.count():,} at the sink")
            break
        workers.check()
        if kills_at and sink.count() >= kills_at[0]:
            killed_at.append(sink.count())
            kills_at.pop(0)
            workers.kill()
            print(f"  kill -9 of every worker at {killed_at[-1]:,} messages ({now - started:.1f} s); restarted")
            workers.start()
        if now >= next_report:
            print(f"  {now - started:5.0f} s  {status:<10} {sink.count():>7,} at the sink", flush=True)
            next_report += 10
        time.sleep(POLL_SECONDS)
    return started, status, killed_at


# --- The runs --------------------------------------------------------------------------------------


def headers_check(sink) -> str:
    from email import message_from_bytes, policy

    message = message_from_bytes(sink.first_message, policy=policy.default)
    wanted = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Message-ID")
    missing = [name for name in wanted if not message[name]]
    parts = ", ".join(part.get_content_type() for part in message.walk())
    verdict = "all there" if not missing else "MISSING " + ", ".join(missing)
    return f"first message {len(sink.first_message):,} bytes, parts {parts}; bulk headers {verdict}"


def throughput_run(args, sink, workers):
    from campaigns.models import CampaignRecipient

    campaign = campaign_create("Bench: throughput")
    sink.reset()
    print(f"\nrun 1: throughput, {args.workers} workers (ready before the send)", flush=True)
    load = os.getloadavg()[0]
    sink_cpu, workers_cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), workers.cpu_seconds()
    started, status, _ = send_and_wait(campaign, sink, workers, args.timeout)
    sink_cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - sink_cpu
    workers_cpu = workers.cpu_seconds() - workers_cpu
    recorded = CampaignRecipient.objects.filter(campaign=campaign).exclude(status="left_out").count()
    count = sink.count()
    if not count:
        print(f"  nothing arrived (status {status})")
        return
    total, prepare, delivery = sink.last_at - started, sink.first_at - started, sink.last_at - sink.first_at
    rate, delivery_rate = count / total, count / max(delivery, 1e-9)
    print(f"  status {status}; recipients {recorded:,}; at the sink {count:,} in {sink.connections} SMTP connections")
    print(f"  send to last accepted message  {total:7.1f} s   {rate:6.0f} messages/s")
    print(f"  preparing (send to first)      {prepare:7.1f} s   (recording recipients and links, compiling)")
    print(f"  delivering (first to last)     {delivery:7.1f} s   {delivery_rate:6.0f} messages/s")
    print(
        f"  CPU per 1,000 messages: workers {workers_cpu / count * 1000:.1f} s, this process (the sink)"
        f" {sink_cpu / count * 1000:.1f} s; load average when it began {load:.2f}"
    )
    print(f"  {headers_check(sink)}")
    verdict = "meets" if rate >= BAR_PER_SECOND else "BELOW"
    print(f"  {rate:.0f} messages/s from send to last: {verdict} the {BAR_PER_SECOND}/s bar")
    return rate


def kill_run(args, sink, workers):
    from django.db.models import Count

    from campaigns.models import CampaignRecipient

    campaign = campaign_create("Bench: kill -9")
    sink.reset()
    rng = random.Random(args.seed)
    # One kill in each of `kills` equal stretches of the send, at a random point after some messages arrived.
    stretch = 0.85 / max(args.kills, 1)
    kills_at = [int(args.people * (0.05 + stretch * (k + rng.random()))) for k in range(args.kills)]
    planned = ", ".join(f"{n:,}" for n in kills_at)
    print(f"\nrun 2: kill -9 of every worker {args.kills} times, at about {planned} messages", flush=True)
    started, status, killed_at = send_and_wait(campaign, sink, workers, args.timeout, kills_at)
    elapsed = time.monotonic() - started
    rows = CampaignRecipient.objects.filter(campaign=campaign).exclude(status="left_out")
    expected = {address.lower() for address in rows.values_list("email", flat=True)}
    received = Counter(sink.recipients)
    missing = sorted(expected - set(received))
    duplicates = {address: n for address, n in received.items() if n > 1}
    extra = sum(duplicates.values()) - len(duplicates)
    not_sent = dict(rows.exclude(status="sent").values_list("status").annotate(n=Count("pk")))
    retried = rows.filter(attempts__gt=1).count()
    print(f"  status {status} after {elapsed:.1f} s; killed at {', '.join(f'{n:,}' for n in killed_at) or 'never'}")
    print(f"  recipients recorded to be sent  {len(expected):>7,}")
    print(f"  messages at the sink            {sink.count():>7,}")
    print(f"  distinct recipients at the sink {len(received):>7,}")
    print(f"  recipients missing              {len(missing):>7,}  {', '.join(missing[:3])}")
    print(f"  duplicates (addresses x2+)      {len(duplicates):>7,}  ({extra:,} extra messages)")
    print(f"  rows not 'sent'                 {sum(not_sent.values()):>7,}  {not_sent or ''}")
    print(f"  rows claimed more than once     {retried:>7,}  (a dead worker's chunk, sent by another)")
    strangers = set(received) - expected
    if strangers:
        print(f"  messages to addresses not recorded: {len(strangers)}")


# --- Main ------------------------------------------------------------------------------------------


def parse_args():
    parser = argument_parser(__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--timeout", type=int, default=900, help="seconds a run may take before giving up")
    parser.add_argument("--only", choices=("throughput", "kill"))
    parser.add_argument("--rebuild", action="store_true", help="drop and build the database again")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="a local Redis for the cache")
    args = parser.parse_args()
    check_postgres_url(parser, args)
    if args.people < 100 or args.workers < 1 or args.kills < 0 or args.timeout < 10:
        parser.error("--people at least 100, --workers at least 1, --kills at least 0, --timeout at least 10")
    parts = urlsplit(args.redis_url)
    if parts.scheme != "redis" or (parts.hostname or "") not in LOCAL_DB_HOSTS - {""}:
        parser.error("--redis-url must be redis://127.0.0.1:PORT/DB (a local Redis)")
    return args


def main():
    import signal

    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    sink = Sink()
    controller, port = sink_start(sink)
    environment = {
        "BENCH_BACKGROUND_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "bench-send",
        "CAMPAIGN_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "30",
        "SITE_BASE_URL": "https://www.bench-send.example",
        "CAMPAIGN_FROM_EMAIL": "Bench news <news@bench-send.example>",
    }
    configure_django(8798, args.database_url, **environment)
    if args.rebuild:
        drop_postgres_database(args.database_url)
    ensure_postgres_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    if not people_built(args.people):
        from leads.models import Person

        if Person.objects.exists():
            raise SystemExit("the bench database holds other people: run with --rebuild")
        build(args.people)
    speed_unlimited()
    earlier_work_forget()
    WORKER_LOG.write_bytes(b"")
    print_machine()
    print(f"postgresql     {connection.pg_version}; sink aiosmtpd on 127.0.0.1:{port}; {args.people:,} people")
    workers = None
    try:
        if args.only != "kill":
            workers = Workers(args.workers, dict(os.environ))
            workers.start(wait=True)
            throughput_run(args, sink, workers)
            workers.stop()
        if args.only != "throughput":
            os.environ.update(FAST_RECOVERY)
            print("environment    " + " ".join(f"{k}={v}" for k, v in FAST_RECOVERY.items()))
            workers = Workers(args.workers, dict(os.environ))
            workers.start(wait=True)
            kill_run(args, sink, workers)
    finally:
        if workers is not None:
            workers.stop()
        controller.stop()
    print(f"load average   {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
