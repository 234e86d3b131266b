"""Content performance (Reports → Content performance): per page its traffic, clicks and form fills, the
links clicked on it, its personalised blocks' variants, and, for users who see people-based reports, the
MQLs, opportunities and revenue it influenced. Editors see the content columns only.

The variant statistics that personalisation used to show on a screen of its own live here now; the old
address redirects here with the same period (personalization.views.statistics).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from personalization.views import STATISTICS_PERMISSIONS

from . import access, charts
from .content import content_performance, link_click_rows, variant_rows
from .content_influence import content_influence
from .tables import Column, Table
from .views_base import ReportView

CHART_ROWS = 10
EVER = "1900-01-01"  # the journey filter's earliest day: "has a journey", whenever created

TRAFFIC_COLUMNS = [
    Column("title", "Page"),
    Column("kind", "Type"),
    Column("views", "Views", "count"),
    Column("visitors", "Unique visitors", "count"),
    Column("cta_clicks", "CTA clicks", "count"),
    Column("cta_click_rate", "CTA click rate", "rate"),
    Column("link_clicks", "Link clicks", "count"),
    Column("form_views", "Form views", "count"),
    Column("form_fills", "Form fills", "count"),
    Column("conversion_rate", "Conversion rate", "rate"),
]
PIPELINE_COLUMNS = [
    Column("people", "Known people", "count"),
    Column("mqls", "MQLs influenced", "count"),
    Column("opportunities", "Opportunities influenced", "count"),
    Column("revenue", "Won revenue influenced", "money"),
]


def people_list_url(path: str, days: int | None) -> str | None:
    """The sales people list of those the "Known people" number counts: visited the page's path in the
    last `days` days (the list's behaviour filter counts back from now), with a journey that is not a
    test or competitor person's (any journey filter leaves those out, as the reports do)."""
    if not path or days is None:
        return None
    query = {
        "behaviour": "visited_url",
        "behaviour_value": path,
        "behaviour_days": days,
        "j_created_from": EVER,
    }
    return f"{reverse('leads_person:index')}?{urlencode(query)}"


class ContentReportView(ReportView):
    title = "Content performance"
    template_name = "reports/content.html"
    uses_filters = False  # pages, not people: the journey filters don't apply
    content_report = True

    def has_permission(self, user) -> bool:
        # Whoever could read the variant statistics on personalisation's old screen still can here.
        return super().has_permission(user) or any(user.has_perm(name) for name in STATISTICS_PERMISSIONS)

    def report(self, request, period, filters) -> dict:
        user = request.user
        with_pipeline = access.can_see_reports(user)
        rows = content_performance(period)
        influence = content_influence(period, user) if with_pipeline else None
        pages = Table(
            "pages",
            "Pages",
            TRAFFIC_COLUMNS + (PIPELINE_COLUMNS if with_pipeline else []),
            note=(
                "Views and unique visitors: page views in the period. CTA clicks: clicks on links in the page's "
                "personalised blocks per impression. Form views: views of a page that hosts a form. Conversion "
                "rate: form fills per unique visitor."
                + (
                    " Influenced: people who viewed the page or filled in its form before they reached MQL or "
                    "opportunity in this period, or before a deal won in it was opened; every page they touched "
                    "gets the whole conversion (influence, not attribution). Known people: people who viewed "
                    "the page (for a period ending today: in its number of days up to now, as the people list "
                    "opened from the number counts)."
                    if with_pipeline
                    else ""
                )
            ),
        )
        for index, row in enumerate(rows):
            values = {
                "title": row.title,
                "kind": row.kind,
                "views": row.views,
                "visitors": row.visitors,
                "cta_clicks": row.cta_clicks,
                "cta_click_rate": row.cta_click_rate,
                "link_clicks": row.link_clicks,
                "form_views": row.form_views,
                "form_fills": row.form_fills,
                "conversion_rate": row.conversion_rate,
            }
            if influence is not None:
                values.update(
                    people=influence.people.get(row.page_id, 0),
                    mqls=influence.mqls.get(row.page_id, 0),
                    opportunities=influence.opportunities.get(row.page_id, 0),
                    revenue=influence.revenue.get(row.page_id, 0),
                )
                url = people_list_url(row.path, influence.viewer_days)
                if url and values["people"]:
                    pages.links[(index, "people")] = url
            pages.rows.append(values)
        links = Table(
            "links",
            "Links clicked (page analysis)",
            [
                Column("page", "Page"),
                Column("href", "Link"),
                Column("clicks", "Clicks", "count"),
                Column("views", "Page views", "count"),
                Column("click_rate", "Clicks per view", "rate"),
            ],
            rows=link_click_rows(period),
            note="Link clicks are `link_click` events sent to POST /api/v1/track with the page's id and the link.",
        )
        variants = Table(
            "variants",
            "Personalised blocks: variants",
            [
                Column("page", "Page"),
                Column("block", "Block"),
                Column("variant", "Variant"),
                Column("impressions", "Impressions", "count"),
                Column("clicks", "CTA clicks", "count"),
                Column("click_rate", "Click rate", "rate"),
                Column("conversions", "Conversions", "count"),
                Column("conversion_rate", "Conversion rate", "rate"),
            ],
            rows=variant_rows(period),
            note="Conversions are form fills by visitors who saw the variant since their previous form fill.",
        )
        busiest = [(row.title, row.views) for row in rows[:CHART_ROWS] if row.views]
        filled = sorted(((row.title, row.form_fills) for row in rows if row.form_fills), key=lambda bar: -bar[1])
        return {
            "charts": [
                charts.bar_chart(busiest, title="Most viewed pages"),
                charts.bar_chart(filled[:CHART_ROWS], title="Form fills per page"),
            ],
            "variant_chart": charts.bar_chart(
                [(f"{row['page']}: {row['variant']}", row["impressions"]) for row in variants.rows[:CHART_ROWS]],
                title="Variant impressions",
            ),
            "tables": [pages, links, variants],
            "pages_table": pages,
            "links_table": links,
            "variants_table": variants,
            "with_pipeline": with_pipeline,
        }
