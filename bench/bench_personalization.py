"""Benchmark personalised pages against the same page unpersonalised and the floor, as production serves them.

    .venv/bin/python bench/bench_personalization.py [--segments 10,50,200] [--requests 600]
        [--concurrency 8] [--visitors 300] [--rounds 6] [--pages 60] [--port 8797] [--workers 2]
        [--no-redis] [--redis-url redis://127.0.0.1:6379/15] [--target-timeout 60] [--time-limit 600]
        [--keep] [--database-url URL]

What it does:

1. Builds the data set in the bench database (SQLite at bench/.data/bench_personalization.sqlite3
   unless --database-url or BENCH_DATABASE_URL says otherwise), with bench_site.py's builder: a
   home page, --pages whitepapers and case studies (what the "recommended" block picks from), and
   two StandardPages showing the same default content:
     /bench-unpersonalised/  a plain hero, rich text, a quote and a grid of the latest whitepapers;
     /bench-personalised/    a personalised hero with a variant for every segment, a personalised
                             body block with a variant for every second segment, the same quote and
                             a "recommended for you" block.
2. With Redis (the default, as in production) REDIS_URL=--redis-url is set for gunicorn and this
   process, and that database is flushed at the start and at the end. --no-redis leaves every
   process its own in-memory cache instead.
3. For each segment count in --segments: creates that many segments (rules on UTM campaign,
   device, visit count, country, grade, viewed topic; some "all", some "any"), republishes the
   personalised page with their variants, and starts gunicorn afresh (cms.wsgi:application,
   bench.settings = cms.settings.production relaxed for 127.0.0.1, --workers 2, sync) so that all
   workers see the new segments. Then:
     warm-up   a pool of --visitors virtual browsers, each with its own cookie jar and a browser
               User-Agent (a third on a phone), request the personalised page once with
               ?utm_campaign=camp-<k> (most of them) or without, a third read a whitepaper (topic
               facts for the recommendations), then each requests both pages: every visitor holds
               its sp_vid cookie, its facts are in the cache, the page output cache holds every
               fingerprint in use. The hero each visitor was shown is counted.
     measured  --rounds rounds; in each, /bench/floor/ (a plain Django view through the whole
               middleware), and the unpersonalised and the personalised page in three scenarios
               (new: no cookie, every request a first visit; returning: the visitor's cookie;
               campaign: the cookie and the visitor's own ?utm_campaign= again) get --requests /
               --rounds GETs each from --concurrency threads (one keep-alive connection each),
               the visitors taking turns; the order of the seven rotates from round to round so
               that noise from other work on the machine falls on all of them alike. With Redis,
               the SET commands of each pass are counted (what a view writes to the cache).
   While measuring, triggers on the visitor and variant-statistics tables count every row
   inserted or updated (what page views cost the database), and Redis' INFO counts commands and
   keyspace hits and misses.
4. Prints p50/p95 latency and requests/s per target with ratios to the floor, the ratio
   personalised / unpersonalised per segment count (target: within 1.2x at 50 segments), per
   scenario the personalised page against the unpersonalised one with cache writes per request,
   and what a returning visitor costs against a new one (target: at most 1.2x; issue 19). The
   peer (wagtail-personalisation) is not installed with the project, so it is not run here. The
   database writes against the page views, and the cache figures.

With the defaults a run takes about two minutes on two cores (most of it the warm-ups and the
migrations of a new database). Bounded: every pass sends at most its number of requests and
stops after --target-timeout seconds; once --time-limit seconds have gone on the segment counts,
the remaining ones are skipped. HTTP only ever goes to 127.0.0.1, Redis and PostgreSQL only to a
local host. gunicorn is always stopped at the end (its log: bench/.data/gunicorn-personalization.log)
and the counting triggers are always dropped. Unless --keep is given, a database this run created
is removed again (with its media); in a database that existed before, the segments, the two
pages, the visitors and the statistics rows this run made are deleted.

Reading the figures: with closed-loop clients, p50 is mostly queueing (about concurrency /
throughput), so the p50 and throughput ratios move together. The machine is shared: compare the
ratios of one run (and their "p50 by round" range), not absolute figures across runs.
"""

import json
import os
import re
import signal
import sys
import time
import uuid
from collections import Counter
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import bench_site  # noqa: E402
from bench.bench_site import (  # noqa: E402
    TOPICS,
    Result,
    check_debug_off,
    ensure_home,
    prepare_database,
    prepare_site,
    print_environment,
    release_database,
    run_load,
)
from bench.harness import (  # noqa: E402
    DATA_DIR,
    HOST,
    LOCAL_DB_HOSTS,
    STOP,
    argument_parser,
    check_at_least_one,
    check_port,
    log_tail,
    on_sigterm,
    port_in_use,
    start_gunicorn,
    stop_gunicorn,
    wait_until_ready,
)

SQLITE_PATH = DATA_DIR / "bench_personalization.sqlite3"
GUNICORN_LOG = DATA_DIR / "gunicorn-personalization.log"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"

PLAIN_SLUG = "bench-unpersonalised"
PERSONALISED_SLUG = "bench-personalised"
SEGMENT_PREFIX = "Bench segment "
DEFAULT_HEADLINE = "Built for teams that measure"
TARGET_RATIO = 1.2  # the personalised page within 1.2x of the unpersonalised one ...
TARGET_SEGMENTS = 50  # ... at 50 segments
TARGET_RETURNING = 1.2  # a returning visitor's personalised page costs at most 1.2x a new visitor's
PAGES = ("unpersonalised", "personalised")
# new: no cookie (a first request, the state made and the cookie set); returning: the visitor's cookie
# (state in the cache, nothing new); campaign: the cookie and the visitor's own ?utm_campaign= again.
SCENARIOS = ("new", "returning", "campaign")
SCENARIO_SUFFIX = {"new": " new", "returning": "", "campaign": " campaign"}
PEER_PATHS = {"unpersonalised": "/peer-plain/", "personalised": "/peer-personalised/"}
TARGET_PEER = 10.0  # the personalised page serves at least 10x the peer's personalised page, every scenario

USER_AGENTS = {
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    ),
    "chrome": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
    "firefox": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
}
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HEADLINE = re.compile(rb'<h1 class="hero__headline">([^<]*)</h1>')
COUNTED_TABLES = ("personalization_visitor", "personalization_variantstat")


def parse_args(argv=None):
    parser = argument_parser(__doc__)
    parser.add_argument("--segments", default="10,50,200", help="comma-separated segment counts")
    parser.add_argument("--requests", type=int, default=600, help="measured requests per target and segment count")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (connections)")
    parser.add_argument("--visitors", type=int, default=300, help="virtual visitors, each with its own cookies")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds the requests are split into")
    parser.add_argument("--pages", type=int, default=60, help="whitepapers and case studies each (recommendations)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PERSONALIZATION_PORT", 8797)))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--no-redis", action="store_true", help="per-process in-memory cache instead of Redis")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="a Redis database the bench may flush")
    parser.add_argument("--target-timeout", type=float, default=60.0, help="seconds one pass may take")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for all segment counts together")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created, to skip the build")
    parser.add_argument("--database-url", default=None, help="overrides BENCH_DATABASE_URL")
    parser.add_argument(
        "--peer-port",
        type=int,
        default=None,
        help="a wagtail-personalisation site serving /peer-plain/ and /peer-personalised/ on 127.0.0.1 "
        "(bench/peer_wagtail_personalisation/README.md): measured in the same interleaved rounds",
    )
    args = parser.parse_args(argv)
    try:
        args.segment_counts = [int(n) for n in args.segments.split(",") if n.strip()]
    except ValueError:
        parser.error("--segments takes whole numbers separated by commas, e.g. 10,50,200")
    if not args.segment_counts or min(args.segment_counts) < 1 or max(args.segment_counts) > 1000:
        parser.error("--segments: each count must be between 1 and 1000")
    check_at_least_one(parser, args, ("requests", "concurrency", "visitors", "rounds", "pages", "workers"))
    if args.requests < args.rounds:
        parser.error("--requests must be at least --rounds")
    if args.visitors > 5000 or args.requests > 100000 or args.concurrency > 256:
        parser.error("keep --visitors <= 5000, --requests <= 100000 and --concurrency <= 256")
    check_port(parser, args)
    if args.peer_port is not None and not (1024 <= args.peer_port <= 65535 and args.peer_port != args.port):
        parser.error("--peer-port must be between 1024 and 65535 and not --port")
    if args.target_timeout <= 0 or args.time_limit <= 0:
        parser.error("--target-timeout and --time-limit must be positive")
    if not args.no_redis:
        parts = urlsplit(args.redis_url)
        if parts.scheme != "redis" or (parts.hostname or "") not in LOCAL_DB_HOSTS - {""}:
            parser.error("--redis-url must be redis://127.0.0.1:PORT/DB (a local Redis)")
    return args


def configure_environment(args):
    """bench_site's environment (settings, port, database), plus this bench's database and cache."""
    if not args.database_url and not os.environ.get("BENCH_DATABASE_URL"):
        args.database_url = f"sqlite:///{SQLITE_PATH}"
    bench_site.configure_environment(args)
    if args.no_redis:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = args.redis_url


# --- Redis ----------------------------------------------------------------------------------


def redis_client(args):
    if args.no_redis:
        return None
    import redis

    client = redis.Redis.from_url(args.redis_url, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {args.redis_url} does not answer ({exc}); start it or pass --no-redis") from None
    return client


def redis_counters(client):
    if client is None:
        return {}
    stats = client.info("stats")
    return {name: stats.get(name, 0) for name in ("total_commands_processed", "keyspace_hits", "keyspace_misses")}


def page_cache_entries(client):
    if client is None:
        return None
    return sum(1 for _ in client.scan_iter(match="*:cms:page:*", count=1000))


def people_epoch_absent(client):
    """True when the people epoch key is unset (no person changed yet): every page view's MGET then
    counts one keyspace miss for it, by design, and those misses say nothing about the caches."""
    from django.core.cache import cache

    from personalization.services import EPOCH_KEY

    return client is not None and not client.exists(cache.make_key(EPOCH_KEY))


# --- Counting database writes ---------------------------------------------------------------


def install_write_counters():
    """Triggers counting the rows inserted or updated in COUNTED_TABLES (bench_pz_writes)."""
    from django.db import connection

    remove_write_counters()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_pz_writes (tbl VARCHAR(64), op VARCHAR(10), n BIGINT NOT NULL, PRIMARY KEY (tbl, op))"
        )
        for table in COUNTED_TABLES:
            for op in ("INSERT", "UPDATE"):
                cursor.execute("INSERT INTO bench_pz_writes (tbl, op, n) VALUES (%s, %s, 0)", [table, op])
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION bench_pz_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "UPDATE bench_pz_writes SET n = n + 1 WHERE tbl = TG_TABLE_NAME AND op = TG_OP; "
                "RETURN NULL; END $$"
            )
            for table in COUNTED_TABLES:
                cursor.execute(
                    f"CREATE TRIGGER bench_pz_count AFTER INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION bench_pz_count()"
                )
        else:
            for table in COUNTED_TABLES:
                for op in ("INSERT", "UPDATE"):
                    cursor.execute(
                        f"CREATE TRIGGER bench_pz_{table}_{op.lower()} AFTER {op} ON {table} BEGIN "
                        f"UPDATE bench_pz_writes SET n = n + 1 WHERE tbl = '{table}' AND op = '{op}'; END"
                    )


def remove_write_counters():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in COUNTED_TABLES:
                cursor.execute(f"DROP TRIGGER IF EXISTS bench_pz_count ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS bench_pz_count()")
        else:
            for table in COUNTED_TABLES:
                for op in ("insert", "update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS bench_pz_{table}_{op}")
        cursor.execute("DROP TABLE IF EXISTS bench_pz_writes")


def write_counts():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, op, n FROM bench_pz_writes")
        counts = {(table, op): n for table, op, n in cursor.fetchall()}
    connection.close()  # no lock or open transaction held while gunicorn writes
    return counts


# --- Data -----------------------------------------------------------------------------------


def block(block_type, value):
    return {"type": block_type, "value": value, "id": str(uuid.uuid4())}


def hero(headline, subhead=""):
    return block(
        "hero",
        {
            "headline": headline,
            "subhead": subhead,
            "image": None,
            "call_to_action": {"label": "", "page": None, "url": ""},
        },
    )


def rich_text(html):
    return block("rich_text", html)


def variant(segment_id, content):
    return {"type": "item", "id": str(uuid.uuid4()), "value": {"segment": segment_id, "content": content}}


DEFAULT_SUBHEAD = "One platform for the numbers your teams argue about."
INTRO = "<p>Signal Core pulls your data together every night, so Monday's report writes itself.</p>"
DEFAULT_BODY = "<p>Teams in every industry use it to see what changed and why, without a spreadsheet.</p>"
QUOTE = {
    "quote": "We stopped arguing about numbers and started using them.",
    "person": "Pat Example",
    "job_title": "Head of Operations",
    "company": "Example Ltd",
    "photo": None,
}


def plain_content():
    """The unpersonalised page: what the personalised one shows a visitor in no segment."""
    return (
        [hero(DEFAULT_HEADLINE, DEFAULT_SUBHEAD)],
        [
            rich_text(INTRO),
            rich_text(DEFAULT_BODY),
            block("quote", QUOTE),
            block(
                "card_grid",
                {
                    "heading": "Recommended for you",
                    "source": "whitepapers",
                    "topic": None,
                    "industry": None,
                    "limit": 3,
                    "cards": [],
                },
            ),
        ],
    )


def personalised_content(segment_ids):
    """A personalised hero with a variant per segment, a personalised body block with a variant for
    every second segment, and a recommendation block, around the same default content."""
    hero_variants = [
        variant(pk, [hero(f"Variant for segment {n}", DEFAULT_SUBHEAD)]) for n, pk in enumerate(segment_ids)
    ]
    body_variants = [
        variant(pk, [rich_text(f"<p>What segment {n} came for, in two sentences. And a third.</p>")])
        for n, pk in enumerate(segment_ids)
        if n % 2 == 0
    ]
    return (
        [
            block(
                "personalised_hero",
                {"name": "Hero", "default": [hero(DEFAULT_HEADLINE, DEFAULT_SUBHEAD)], "variants": hero_variants},
            )
        ],
        [
            rich_text(INTRO),
            block("personalised", {"name": "Body", "default": [rich_text(DEFAULT_BODY)], "variants": body_variants}),
            block("quote", QUOTE),
            block("recommended", {"heading": "Recommended for you", "source": "both", "limit": 3}),
        ],
    )


def publish_page(slug, title, content):
    """Create or update a StandardPage under the home page and publish it (a live revision)."""
    from cms.models import StandardPage

    home = ensure_home(int(os.environ["BENCH_PORT"]))
    page = StandardPage.objects.child_of(home).filter(slug=slug).first()
    if page is None:
        page = home.add_child(instance=StandardPage(title=title, slug=slug, live=False))
    page.hero, page.body = (json.dumps(part) for part in content)
    page.save_revision().publish()
    return page


def segment_rules(n, topic_slugs):
    """(match, rules) of segment number n: mostly a UTM campaign, combined with other facts."""
    campaign = ("utm_campaign", "is", f"camp-{n}", False)
    kind = n % 10
    if kind == 9:
        return "all", [("device", "is", "mobile", False)]
    if kind == 8:
        return "any", [("viewed_topic", "any", topic_slugs[n % len(topic_slugs)], False), campaign]
    return [
        ("all", [campaign]),
        ("all", [campaign, ("device", "is", "mobile", False)]),
        ("all", [campaign, ("visit_count", "gte", "1", False)]),
        ("any", [campaign, ("known", "true", "", False)]),
        ("all", [campaign, ("grade", "is", "A1,A2", True)]),
        ("all", [campaign, ("country", "is", "DE,FR", False)]),
        ("all", [("device", "is", "mobile", True), campaign]),
        ("all", [campaign, ("page_views", "gte", "1", False)]),
    ][kind]


def build_segments(count):
    """Replace the bench's segments with `count` new ones; returns their ids in order."""
    from django.db import transaction
    from django.utils.text import slugify

    from personalization.models import Segment, SegmentRule
    from personalization.segments import segments_changed

    topic_slugs = [slugify(t) for t in TOPICS]
    with transaction.atomic():
        Segment.objects.filter(name__startswith=SEGMENT_PREFIX).delete()
        ids, rule_count = [], 0
        for n in range(count):
            match, rules = segment_rules(n, topic_slugs)
            segment = Segment.objects.create(name=f"{SEGMENT_PREFIX}{n:04d}", priority=n, match=match)
            SegmentRule.objects.bulk_create(
                [
                    SegmentRule(segment=segment, fact=fact, operator=operator, value=value, negate=negate, sort_order=i)
                    for i, (fact, operator, value, negate) in enumerate(rules)
                ]
            )
            ids.append(segment.pk)
            rule_count += len(rules)
    segments_changed()  # bulk_create sends no signal; every process reloads on its next request
    return ids, rule_count


def page_path(page):
    return page.get_url_parts()[2]


# --- Visitors -------------------------------------------------------------------------------


class Visitor:
    """A virtual browser: its own User-Agent, country header, campaign and cookie jar."""

    def __init__(self, number):
        self.number = number
        self.device = ("mobile", "chrome", "firefox")[number % 3]
        self.country = {0: "DE", 1: "FR"}.get(number % 4, "")
        self.reads_whitepaper = number % 3 == 1
        self.has_campaign = number % 5 != 4
        self.cookies = {}
        self.peer_cookies = {}  # the peer's session cookie: never sent to our site (nor ours to the peer)

    def campaign(self, segment_count):
        return f"camp-{self.number % segment_count}" if self.has_campaign else ""

    def headers(self, with_cookies=True, peer=False):
        headers = {"User-Agent": USER_AGENTS[self.device], "Accept": ACCEPT, "Accept-Language": "en"}
        if self.country:
            headers["CF-IPCountry"] = self.country
        cookies = self.peer_cookies if peer else self.cookies
        if cookies and with_cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return headers

    def take_cookies(self, response, peer=False):
        cookies = self.peer_cookies if peer else self.cookies
        for header in response.headers.get_all("Set-Cookie") or ():
            try:
                jar = SimpleCookie(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                cookies[name] = morsel.value


def visitor_pass(args, name, visitors, path_of, on_body=None, timeout=None, peer=False):
    """One request per visitor (path_of(visitor) gives its path), keeping the cookies they are given."""

    def request_for(ticket):
        visitor = visitors[ticket]
        return path_of(visitor), visitor.headers(peer=peer)

    def on_response(ticket, response, body):
        visitors[ticket].take_cookies(response, peer=peer)
        if on_body is not None:
            on_body(visitors[ticket], response, body)

    return run_load(
        args.peer_port if peer else args.port,
        name,
        "(visitors)",
        len(visitors),
        args.concurrency,
        timeout or args.target_timeout,
        request_for,
        on_response,
    )


def measured_pass(args, name, path, total, visitors, start, timeout, scenario="returning", redis=None, peer=False):
    """`total` GETs of `path`, the visitors taking turns from `start`; counts any new cookie and, with
    Redis, the cache writes (SET commands) the pass caused. The scenario says who asks (SCENARIOS)."""
    fresh = Counter()
    if scenario == "campaign":
        visitors = [v for v in visitors if v.has_campaign] or visitors

    def request_for(ticket):
        visitor = visitors[(start + ticket) % len(visitors)]
        if scenario == "new":
            return path, visitor.headers(with_cookies=False, peer=peer)
        if scenario == "campaign":
            return f"{path}?utm_campaign={visitor.campaign(args.current_segments)}", visitor.headers(peer=peer)
        return path, visitor.headers(peer=peer)

    def on_response(ticket, response, body):
        if response.headers.get("Set-Cookie"):
            fresh["set-cookie"] += 1

    redis = None if peer else redis  # the peer keeps its sessions in another Redis database
    sets_before = redis_sets(redis)
    port = args.peer_port if peer else args.port
    result = run_load(port, name, path, total, args.concurrency, timeout, request_for, on_response)
    result.fresh_cookies = fresh["set-cookie"]
    result.cache_sets = redis_sets(redis) - sets_before if redis is not None else None
    return result


def redis_sets(client):
    """SET commands Redis has served (a state, an output-cache entry, a route: every cache write)."""
    if client is None:
        return 0
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{command}", {}).get("calls", 0) for command in ("set", "setex", "mset"))


def merge(name, path, parts):
    total = Result(name, path)
    for part in parts:
        total.latencies.extend(part.latencies)
        total.statuses.update(part.statuses)
        total.errors += part.errors
        total.connections += part.connections
        total.seconds += part.seconds
        total.timed_out = total.timed_out or part.timed_out
    total.sent = len(total.latencies)
    total.fresh_cookies = sum(getattr(part, "fresh_cookies", 0) for part in parts)
    sets = [part.cache_sets for part in parts if getattr(part, "cache_sets", None) is not None]
    total.cache_sets = sum(sets) if sets else None
    return total


# --- One segment count ----------------------------------------------------------------------


def warm_up(args, count, visitors, paths, whitepaper_paths, timeout):
    """Cookies, facts and output caches in place for every visitor; returns what they were shown."""
    shown, plain_shown, problems = Counter(), Counter(), Counter()

    def headline(counter):
        def read(visitor, response, body):
            match = HEADLINE.search(body or b"")
            counter[match.group(1).decode() if match else f"(no hero, status {response.status})"] += 1

        return read

    def first_path(visitor):
        campaign = visitor.campaign(count)
        return paths["personalised"] + (f"?utm_campaign={campaign}" if campaign else "")

    passes = [
        visitor_pass(args, "landing", visitors, first_path, timeout=timeout),
        visitor_pass(
            args,
            "whitepaper",
            [v for v in visitors if v.reads_whitepaper],
            lambda v: whitepaper_paths[v.number % len(whitepaper_paths)],
            timeout=timeout,
        ),
        visitor_pass(args, "personalised", visitors, lambda v: paths["personalised"], headline(shown), timeout),
        visitor_pass(
            args, "unpersonalised", visitors, lambda v: paths["unpersonalised"], headline(plain_shown), timeout
        ),
        run_load(
            args.port,
            "floor",
            paths["floor"],
            max(args.concurrency, 2 * args.workers) * 2,
            args.concurrency,
            timeout,
            lambda t: (paths["floor"], visitors[t % len(visitors)].headers()),
        ),
    ]
    if args.peer_port:
        # The peer's visitors land the same way (their campaign sets their segment in the session).
        passes += [
            visitor_pass(
                args,
                "peer landing",
                visitors,
                lambda v: PEER_PATHS["personalised"] + first_path(v)[len(paths["personalised"]) :],
                timeout=timeout,
                peer=True,
            ),
            visitor_pass(
                args, "peer personalised", visitors, lambda v: PEER_PATHS["personalised"], timeout=timeout, peer=True
            ),
            visitor_pass(
                args, "peer plain", visitors, lambda v: PEER_PATHS["unpersonalised"], timeout=timeout, peer=True
            ),
        ]
    for result in passes:
        for status, n in result.statuses.items():
            if status != 200:
                problems[f"{result.name} {status}"] += n
    with_cookie = sum(1 for v in visitors if "sp_vid" in v.cookies)
    variants = {h: n for h, n in shown.items() if h.startswith("Variant")}
    return {
        "requests": sum(r.sent for r in passes),
        "seconds": sum(r.seconds for r in passes),
        "problems": problems,
        "with cookie": with_cookie,
        "saw a variant": sum(variants.values()),
        "distinct variants": len(variants),
        "saw the default": shown.get(DEFAULT_HEADLINE, 0),
        "plain page default": plain_shown.get(DEFAULT_HEADLINE, 0),
    }


def run_segment_count(args, count, visitors, plain, whitepaper_paths, deadline, redis, first):
    """Rebuild the segments, restart gunicorn, warm up and measure; returns (results, facts)."""
    from django.db import connections
    from django.utils import timezone

    from personalization.models import Visitor as VisitorRow

    started = time.perf_counter()
    segment_ids, rule_count = build_segments(count)
    personalised = publish_page(PERSONALISED_SLUG, "Bench personalised page", personalised_content(segment_ids))
    hero_json = len(json.dumps(list(personalised.hero.raw_data), default=str))
    paths = {"floor": "/bench/floor/", "unpersonalised": page_path(plain), "personalised": page_path(personalised)}
    connections.close_all()
    print(
        f"\n== {count} segments ({rule_count} rules): built in {time.perf_counter() - started:.1f}s; "
        f"personalised hero {hero_json // 1024} KB of JSON",
        flush=True,
    )

    proc = None
    try:
        proc, command = start_gunicorn(args, GUNICORN_LOG)
        wait_until_ready(proc, args.port)
        if first:
            check_debug_off(args.port)
        print(f"gunicorn: pid {proc.pid}, {args.workers} workers on {HOST}:{args.port}", flush=True)

        def remaining():
            return max(1.0, min(args.target_timeout, deadline - time.monotonic()))

        warm = warm_up(args, count, visitors, paths, whitepaper_paths, remaining())
        problems = ", ".join(f"{k} x{n}" for k, n in sorted(warm["problems"].items())) or "none"
        print(
            f"warm-up: {warm['requests']} requests in {warm['seconds']:.1f}s, failures: {problems}; "
            f"{warm['with cookie']}/{len(visitors)} visitors hold a cookie; personalised hero: "
            f"{warm['saw a variant']} saw a segment's variant ({warm['distinct variants']} different), "
            f"{warm['saw the default']} the default; plain page: {warm['plain page default']} the default",
            flush=True,
        )

        ids = [v.cookies["sp_vid"] for v in visitors if "sp_vid" in v.cookies]
        writes_before = write_counts()
        views_before = dict(VisitorRow.objects.filter(visitor_id__in=ids).values_list("visitor_id", "page_views"))
        connections.close_all()
        redis_before = redis_counters(redis)
        window_start = timezone.now()

        # Each scenario (who asks: a new visitor, a returning one, one following a campaign link again)
        # on both pages; "unpersonalised" and "personalised" alone are the returning visitors.
        order = ["floor"] + [f"{page}{SCENARIO_SUFFIX[scenario]}" for scenario in SCENARIOS for page in PAGES]
        scenario_of = {f"{page}{SCENARIO_SUFFIX[scenario]}": scenario for scenario in SCENARIOS for page in PAGES}
        path_of = {name: paths[name.split(" ")[0]] for name in order}
        if args.peer_port:
            for scenario in SCENARIOS:
                for page in PAGES:
                    name = f"peer {page}{SCENARIO_SUFFIX[scenario]}"
                    order.append(name)
                    scenario_of[name], path_of[name] = scenario, PEER_PATHS[page]
        args.current_segments = count
        parts = {name: [] for name in order}
        per_round = [
            args.requests // args.rounds + (1 if r < args.requests % args.rounds else 0) for r in range(args.rounds)
        ]
        offset = 0
        for round_number, total in enumerate(per_round):
            turn = round_number % len(order)
            for name in order[turn:] + order[:turn]:
                if STOP.is_set():
                    raise KeyboardInterrupt
                scenario = scenario_of.get(name, "returning")
                parts[name].append(
                    measured_pass(
                        args,
                        name,
                        path_of[name],
                        total,
                        visitors,
                        offset,
                        remaining(),
                        scenario,
                        redis=redis,
                        peer=name.startswith("peer "),
                    )
                )
                if proc.poll() is not None:
                    raise SystemExit(f"gunicorn died during {name}:\n{log_tail(GUNICORN_LOG)}")
            offset += total
        results = {name: merge(name, path_of[name], parts[name]) for name in order}

        redis_after = redis_counters(redis)
        writes_after = write_counts()
        rows = VisitorRow.objects.filter(visitor_id__in=ids)
        touched = rows.filter(last_seen_at__gte=window_start).count()
        views_after = dict(rows.values_list("visitor_id", "page_views"))
        connections.close_all()
        for name in order:
            r = results[name]
            print(
                f"  {name:<24} {r.sent} requests in {r.seconds:.1f}s over {args.rounds} rounds, {r.errors} errors",
                flush=True,
            )
        failed = [r for r in results.values() if r.errors]
        if failed:
            print(f"errors; the end of {GUNICORN_LOG}:\n{log_tail(GUNICORN_LOG)}")
    finally:
        stop_gunicorn(proc)

    delta = {key: writes_after.get(key, 0) - writes_before.get(key, 0) for key in writes_after}
    facts = {
        "segments": count,
        "warm": warm,
        "command": command,
        "tracked requests": sum(r.sent for name, r in results.items() if name in scenario_of and "peer" not in name),
        "personalised requests": results["personalised"].sent,
        "visitor inserts": delta.get(("personalization_visitor", "INSERT"), 0),
        "visitor updates": delta.get(("personalization_visitor", "UPDATE"), 0),
        "rows touched": touched,
        "views persisted": sum(views_after.get(k, 0) - views_before.get(k, 0) for k in views_after),
        "stat writes": delta.get(("personalization_variantstat", "INSERT"), 0)
        + delta.get(("personalization_variantstat", "UPDATE"), 0),
        "fresh cookies": sum(r.fresh_cookies for r in results.values()),
        "redis": {k: redis_after[k] - redis_before[k] for k in redis_after} if redis is not None else None,
        "page cache entries": page_cache_entries(redis),
        "epoch absent": people_epoch_absent(redis),
        "all requests": sum(r.sent for r in results.values()),
        "round ratios": [
            ratio(pz.percentile(50), plain.percentile(50))
            for plain, pz in zip(parts["unpersonalised"], parts["personalised"], strict=True)
        ],
    }
    return results, facts


# --- Reporting ------------------------------------------------------------------------------


def ratio(a, b):
    return a / b if b else float("nan")


def print_results(runs):
    header = (
        f"{'segments':>8}  {'target':<24}{'requests':>9}{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'req/s':>8}  {'p50 vs floor':>12}{'p95 vs floor':>13}{'throughput vs floor':>21}"
    )
    print("\n== results (ratios to the floor, /bench/floor/, measured in the same gunicorn)")
    print(header)
    print("-" * len(header))
    for count, (results, _) in runs.items():
        floor = results["floor"]
        for name, r in results.items():
            if r is floor:
                vs = ("baseline", "baseline", "baseline")
            else:
                vs = (
                    f"{ratio(r.percentile(50), floor.percentile(50)):.2f}x",
                    f"{ratio(r.percentile(95), floor.percentile(95)):.2f}x",
                    f"{ratio(floor.rps, r.rps):.2f}x slower",
                )
            flag = "  <- errors" if r.errors else ""
            print(
                f"{count:>8}  {name:<24}{r.sent:>9}{r.errors:>7}{r.percentile(50):>8.1f}{r.percentile(95):>8.1f}"
                f"{r.rps:>8.1f}  {vs[0]:>12}{vs[1]:>13}{vs[2]:>21}{flag}"
            )

    print(f"\n== personalised / unpersonalised (target: within {TARGET_RATIO}x at {TARGET_SEGMENTS} segments)")
    header = f"{'segments':>8}  {'p50':>7}{'p95':>8}{'throughput':>12}        {'p50 by round':<14}verdict"
    print(header)
    print("-" * 100)
    for count, (results, facts) in runs.items():
        plain, pz = results["unpersonalised"], results["personalised"]
        p50 = ratio(pz.percentile(50), plain.percentile(50))
        p95 = ratio(pz.percentile(95), plain.percentile(95))
        slower = ratio(plain.rps, pz.rps)
        within = p50 <= TARGET_RATIO and slower <= TARGET_RATIO
        verdict = ("within" if within else "NOT within") + f" {TARGET_RATIO}x (p50 and throughput)"
        if count == TARGET_SEGMENTS:
            verdict += "  <- the target"
        spread = f"{min(facts['round ratios']):.2f}-{max(facts['round ratios']):.2f}x"
        print(f"{count:>8}  {p50:>6.2f}x{p95:>7.2f}x{slower:>8.2f}x slower  {spread:<14}{verdict}")
    print(
        "throughput: how many times fewer requests/s the personalised page served; p50 by round: the lowest "
        "and highest p50 ratio of the interleaved rounds (a wide range means the machine was busy)"
    )
    if TARGET_SEGMENTS not in runs:
        print(f"(no run at {TARGET_SEGMENTS} segments; add it to --segments for the target)")


def print_scenarios(runs):
    """Each scenario's personalised page against the unpersonalised one and the peer's, and what a
    returning visitor costs against a new one (issue 19, target 7)."""
    print(
        "\n== scenarios: the personalised page against the unpersonalised one and the peer, interleaved rounds "
        f"(targets: >= {TARGET_PEER:.0f}x the peer's personalised page; a returning visitor's page at most "
        f"{TARGET_RETURNING}x a new visitor's)"
    )
    header = (
        f"{'segments':>8}  {'scenario':<10}{'plain req/s':>12}{'pz req/s':>10}{'pz / plain':>12}"
        f"{'peer plain':>11}{'peer pz':>9}{'pz / peer pz':>14}{'pz p50':>8}{'cache sets/req':>16}"
    )
    print(header)
    print("-" * len(header))
    for count, (results, _) in runs.items():
        for scenario in SCENARIOS:
            suffix = SCENARIO_SUFFIX[scenario]
            plain, pz = results.get(f"unpersonalised{suffix}"), results.get(f"personalised{suffix}")
            peer_plain, peer_pz = results.get(f"peer unpersonalised{suffix}"), results.get(f"peer personalised{suffix}")
            if plain is None or pz is None:
                continue
            sets = "n/a" if pz.cache_sets is None else f"{ratio(pz.cache_sets, pz.sent):.2f}"
            if peer_pz is not None:
                versus = ratio(pz.rps, peer_pz.rps)
                peer = f"{peer_plain.rps:>11.1f}{peer_pz.rps:>9.1f}{versus:>13.1f}x"
                peer += "" if versus >= TARGET_PEER else " <- under"
            else:
                peer = f"{'n/a':>11}{'n/a':>9}{'n/a':>14}"
            print(
                f"{count:>8}  {scenario:<10}{plain.rps:>12.1f}{pz.rps:>10.1f}{ratio(pz.rps, plain.rps):>11.2f}x"
                f"{peer}{pz.percentile(50):>8.1f}{sets:>16}"
            )
        for label, prefix in (("ours", ""), ("peer", "peer ")):
            new, returning = results.get(f"{prefix}personalised new"), results.get(f"{prefix}personalised")
            if new is not None and returning is not None and returning.rps:
                cost = ratio(new.rps, returning.rps)
                verdict = ("within" if cost <= TARGET_RETURNING else "NOT within") + f" {TARGET_RETURNING}x"
                print(
                    f"{count:>8}  {label}: returning / new cost (personalised page, throughput) {cost:.2f}x"
                    f"{'  ' + verdict if label == 'ours' else ''}; "
                    f"p50 {ratio(returning.percentile(50), new.percentile(50)):.2f}x"
                )
    if not any("peer personalised" in results for results, _ in runs.values()):
        print("peer: not measured (no --peer-port); see bench/peer_wagtail_personalisation/README.md")
    print(
        "pz / plain: the personalised page's requests/s over the unpersonalised page's for the same visitors; "
        "pz / peer pz: over the peer's personalised page (wagtail-personalisation, a variant page per segment, "
        "its segments in the session); cache sets/req: Redis SET commands per personalised request (a visitor "
        "state, an output cache entry); new: no cookie (every request a first visit, its state written and a "
        "cookie set); campaign: the visitor's cookie and its own ?utm_campaign= again"
    )


def print_writes(runs, save_every):
    print(
        f"\n== database writes during the measured phase (page views are written every {save_every}"
        " views or once per visit)"
    )
    header = (
        f"{'segments':>8}  {'page views':>10}{'visitor inserts':>17}{'visitor updates':>17}"
        f"{'per 100 views':>15}{'rows touched':>14}{'views persisted':>17}{'variant-stat writes':>21}"
    )
    print(header)
    print("-" * len(header))
    for count, (_, facts) in runs.items():
        views = facts["tracked requests"]
        writes = facts["visitor inserts"] + facts["visitor updates"]
        print(
            f"{count:>8}  {views:>10}{facts['visitor inserts']:>17}{facts['visitor updates']:>17}"
            f"{100 * ratio(writes, views):>15.1f}{facts['rows touched']:>14}{facts['views persisted']:>17}"
            f"{facts['stat writes']:>21}"
        )
    print(
        "page views = requests to the two pages (the floor view does not resolve the visitor); writes are "
        "counted by triggers on the tables; variant statistics are buffered per worker and flushed "
        "as upserts every PERSONALIZATION_STATS_FLUSH_SECONDS"
    )


def print_cache(runs, redis_on):
    print("\n== cache")
    if not redis_on:
        print(
            "per-process LocMemCache (--no-redis): hits are not visible from outside; each worker keeps its "
            "own visitor states, segments and page output, so a visitor's first request in a worker misses"
        )
    header = (
        f"{'segments':>8}  {'visitors in a variant':>22}{'distinct variants':>18}{'page cache entries':>19}"
        f"{'redis cmds/view':>16}{'keys read':>10}{'misses':>8}{'other misses':>13}{'new cookies':>12}"
    )
    print(header)
    print("-" * len(header))
    for count, (_, facts) in runs.items():
        warm, stats, views = facts["warm"], facts["redis"], facts["tracked requests"]
        if stats:
            cmds = f"{ratio(stats['total_commands_processed'], views):.2f}"
            reads = str(stats["keyspace_hits"] + stats["keyspace_misses"])
            misses = str(stats["keyspace_misses"])
            # Every view's MGET also asks for the visitor's person link, which is absent until the visitor
            # is identified (none of the bench's visitors is): one more expected miss per view.
            other = str(stats["keyspace_misses"] - 2 * views) if facts["epoch absent"] else "n/a"
            entries = str(facts["page cache entries"])
        else:
            cmds = reads = misses = other = entries = "n/a"
        print(
            f"{count:>8}  {warm['saw a variant']:>22}{warm['distinct variants']:>18}{entries:>19}{cmds:>16}"
            f"{reads:>10}{misses:>8}{other:>13}{facts['fresh cookies']:>12}"
        )
    if redis_on:
        print(
            "measured phase: redis commands per page view (the floor view sends none) and keys read; the "
            "people epoch key is unset until a person changes and the person link until a visitor is identified, so "
            "each view's MGET (state, person link, segment version, people epoch) counts two misses for them; "
            "'other misses' are the rest (state, output cache, epochs: "
            "0 = every page came from the output cache). Page cache entries = rendered pages kept per "
            "(page, revision, segment fingerprint, recommendation profile), all segment counts so far."
        )
    print(
        "visitors in a variant / distinct variants: the personalised hero shown to the visitors in the warm-up; "
        "new cookies: responses in the measured phase that set a cookie (0 = every visitor was known)"
    )


# --- Cleanup --------------------------------------------------------------------------------


def remove_bench_objects(visitor_ids):
    """In a database that existed before: delete what this run added to it."""
    from cms.models import StandardPage
    from personalization.models import Segment, VariantStat
    from personalization.models import Visitor as VisitorRow

    pages = list(StandardPage.objects.filter(slug__in=[PLAIN_SLUG, PERSONALISED_SLUG]))
    VariantStat.objects.filter(page_id__in=[p.pk for p in pages]).delete()
    for page in pages:
        page.delete()
    Segment.objects.filter(name__startswith=SEGMENT_PREFIX).delete()
    VisitorRow.objects.filter(visitor_id__in=list(visitor_ids)).delete()
    print(f"removed the bench pages, segments and {len(visitor_ids)} visitors from the existing database")


# --- Main -----------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    configure_environment(args)
    signal.signal(signal.SIGTERM, on_sigterm)
    if port_in_use(args.port):
        raise SystemExit(f"{HOST}:{args.port} is already in use; pick another --port")
    redis = redis_client(args)
    if redis is not None:
        redis.flushdb()
    db_label, db_created = prepare_database()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from cms.models import WhitepaperPage

    if settings.DEBUG:
        raise SystemExit("bench.settings has DEBUG on; the numbers would be meaningless")

    visitors = [Visitor(n) for n in range(args.visitors)]
    runs, counters_installed = {}, False
    total_started = time.perf_counter()
    try:
        prepare_site(args.pages, db_label, db_created)
        plain = publish_page(PLAIN_SLUG, "Bench unpersonalised page", plain_content())
        whitepapers = WhitepaperPage.objects.live().order_by("pk")
        whitepaper_paths = [page_path(p) for p in whitepapers[: len(TOPICS)]]
        install_write_counters()
        counters_installed = True
        connections.close_all()

        deadline = time.monotonic() + args.time_limit
        for number, count in enumerate(args.segment_counts):
            if time.monotonic() > deadline:
                print(f"\ntime limit of {args.time_limit:.0f}s reached: skipping {args.segment_counts[number:]}")
                break
            runs[count] = run_segment_count(
                args, count, visitors, plain, whitepaper_paths, deadline, redis, first=number == 0
            )

        if runs:
            facts = {
                "segment counts": args.segments,
                "visitors": args.visitors,
                "rounds": args.rounds,
                "whitepapers": whitepapers.count(),
                "cache": f"Redis {args.redis_url}" if redis is not None else "per process (--no-redis)",
            }
            print_environment(args, db_label, facts, next(iter(runs.values()))[1]["command"])
            print(
                f"personalisation  save every {settings.PERSONALIZATION_SAVE_EVERY} views, page cache "
                f"{settings.PERSONALIZATION_PAGE_CACHE_SECONDS}s, stats flush every "
                f"{settings.PERSONALIZATION_STATS_FLUSH_SECONDS}s, consent mode "
                f"{settings.PERSONALIZATION_CONSENT_MODE}"
            )
            print_results(runs)
            print_scenarios(runs)
            print_writes(runs, settings.PERSONALIZATION_SAVE_EVERY)
            print_cache(runs, redis is not None)
    except KeyboardInterrupt:
        STOP.set()
        print("\ninterrupted")
        raise
    finally:
        STOP.set()
        connections.close_all()
        try:
            if counters_installed:
                remove_write_counters()
            if not args.keep and not db_created:
                remove_bench_objects([v.cookies["sp_vid"] for v in visitors if "sp_vid" in v.cookies])
        except Exception as exc:  # noqa: BLE001 - still drop what can be dropped and flush Redis
            print(f"cleanup of the bench's rows failed: {exc!r}")
        connections.close_all()
        release_database(args.keep, db_label, db_created)
        if redis is not None:
            redis.flushdb()
            print(f"flushed {args.redis_url}")
        print(f"total time {time.perf_counter() - total_started:.0f}s")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
