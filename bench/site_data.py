"""bench_site's data set: the site's pages, published with live revisions as an editor leaves them.

A page without a live revision is never kept in the page output cache (cms.page_cache keys it by its
revision), so a data set built without them measures pages no visitor ever gets: every page here is
given one, and a database built before that is given them when it is reused (ensure_live_revisions).
"""

import hashlib
import io
import os
import time
from datetime import date, timedelta

from bench.harness import DATA_DIR, HOST

SQLITE_PATH = DATA_DIR / "bench.sqlite3"

WHITEPAPER_INDEX_SLUG = "whitepapers"
CASE_STUDY_INDEX_SLUG = "case-studies"
GATE_FORM_SLUG = "bench-gate"
EVENT_TITLE = "Bench evening: revenue operations"
COVER_TITLE_PREFIX = "Bench cover"
COVER_COUNT = 5

TOPICS = ["Analytics", "Automation", "Security", "Compliance", "Customer experience", "AI"]
INDUSTRIES = ["Banking", "Insurance", "Healthcare", "Retail", "Manufacturing"]
PRODUCTS = ["Signal Core", "Signal Insights", "Signal Connect"]
AUTHORS = [("Ada Benchley", "Head of Research"), ("Grace Loader", "Principal Analyst")]
REGIONS = ["emea", "na", "latam", "apac"]
SIZE_BANDS = ["1-49", "50-249", "250-999", "1000-4999", "5000+"]
# The gate form's questions: label, type, maps_to, required, progressive, choices (as the demo's gate).
GATE_FIELDS = [
    ("Work email", "email", "email", True, False, ""),
    ("First name", "singleline", "first_name", True, False, ""),
    ("Last name", "singleline", "last_name", True, False, ""),
    ("Company", "singleline", "company", True, False, ""),
    ("Country", "dropdown", "country", True, False, ""),
    ("Job title", "singleline", "job_title", False, True, ""),
    ("Phone", "singleline", "phone", False, True, ""),
]


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
            home = ensure_home(port)  # keeps the Site's port in step with --port
        print(f"data: reusing {have_wp} whitepapers and {have_cs} case studies (build skipped)")
        ensure_forms_and_events(home)
        ensure_live_revisions()
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
    ensure_forms_and_events(home)
    from forms.models import LeadFormPage

    gate = LeadFormPage.objects.get(slug=GATE_FORM_SLUG)

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
            gate_form=gate if i % 3 != 0 else None,
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
    ensure_forms_and_events(home)
    ensure_live_revisions()


def ensure_forms_and_events(home):
    """The gate form every gated whitepaper hosts, and an event with its landing page and registration form."""
    from django.db import transaction

    from cms.models import WhitepaperPage
    from forms.models import LeadFormPage

    with transaction.atomic():
        gate = LeadFormPage.objects.filter(slug=GATE_FORM_SLUG).first()
        if gate is None:
            from forms.models import LeadFormField

            gate = home.add_child(
                instance=LeadFormPage(
                    title="Get the whitepaper", slug=GATE_FORM_SLUG, purpose="gate", submit_label="Get the PDF"
                )
            )
            for order, (label, field_type, maps_to, required, progressive, choices) in enumerate(GATE_FIELDS):
                LeadFormField.objects.create(
                    page=gate,
                    sort_order=order,
                    label=label,
                    field_type=field_type,
                    maps_to=maps_to,
                    required=required,
                    progressive=progressive,
                    choices=choices,
                )
            gate.save_revision().publish()
        WhitepaperPage.objects.filter(gated=True, gate_form__isnull=True).update(gate_form=gate)
    from events.models import Event

    if not Event.objects.filter(title=EVENT_TITLE).exists():
        from bench.bench_events import event_create

        event_create(EVENT_TITLE, capacity=100_000)


def ensure_live_revisions(batch=250):
    """Give every live page without a live revision one, as publishing would (without publish's signals)."""
    from django.db import transaction
    from wagtail.models import Page

    started = time.perf_counter()
    missing = list(Page.objects.filter(live=True, live_revision__isnull=True, depth__gt=1).values_list("pk", flat=True))
    for start in range(0, len(missing), batch):
        with transaction.atomic():
            for page in Page.objects.filter(pk__in=missing[start : start + batch]).specific():
                revision = page.save_revision(clean=False, log_action=False)
                Page.objects.filter(pk=page.pk).update(live_revision=revision, has_unpublished_changes=False)
        print(f"  live revisions: {min(start + batch, len(missing))}/{len(missing)}", flush=True)
    if missing:
        print(f"data: {len(missing)} pages given a live revision in {time.perf_counter() - started:.1f}s")


def discover_targets():
    """The (name, path) pairs to measure, read from the bench database."""
    from wagtail.models import Site

    from cms.models import (
        CaseStudyIndexPage,
        CaseStudyPage,
        EventIndexPage,
        EventPage,
        WhitepaperIndexPage,
        WhitepaperPage,
    )

    site = Site.objects.get(is_default_site=True)
    wp_index = WhitepaperIndexPage.objects.live().first()
    cs_index = CaseStudyIndexPage.objects.live().first()
    whitepapers = WhitepaperPage.objects.live().order_by("pk")
    gated = whitepapers.filter(gated=True, gate_form__isnull=False)
    case_studies = CaseStudyPage.objects.live().order_by("pk")
    whitepaper = gated[gated.count() // 2]  # with its gate form
    case_study = case_studies[case_studies.count() // 2]
    index_path = wp_index.get_url_parts()[2]
    topic = TOPICS[0].lower()
    targets = [
        ("floor", "/bench/floor/"),
        ("home", site.root_page.get_url_parts()[2]),
        ("whitepaper index p1", index_path),
        ("whitepaper index p20", f"{index_path}?page=20"),
        ("whitepapers filtered", f"{index_path}?topic={topic}&industry={INDUSTRIES[0].lower()}"),
        ("whitepaper + form", whitepaper.get_url_parts()[2]),
        ("case study detail", case_study.get_url_parts()[2]),
        ("case studies filtered", f"{cs_index.get_url_parts()[2]}?topic={topic}"),
    ]
    event_page = EventPage.objects.live().filter(event__title=EVENT_TITLE).first()
    if event_page is not None:
        targets.append(("event + form", event_page.get_url_parts()[2]))
    events_index = EventIndexPage.objects.live().first()
    if events_index is not None:
        targets.append(("events listing", events_index.get_url_parts()[2]))
    targets += [
        ("api listing", "/api/v2/pages/?type=cms.WhitepaperPage&limit=20"),
        ("api detail", f"/api/v2/pages/{whitepaper.pk}/"),
    ]
    return targets, {
        "whitepapers": whitepapers.count(),
        "case studies": case_studies.count(),
        "index pages at 12 per page": -(-whitepapers.count() // 12),
    }
