"""Content performance: per page (whitepaper, case study, event page, form, any page) what its traffic
did in a period, and what the people who read it went on to do.

Traffic (views, unique visitors, CTA and link clicks, form views and fills) is content data: every user
who may see the content report sees it, editors included; it names nobody. What people went on to do
(MQLs, opportunities and won revenue the page *influenced*) is people-based: it needs
reports.view_reports and is counted over the people the user may see (reports.access), like every
people-based report (reports.content_influence).

A page is recognised by its Wagtail id: a served page view carries it in `properties.page_id` (its
`object_id` is only the slug, which two pages may share); a form fill names the whitepaper it unlocked
(origin "content"), the form page (origin "form") or the event (origin "event", shown on the event's
landing page). A headless front end's view without a page id is not a page of ours and is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from wagtail.models import Page, Site

from leads.models import Interaction, Lead
from personalization.models import Segment, VariantStat

from .periods import Period

PAGE_VIEW = Interaction.Type.PAGE_VIEW.value
# A link clicked on a page, sent as a custom event (POST /api/v1/track, name "link_click", properties
# href and the page's path or page_id): the "page analysis" of which links on a page are clicked.
LINK_CLICK = "link_click"
# Captures that carry the content, form or event they were for (leads.Lead origin).
ORIGIN_TYPES = ("content", "form", "event")
MAX_ROWS = 500  # the busiest pages; a site has fewer, a mistake in a filter must not list a million rows

KIND_LABELS = {
    "whitepaperpage": "Whitepaper",
    "casestudypage": "Case study",
    "eventpage": "Event page",
    "leadformpage": "Form",
    "homepage": "Home page",
}


@dataclass
class ContentRow:
    page_id: int
    title: str
    kind: str
    path: str
    views: int = 0
    visitors: int = 0
    cta_impressions: int = 0
    cta_clicks: int = 0
    link_clicks: int = 0
    hosts_form: bool = False
    form_fills: int = 0

    @property
    def form_views(self) -> int | None:
        """Views of a page that hosts a form (a gated whitepaper, a form page, an event page)."""
        return self.views if self.hosts_form else None

    @property
    def cta_click_rate(self) -> float | None:
        return self.cta_clicks / self.cta_impressions if self.cta_impressions else None

    @property
    def conversion_rate(self) -> float | None:
        """Form fills per unique visitor of the page."""
        return self.form_fills / self.visitors if self.visitors else None


def _page_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def page_views_per_page(period: Period) -> dict[int, tuple[int, int]]:
    """{page id: (views, unique visitors)} over the period. A visitor is a browser (its visitor id); a
    view recorded with a person and no visitor id counts its person once."""
    start, end = period.bounds()
    rows = (
        Interaction.objects.filter(type=PAGE_VIEW, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(pid=KeyTextTransform("page_id", "properties"))
        .exclude(pid=None)
        .values("pid")
        .annotate(
            views=Count("id"),
            browsers=Count("visitor_id", distinct=True, filter=~Q(visitor_id="")),
            people=Count("person_id", distinct=True, filter=Q(visitor_id="")),
        )
    )
    result: dict[int, tuple[int, int]] = {}
    for row in rows:
        page_id = _page_id(row["pid"])
        if page_id is not None:
            views, visitors = result.get(page_id, (0, 0))
            result[page_id] = (views + row["views"], visitors + row["browsers"] + row["people"])
    return result


def link_clicks(period: Period) -> dict[tuple[int, str], int]:
    """{(page id, href): clicks} from `link_click` custom events in the period. The site's own script
    (site/static/js/links.js) sends the page's path; a headless front end may send its page id."""
    start, end = period.bounds()
    rows = list(
        Interaction.objects.filter(
            type=Interaction.Type.CUSTOM_EVENT, object_id=LINK_CLICK, occurred_at__gte=start, occurred_at__lt=end
        )
        .annotate(
            pid=KeyTextTransform("page_id", "properties"),
            path=KeyTextTransform("path", "properties"),
            href=KeyTextTransform("href", "properties"),
        )
        .values("pid", "path", "href")
        .annotate(clicks=Count("id"))
    )
    by_path = pages_by_path({row["path"] for row in rows if _page_id(row["pid"]) is None and row["path"]})
    result: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        page_id = _page_id(row["pid"]) or by_path.get(str(row["path"] or ""))
        if page_id is not None and row["href"]:
            result[(page_id, str(row["href"])[:500])] += row["clicks"]
    return dict(result)


def pages_by_path(paths) -> dict[str, int]:
    """{path as served ("/whitepapers/ai/"): page id} on the default site."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None or not paths:
        return {}
    root = site.root_page.url_path  # "/home/"
    wanted = {}
    for path in paths:
        inner = str(path).strip("/")
        if len(inner) < 400 and "\x00" not in inner:
            wanted[f"{root}{inner}/" if inner else root] = str(path)
    found = Page.objects.filter(url_path__in=list(wanted)).values_list("url_path", "pk")
    return {wanted[url_path]: pk for url_path, pk in found}


def cta_clicks(period: Period) -> dict[int, tuple[int, int]]:
    """{page id: (impressions, clicks)} of the page's personalised blocks (every variant together)."""
    rows = (
        VariantStat.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("page_id")
        .annotate(impressions=Sum("impressions"), clicks=Sum("clicks"))
    )
    return {row["page_id"]: (row["impressions"] or 0, row["clicks"] or 0) for row in rows}


def event_landing_pages(event_ids) -> dict[str, int]:
    """{event id as text: its landing page's id}: an event's captures are shown on its page."""
    from cms.models import EventPage

    ids = [int(value) for value in event_ids if str(value).isdigit() and len(str(value)) < 12]
    pages = EventPage.objects.filter(event_id__in=ids).values_list("pk", "event_id")
    return {str(event_id): page_id for page_id, event_id in pages}


def origin_page(origin_type: str, origin_id: str, landing_pages: dict[str, int]) -> int | None:
    """The page a capture belongs to: the whitepaper or form page by id, an event's landing page."""
    if origin_type == "event":
        return landing_pages.get(str(origin_id))
    return _page_id(origin_id) if origin_type in ("content", "form") else None


def form_fills_per_page(period: Period) -> dict[int, int]:
    """{page id: leads captured for it in the period}; leads flagged as junk (spam, test) left out."""
    start, end = period.bounds()
    rows = list(
        Lead.objects.filter(received_at__gte=start, received_at__lt=end, origin_type__in=ORIGIN_TYPES)
        .exclude(verdict=Lead.Verdict.FLAGGED)
        .values("origin_type", "origin_id")
        .annotate(fills=Count("id"))
    )
    landing = event_landing_pages({row["origin_id"] for row in rows if row["origin_type"] == "event"})
    result: dict[int, int] = defaultdict(int)
    for row in rows:
        page_id = origin_page(row["origin_type"], row["origin_id"], landing)
        if page_id is not None:
            result[page_id] += row["fills"]
    return dict(result)


def site_path(url_path: str) -> str:
    """The path under the site's root page ("/home/whitepapers/ai/" is served at "/whitepapers/ai/")."""
    inner = url_path.strip("/").partition("/")[2]
    return f"/{inner}/" if inner else "/"


def pages_described(page_ids) -> dict[int, dict]:
    """{page id: {title, kind, path, hosts_form}} of the pages that still exist."""
    from cms.models import EventPage, WhitepaperPage
    from forms.models import LeadFormPage

    pages = {
        row["pk"]: row
        for row in Page.objects.filter(pk__in=list(page_ids)).values("pk", "title", "url_path", "content_type__model")
    }
    with_form = set(LeadFormPage.objects.filter(pk__in=pages).values_list("pk", flat=True))
    with_form |= set(
        WhitepaperPage.objects.filter(pk__in=pages, gated=True).exclude(gate_form=None).values_list("pk", flat=True)
    )
    with_form |= set(EventPage.objects.filter(pk__in=pages).exclude(event=None).values_list("pk", flat=True))
    return {
        pk: {
            "title": row["title"],
            "kind": KIND_LABELS.get(row["content_type__model"], "Page"),
            "path": site_path(row["url_path"]),
            "hosts_form": pk in with_form,
        }
        for pk, row in pages.items()
    }


def content_performance(period: Period) -> list[ContentRow]:
    """Every page with traffic, CTA clicks or form fills in the period, busiest first."""
    views = page_views_per_page(period)
    ctas = cta_clicks(period)
    links: dict[int, int] = defaultdict(int)
    for (page_id, _href), clicks in link_clicks(period).items():
        links[page_id] += clicks
    fills = form_fills_per_page(period)
    wanted = set(views) | set(ctas) | set(links) | set(fills)
    pages = pages_described(wanted)
    rows = []
    for page_id in wanted:
        page = pages.get(page_id) or {
            "title": f"Page {page_id} (deleted)",
            "kind": "Page",
            "path": "",
            "hosts_form": False,
        }
        page_views, visitors = views.get(page_id, (0, 0))
        impressions, clicks = ctas.get(page_id, (0, 0))
        rows.append(
            ContentRow(
                page_id=page_id,
                title=page["title"],
                kind=page["kind"],
                path=page["path"],
                views=page_views,
                visitors=visitors,
                cta_impressions=impressions,
                cta_clicks=clicks,
                link_clicks=links.get(page_id, 0),
                hosts_form=page["hosts_form"],
                form_fills=fills.get(page_id, 0),
            )
        )
    rows.sort(key=lambda row: (-row.views, -row.form_fills, row.title.lower(), row.page_id))
    return rows[:MAX_ROWS]


def link_click_rows(period: Period, views: dict[int, tuple[int, int]] | None = None) -> list[dict]:
    """Page analysis: each link clicked on each page, with clicks per view of the page."""
    views = page_views_per_page(period) if views is None else views
    clicks = link_clicks(period)
    pages = pages_described({page_id for page_id, _ in clicks})
    rows = []
    for (page_id, href), count in clicks.items():
        page_views = views.get(page_id, (0, 0))[0]
        rows.append(
            {
                "page": pages.get(page_id, {}).get("title", f"Page {page_id} (deleted)"),
                "href": href,
                "clicks": count,
                "views": page_views,
                "click_rate": count / page_views if page_views else None,
            }
        )
    rows.sort(key=lambda row: (-row["clicks"], row["page"], row["href"]))
    return rows[:MAX_ROWS]


def variant_rows(period: Period) -> list[dict]:
    """Impressions, CTA clicks and conversions per variant of each personalised block (moved here from
    personalisation's own screen, with the report's periods)."""
    from personalization import stats

    stats.flush()  # this process's latest counts (other processes write theirs every few seconds)
    rows = list(
        VariantStat.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("page_id", "block", "segment_id")
        .annotate(impressions=Sum("impressions"), clicks=Sum("clicks"), conversions=Sum("conversions"))
        .order_by("page_id", "block", "-impressions", "segment_id")
    )
    pages = dict(Page.objects.filter(pk__in={row["page_id"] for row in rows}).values_list("pk", "title"))
    segments = dict(Segment.objects.filter(pk__in={row["segment_id"] for row in rows}).values_list("pk", "name"))
    for row in rows:
        row["page"] = pages.get(row["page_id"], f"Page {row['page_id']} (deleted)")
        row["variant"] = segments.get(row["segment_id"], "Deleted segment") if row["segment_id"] else "Default"
        row["click_rate"] = row["clicks"] / row["impressions"] if row["impressions"] else None
        row["conversion_rate"] = row["conversions"] / row["impressions"] if row["impressions"] else None
    return rows
