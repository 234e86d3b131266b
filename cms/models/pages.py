"""Page types: what every page of ours shares (BasePage), the home page, official pages, and the
filtered listing pages' machinery. Whitepapers are in whitepapers.py, case studies in case_studies.py,
events in events.py.

Creation rules (parent_page_types / subpage_types) keep each type where it belongs: the home page
sits at the site root, whitepapers only under the whitepaper library, and so on.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Page, Site
from wagtail.search import index
from wagtail_headless_preview.models import HeadlessPreviewMixin

from cms.absolute_urls import absolute_url, development_origin
from cms.api.fields import ImageField
from cms.blocks import HERO_BLOCKS, BodyBlock

from .settings import SiteSettings

LISTING_PAGE_SIZE = 12


class BasePage(HeadlessPreviewMixin, Page):
    """What every page of ours shares: a social image, SEO helpers and headless preview."""

    social_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when the page is shared; falls back to the page's own image, then the site's",
    )

    promote_panels = [
        *Page.promote_panels,
        FieldPanel("social_image"),
    ]
    api_fields = [APIField("social_image", serializer=ImageField())]
    # Listing-page cards and the API read these without touching the body.
    listing_image_field = None
    # StreamFields that may hold personalised blocks (cms.page_cache reads their segments).
    personalised_fields = ("body",)
    # Whether the rendered page may be kept in the output cache, per (revision, segment fingerprint).
    # Off for pages whose output depends on more than that. A form is no reason: it is a hole in the
    # cached page, filled per visitor (serve_with_form_hole).
    output_cache = False
    # Query parameters the output depends on, each value cached apart (a listing's filters and page).
    output_cache_params = frozenset()

    def output_variant_spec(self):
        """What else the output shows that is read live per request: None, or (dotted function, argument)
        returning a string that joins the output cache key, or None when the page must not come from the
        cache now (cms.page_cache.output_variant). An event page's registration state is one."""
        return None

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        from cms.page_cache import serve_personalised

        return serve_personalised(
            self, request, lambda: super(BasePage, self).serve(request, *args, **kwargs), use_cache=self.output_cache
        )

    # --- Preview: the built-in site, each segment, and the headless front end when one is configured ---
    @property
    def preview_modes(self):
        modes = [("", "Site")]
        if settings.HEADLESS_PREVIEW_URL:
            modes.append(("headless", "Headless front end"))
        if self.personalised_fields:
            from personalization.models import Segment

            segments = [
                (f"segment-{pk}", f"As segment: {name}")
                for pk, name in Segment.objects.filter(is_active=True).values_list("pk", "name")
            ]
            if segments:
                modes += [("no-segment", "As a visitor in no segment"), *segments]
        return modes

    def serve_preview(self, request, mode_name):
        if mode_name == "headless":
            return HeadlessPreviewMixin.serve_preview(self, request, mode_name)
        if mode_name == "no-segment" or mode_name.startswith("segment-"):
            from personalization.services import preview_as

            segment_id = mode_name.removeprefix("segment-")
            preview_as(request, {int(segment_id)} if segment_id.isdigit() else set())
        return Page.serve_preview(self, request, mode_name)

    # --- Absolute URLs (cms.absolute_urls) ---
    def get_url_parts(self, request=None):
        """Wagtail's, but in development a page of the site being served is linked on the host and port it
        is served on (`make run PORT=8765`), not the Site record's: the request's, or without a request
        (emails, calendar files) SITE_BASE_URL's, which `make run` sets. Production keeps the Site's."""
        parts = super().get_url_parts(request)
        if parts is None or parts[1] is None or not settings.DEBUG:
            return parts
        site = (
            Site.find_for_request(request) if request is not None else Site.objects.filter(is_default_site=True).first()
        )
        return (parts[0], development_origin(request), parts[2]) if site is not None and site.pk == parts[0] else parts

    @staticmethod
    def image_url(image, spec, request=None) -> str:
        """A rendition's absolute URL, for structured data and share cards."""
        return absolute_url(image.get_rendition(spec).url, request, configured=settings.WAGTAILADMIN_BASE_URL)

    # --- SEO ---
    @property
    def meta_description(self):
        return self.search_description or getattr(self, "summary", "") or getattr(self, "intro", "")

    @property
    def share_image(self):
        """The page's own image for social cards; None lets the template use the site default."""
        if self.social_image_id:
            return self.social_image
        if self.listing_image_field:
            return getattr(self, self.listing_image_field)
        return None

    def json_ld(self, request):
        """schema.org data for this page; None when the type has nothing specific to say."""
        return None

    def article_json_ld(self, request, **extra):
        """schema.org Article for pages with a summary, publish date and cover image."""
        data = {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": self.title,
            "description": self.summary,
            "url": self.get_full_url(request),
            "datePublished": self.publish_date.isoformat() if self.publish_date else None,
            **extra,
        }
        if self.cover_image:
            data["image"] = self.image_url(self.cover_image, "fill-1200x630", request)
        if self.last_published_at:
            data["dateModified"] = self.last_published_at.isoformat()
        return data


def serve_with_form_hole(page, request, form_page, *, asset=None):
    """A GET of a page hosting a form: the page from the output cache (or rendered and kept) with the form
    panel left as a hole and filled for this visitor (cms.page_holes; forms.services.journey)."""
    from cms import page_holes
    from cms.page_cache import content_epoch, serve_personalised
    from forms.services.journey import form_page_with_hole

    def render():
        response, spec = form_page_with_hole(
            request,
            host_page=page,
            form_page=form_page,
            template=page.get_template(request),
            asset=asset,
            mark=page_holes.mark("form"),
            version=content_epoch(),  # consent wording and form rows change the epoch too
        )
        page_holes.holes_left(request, {"form": spec})
        return response

    return serve_personalised(page, request, render, use_cache=page.output_cache)


class HomePage(BasePage):
    personalised_fields = ("hero", "body")
    output_cache = True
    hero = StreamField(HERO_BLOCKS, blank=True, max_num=1)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("hero"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("hero"), APIField("body")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.StandardPage",
        "cms.WhitepaperIndexPage",
        "cms.CaseStudyIndexPage",
        "cms.EventIndexPage",
        "leadforms.LeadFormPage",
    ]
    template = "pages/home_page.html"

    def json_ld(self, request):
        site_settings = SiteSettings.for_request(request)
        logo = site_settings.logo
        data = {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": site_settings.organisation_name,
            "url": self.get_full_url(request),
        }
        if logo:
            data["logo"] = self.image_url(logo, "max-512x512", request)
        same_as = [block.value["url"] for block in site_settings.social_links]
        if same_as:
            data["sameAs"] = same_as
        if site_settings.contact_email:
            data["email"] = site_settings.contact_email
        return data


class StandardPage(BasePage):
    """Product, solution, pricing, about and similar official pages."""

    personalised_fields = ("hero", "body")
    output_cache = True

    intro = models.TextField(blank=True, max_length=500)
    hero = StreamField(HERO_BLOCKS, blank=True, max_num=1)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("hero"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("intro"), APIField("hero"), APIField("body")]

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage", "leadforms.LeadFormPage"]
    template = "pages/standard_page.html"


class ResultsInPlaceMixin:
    """A listing whose filter form swaps only its results region in place with htmx.

    The page's own URL answers an htmx request with `results_template` alone, and everything else
    (no JavaScript, a boosted link, a history restore) with the whole page.
    """

    results_template = ""
    output_vary = ("HX-Request",)  # the page cache keeps this with the output (cms.page_cache)

    def serve(self, request, *args, **kwargs):
        htmx = getattr(request, "htmx", None)
        # A history restore asks for the whole page again, with HX-Request set (htmx 2).
        if htmx and not htmx.boosted and not htmx.history_restore_request:
            response = TemplateResponse(request, self.results_template, self.get_context(request))
        else:
            response = super().serve(request, *args, **kwargs)
        # The same URL answers with a fragment or a whole page: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request",))
        return response


def listing_page_context(request, items) -> dict:
    """One page of a listing (`?page=`), its links and the query string the links keep."""
    paginator = Paginator(items, LISTING_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page_obj": page_obj,
        # Numbers around the current page plus the ends, with ellipses: a 1,000-item library renders
        # 9 links, not 84.
        "page_range": paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1),
        "querystring_without_page": params.urlencode(),
    }


class FilteredListingMixin(ResultsInPlaceMixin):
    """A listing page whose children are filtered by topic and industry and paginated.

    The filter form is a plain GET form, so it works without JavaScript; with htmx the results
    region is swapped in place and the URL updated (hx-push-url), and the server answers an htmx
    request with just that region.
    """

    results_template = "partials/listing_results.html"
    card_template = None
    # Kept per filter and page: a listing is the same for everyone who asks for the same one.
    output_cache = True
    output_cache_params = frozenset({"topic", "industry", "page"})
    item_singular = item_plural = ""

    def listing_queryset(self, *, topic=None, industry=None):
        raise NotImplementedError

    def get_context(self, request, *args, **kwargs):
        from cms.forms import ListingFilterForm  # cms.forms imports these models

        context = super().get_context(request, *args, **kwargs)
        form = ListingFilterForm(request.GET or None)
        filters = form.cleaned_filters() if form.is_bound else {}
        items = self.listing_queryset(**filters).descendant_of(self)
        listing = listing_page_context(request, items)
        if form.errors or request.GET.get("page", "1") != str(listing["page_obj"].number):
            # Only the canonical URLs fill the cache: ?page=abc or ?topic=nonsense can be asked for endlessly.
            from cms.page_cache import output_uncacheable

            output_uncacheable(request)
        context.update(
            listing,
            filter_form=form,
            filters_active=bool(filters),
            card_template=self.card_template,
            item_singular=self.item_singular,
            item_plural=self.item_plural,
        )
        return context
