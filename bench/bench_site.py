"""Benchmark the public site and the content API as production serves them.

    .venv/bin/python bench/bench_site.py [--pages 1000] [--requests 400] [--concurrency 8]
                                         [--port 8799] [--keep] [--database-url URL]

What it does:

1. Builds a data set in the bench database (SQLite at bench/.data/bench.sqlite3 unless
   --database-url or BENCH_DATABASE_URL says otherwise): a home page at the site root, a
   whitepaper library (/whitepapers/) and a case study library (/case-studies/) holding --pages
   pages each, a few topics, industries, products and authors, and five cover images shared
   by the cards. A database that already holds enough pages is reused as it is.
2. Collects static files into bench/.data/static.
3. Starts gunicorn (cms.wsgi:application, DJANGO_SETTINGS_MODULE=bench.settings, which is
   cms.settings.production with HTTPS and hosts relaxed for 127.0.0.1) and waits for it.
4. Warms every target, then sends --requests GET requests to each target from --concurrency
   threads, each with its own keep-alive connection to 127.0.0.1, and prints latency and
   throughput next to /bench/floor/, a bare Django view that only goes through the middleware.
   gunicorn's default sync workers close the connection after every response, so each thread
   reconnects as needed; the "TCP connections" column of the targets list shows how often.

gunicorn is always stopped at the end. Unless --keep is given, a database (and the media files
of its images) that this run created is removed again; one that existed before is left alone,
so `--keep` once and later runs skip the build.
"""

import hashlib
import http.client
import io
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
from datetime import date, timedelta
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

SQLITE_PATH = DATA_DIR / "bench.sqlite3"
GUNICORN_LOG = DATA_DIR / "gunicorn.log"

HEADERS = {"User-Agent": "bench_site/1.0", "Accept": "text/html,application/json;q=0.9"}

WHITEPAPER_INDEX_SLUG = "whitepapers"
CASE_STUDY_INDEX_SLUG = "case-studies"
COVER_TITLE_PREFIX = "Bench cover"
COVER_COUNT = 5

TOPICS = ["Analytics", "Automation", "Security", "Compliance", "Customer experience", "AI"]
INDUSTRIES = ["Banking", "Insurance", "Healthcare", "Retail", "Manufacturing"]
PRODUCTS = ["Signal Core", "Signal Insights", "Signal Connect"]
AUTHORS = [("Ada Benchley", "Head of Research"), ("Grace Loader", "Principal Analyst")]
REGIONS = ["emea", "na", "latam", "apac"]
SIZE_BANDS = ["1-49", "50-249", "250-999", "1000-4999", "5000+"]


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


# --- Data -----------------------------------------------------------------------------------


def make_cover_jpeg(number):
    """A 1600x900 JPEG with some structure, so renditions cost what real photos cost."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    palette = [(32, 76, 140), (180, 62, 48), (40, 130, 90), (120, 70, 150), (200, 150, 40)]
    base = palette[number % len(palette)]
    img = PILImage.new("RGB", (1600, 900), base)
    draw = ImageDraw.Draw(img)
    for i in range(0, 1600, 40):
        shade = tuple(min(255, c + (i * 97 + number * 31) % 90) for c in base)
        draw.rectangle([i, (i * 7 + number * 50) % 600, i + 39, 900], fill=shade)
    for i in range(12):
        x, y = (i * 137 + number * 61) % 1500, (i * 89 + number * 23) % 800
        draw.ellipse([x, y, x + 100 + i * 5, y + 100 + i * 5], outline=(255, 255, 255), width=4)
    draw.text((60, 60), f"Bench cover {number + 1}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    return buffer


def media_tag():
    """Six hex digits naming the bench database, put in its image file names.

    Databases share MEDIA_ROOT; with the tag in the (short) original name, every file Wagtail
    derives from it, renditions and collision-renamed copies included, starts with
    bench<N>-<tag>, so one database's files can be removed without touching another's.
    """
    identity = os.environ.get("BENCH_DATABASE_URL") or str(SQLITE_PATH)
    return hashlib.sha1(identity.encode()).hexdigest()[:6]


def ensure_covers():
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    image_model = get_image_model()
    tag = media_tag()
    covers = list(image_model.objects.filter(title__startswith=COVER_TITLE_PREFIX).order_by("title"))
    for number in range(len(covers), COVER_COUNT):
        image = image_model(
            title=f"{COVER_TITLE_PREFIX} {number + 1}",
            file=ImageFile(make_cover_jpeg(number), name=f"bench{number + 1}-{tag}.jpg"),
            description=f"Abstract cover art number {number + 1}",
        )
        image._set_image_file_metadata()
        image.save()
        covers.append(image)
    return covers[:COVER_COUNT]


def ensure_terms(model, names):
    from django.utils.text import slugify

    return [model.objects.get_or_create(slug=slugify(n), defaults={"name": n})[0] for n in names]


def ensure_home(port):
    """A HomePage as the default site's root, replacing Wagtail's welcome page."""
    from django.utils import timezone
    from wagtail.models import Page, Site

    from cms.models import HomePage

    home = HomePage.objects.first()
    if home is None:
        now = timezone.now()
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(
                title="Home",
                slug="bench-home",
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
            )
        )
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    old_root = site.root_page if site and site.root_page_id != home.pk else None
    if site is None:
        site = Site(hostname=HOST, port=port, root_page=home, is_default_site=True)
    site.hostname, site.port, site.root_page, site.is_default_site = HOST, port, home, True
    site.site_name = "Bench"
    site.save()
    # Wagtail's migrations leave a plain "Welcome to your new Wagtail site!" page at depth 2.
    if old_root is not None and old_root.depth == 2 and old_root.specific_class is Page:
        old_root.delete()
    if home.slug != "home" and not Page.objects.filter(depth=2, slug="home").exists():
        home.slug = "home"
        home.save()
    return home


def ensure_index(home, model, slug, title, intro):
    from django.utils import timezone

    index = model.objects.child_of(home).first()
    if index is None:
        now = timezone.now()
        index = home.add_child(
            instance=model(
                title=title,
                slug=slug,
                intro=intro,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
            )
        )
    return index


def rich_paragraphs(*texts):
    return "".join(f"<p>{t}</p>" for t in texts)


def build_data(pages):
    """Create (or top up) the bench site; return a dict describing it."""
    from django.db import transaction
    from django.utils import timezone
    from wagtail.rich_text import RichText

    from cms.models import (
        Author,
        CaseStudyIndexPage,
        CaseStudyPage,
        CaseStudyRelatedWhitepaper,
        Industry,
        Product,
        Topic,
        WhitepaperIndexPage,
        WhitepaperPage,
    )

    port = int(os.environ["BENCH_PORT"])
    have_wp = WhitepaperPage.objects.count()
    have_cs = CaseStudyPage.objects.count()
    if have_wp >= pages and have_cs >= pages:
        with transaction.atomic():
            ensure_home(port)  # keeps the Site's port in step with --port
        print(f"data: reusing {have_wp} whitepapers and {have_cs} case studies (build skipped)")
        return

    started = time.perf_counter()
    with transaction.atomic():
        home = ensure_home(port)
        wp_index = ensure_index(home, WhitepaperIndexPage, WHITEPAPER_INDEX_SLUG, "Whitepapers", "Research and guides.")
        cs_index = ensure_index(home, CaseStudyIndexPage, CASE_STUDY_INDEX_SLUG, "Case studies", "Customer stories.")
        topics = ensure_terms(Topic, TOPICS)
        industries = ensure_terms(Industry, INDUSTRIES)
        products = ensure_terms(Product, PRODUCTS)
        authors = [Author.objects.get_or_create(name=name, defaults={"job_title": job})[0] for name, job in AUTHORS]
        covers = ensure_covers()

    today = date.today()
    now = timezone.now()
    batch = 250

    def whitepaper(i):
        page = WhitepaperPage(
            title=f"Bench whitepaper {i + 1:05d}: {TOPICS[i % len(TOPICS)]} in practice",
            slug=f"bench-whitepaper-{i + 1:05d}",
            summary=(
                f"How teams in {INDUSTRIES[i % len(INDUSTRIES)].lower()} put "
                f"{TOPICS[i % len(TOPICS)].lower()} to work: findings, benchmarks and a checklist."
            ),
            cover_image=covers[i % len(covers)],
            publish_date=today - timedelta(days=i % 900),
            page_count=12 + i % 30,
            gated=i % 3 != 0,
            body=[
                (
                    "rich_text",
                    RichText(
                        rich_paragraphs(
                            "What you will learn in this report, in three short sections.",
                            "Key findings, the numbers behind them and what to do next.",
                        )
                    ),
                )
            ],
            live=True,
            has_unpublished_changes=False,
            first_published_at=now - timedelta(days=i % 900),
            last_published_at=now - timedelta(days=i % 900),
        )
        page.topics = [topics[i % len(topics)], topics[(i + 2) % len(topics)]]
        page.industries = [industries[i % len(industries)]]
        page.authors = [authors[i % len(authors)]]
        return page

    def case_study(i, related_ids):
        industry = industries[i % len(industries)]
        page = CaseStudyPage(
            title=f"Bench case study {i + 1:05d}: Customer {i + 1} cuts costs",
            slug=f"bench-case-study-{i + 1:05d}",
            customer_name=f"Customer {i + 1} Ltd",
            customer_logo=covers[(i + 2) % len(covers)],
            cover_image=covers[i % len(covers)],
            summary=f"A {industry.name.lower()} company that cut reporting time by {10 + i % 60}%.",
            industry=industry,
            company_size_band=SIZE_BANDS[i % len(SIZE_BANDS)],
            region=REGIONS[i % len(REGIONS)],
            publish_date=today - timedelta(days=i % 900),
            challenge=rich_paragraphs("Reports took a week to assemble by hand."),
            solution=rich_paragraphs("Signal Core pulled the data together every night."),
            results=rich_paragraphs("Reports now go out on Monday morning, every week."),
            key_metrics=[
                ("metric", {"value": f"{10 + i % 60}%", "label": "less time on reporting"}),
                ("metric", {"value": f"{1 + i % 5}x", "label": "faster decisions"}),
            ],
            quote="We stopped arguing about numbers and started using them.",
            quote_person="Pat Example",
            quote_job_title="Head of Operations",
            live=True,
            has_unpublished_changes=False,
            first_published_at=now - timedelta(days=i % 900),
            last_published_at=now - timedelta(days=i % 900),
        )
        page.topics = [topics[i % len(topics)]]
        page.products_used = [products[i % len(products)]]
        if related_ids:
            page.related_whitepapers = [
                CaseStudyRelatedWhitepaper(whitepaper_id=related_ids[(i + k) % len(related_ids)]) for k in range(2)
            ]
        return page

    def add_children(index, label, existing, make):
        for start in range(existing, pages, batch):
            with transaction.atomic():
                for i in range(start, min(start + batch, pages)):
                    index.add_child(instance=make(i))
            done = min(start + batch, pages)
            elapsed = time.perf_counter() - started
            print(f"  {label}: {done}/{pages} ({elapsed:.0f}s)", flush=True)

    print(f"data: building {pages} whitepapers and {pages} case studies ...", flush=True)
    wp_index.refresh_from_db()
    add_children(wp_index, "whitepapers", have_wp, whitepaper)
    related_ids = list(WhitepaperPage.objects.order_by("pk").values_list("pk", flat=True)[:50])
    cs_index.refresh_from_db()
    add_children(cs_index, "case studies", have_cs, lambda i: case_study(i, related_ids))
    print(f"data: built in {time.perf_counter() - started:.1f}s")


def discover_targets():
    """The (name, path) pairs to measure, read from the bench database."""
    from wagtail.models import Site

    from cms.models import CaseStudyPage, WhitepaperIndexPage, WhitepaperPage

    site = Site.objects.get(is_default_site=True)
    wp_index = WhitepaperIndexPage.objects.live().first()
    whitepapers = WhitepaperPage.objects.live().order_by("pk")
    case_studies = CaseStudyPage.objects.live().order_by("pk")
    whitepaper = whitepapers[whitepapers.count() // 2]
    case_study = case_studies[case_studies.count() // 2]
    index_path = wp_index.get_url_parts()[2]
    return [
        ("floor", "/bench/floor/"),
        ("home", site.root_page.get_url_parts()[2]),
        ("whitepaper index p1", index_path),
        ("whitepaper index p20", f"{index_path}?page=20"),
        ("whitepaper detail", whitepaper.get_url_parts()[2]),
        ("case study detail", case_study.get_url_parts()[2]),
        ("api listing", "/api/v2/pages/?type=cms.WhitepaperPage&limit=20"),
        ("api detail", f"/api/v2/pages/{whitepaper.pk}/"),
    ], {
        "whitepapers": whitepapers.count(),
        "case studies": case_studies.count(),
        "index pages at 12 per page": -(-whitepapers.count() // 12),
    }


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


def print_table(results):
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
    failed = [r.name for r in results if r.errors]
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
        results = []
        for name, path in targets:
            warm = run_load(args.port, name, path, warmup, args.concurrency, args.target_timeout)
            result = run_load(args.port, name, path, args.requests, args.concurrency, args.target_timeout)
            codes = ", ".join(f"{c} x{n}" for c, n in sorted(warm.statuses.items(), key=str))
            print(
                f"  {name:<22} warm-up {codes}; measured {result.sent} in {result.seconds:.1f}s",
                flush=True,
            )
            results.append(result)
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn died during {name}:\n{log_tail(GUNICORN_LOG)}")

        print_table(results)
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
