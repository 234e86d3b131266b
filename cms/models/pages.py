"""Page types: home, official pages, whitepapers, case studies and their listing pages.

Creation rules (parent_page_types / subpage_types) keep each type where it belongs: the home page
sits at the site root, whitepapers only under the whitepaper library, and so on.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_headless_preview.models import HeadlessPreviewMixin

from cms.api.fields import (
    CaseStudyRelatedWhitepapersField,
    ImageField,
    SnippetListField,
    WhitepaperDocumentField,
)
from cms.blocks import HERO_BLOCKS, RICH_TEXT_FEATURES, BodyBlock, MetricBlock
from cms.serializers import image_representation

from .settings import SiteSettings

COMPANY_SIZE_BANDS = [
    ("1-49", "1-49 employees"),
    ("50-249", "50-249 employees"),
    ("250-999", "250-999 employees"),
    ("1000-4999", "1,000-4,999 employees"),
    ("5000+", "5,000+ employees"),
]
REGIONS = [
    ("emea", "Europe, Middle East & Africa"),
    ("na", "North America"),
    ("latam", "Latin America"),
    ("apac", "Asia Pacific"),
]

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
    # StreamFields that may hold personalised blocks (cms.personalisation reads their segments).
    personalised_fields = ("body",)
    # Whether the rendered page may be kept in the output cache, per (revision, segment fingerprint).
    # Off for pages whose output depends on more than that (forms with CSRF tokens, filtered listings).
    output_cache = False

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        from cms.personalisation import serve_personalised

        return serve_personalised(self, request, lambda: super(BasePage, self).serve(request, *args, **kwargs),
                                  use_cache=self.output_cache)

    # --- Preview: the built-in site, each segment, and the headless front end when one is configured ---
    @property
    def preview_modes(self):
        modes = [("", "Site")]
        if settings.HEADLESS_PREVIEW_URL:
            modes.append(("headless", "Headless front end"))
        if self.personalised_fields:
            from personalization.models import Segment

            segments = [(f"segment-{pk}", f"As segment: {name}")
                        for pk, name in Segment.objects.filter(is_active=True).values_list("pk", "name")]
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
            data["image"] = self.cover_image.get_rendition("fill-1200x630").full_url
        if self.last_published_at:
            data["dateModified"] = self.last_published_at.isoformat()
        return data


class HomePage(BasePage):
    personalised_fields = ("hero", "body")
    output_cache = True
    hero = StreamField(HERO_BLOCKS, blank=True, max_num=1)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("hero"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("hero"), APIField("body")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.StandardPage", "cms.WhitepaperIndexPage", "cms.CaseStudyIndexPage", "cms.EventIndexPage",
                     "leadforms.LeadFormPage"]
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
            data["logo"] = logo.get_rendition("max-512x512").full_url
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


class FilteredListingMixin:
    """A listing page whose children are filtered by topic and industry and paginated.

    The filter form is a plain GET form, so it works without JavaScript; with htmx the results
    region is swapped in place and the URL updated (hx-push-url), and the server answers an htmx
    request with just that region.
    """

    results_template = "partials/listing_results.html"
    card_template = None
    item_singular = item_plural = ""

    def listing_queryset(self, *, topic=None, industry=None):
        raise NotImplementedError

    def get_context(self, request, *args, **kwargs):
        from cms.forms import ListingFilterForm  # cms.forms imports these models

        context = super().get_context(request, *args, **kwargs)
        form = ListingFilterForm(request.GET or None)
        filters = form.cleaned_filters() if form.is_bound else {}
        items = self.listing_queryset(**filters).descendant_of(self)
        paginator = Paginator(items, LISTING_PAGE_SIZE)
        page_obj = paginator.get_page(request.GET.get("page"))
        context.update(
            filter_form=form,
            page_obj=page_obj,
            # Numbers around the current page plus the ends, with ellipses: a 1,000-item library
            # renders 9 links, not 84.
            page_range=paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1),
            filters_active=bool(filters),
            querystring_without_page=_querystring_without_page(request),
            card_template=self.card_template,
            item_singular=self.item_singular,
            item_plural=self.item_plural,
        )
        return context

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


def _querystring_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class WhitepaperIndexPage(FilteredListingMixin, BasePage):
    personalised_fields = ()  # a listing has no body
    intro = models.TextField(blank=True, max_length=500)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    api_fields = [*BasePage.api_fields, APIField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.WhitepaperPage"]
    max_count_per_parent = 1
    template = "pages/whitepaper_index_page.html"
    card_template = "partials/whitepaper_card.html"
    item_singular, item_plural = "whitepaper", "whitepapers"

    def listing_queryset(self, *, topic=None, industry=None):
        from cms.selectors import latest_whitepapers

        return latest_whitepapers(topic=topic, industry=industry)


class WhitepaperPage(BasePage):
    summary = models.TextField(max_length=600, help_text="Shown on cards and as the meta description")
    cover_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The PDF. Put gated PDFs in a private collection so they have no public URL.",
    )
    topics = ParentalManyToManyField("cms.Topic", blank=True, related_name="whitepapers")
    industries = ParentalManyToManyField("cms.Industry", blank=True, related_name="whitepapers")
    publish_date = models.DateField(default=timezone.localdate)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    authors = ParentalManyToManyField("cms.Author", blank=True, related_name="whitepapers")
    gated = models.BooleanField(
        default=True, help_text="Visitors fill in a form before they get the PDF"
    )
    # The form that unlocks this whitepaper; it is rendered on the whitepaper page itself.
    gate_form = models.ForeignKey(
        "leadforms.LeadFormPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The form visitors fill in to get a gated whitepaper",
    )
    body = StreamField(BodyBlock(), blank=True, help_text="Optional: what's inside, key findings")

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        MultiFieldPanel(
            [
                FieldPanel("document"),
                FieldPanel("page_count"),
                FieldPanel("gated"),
                PageChooserPanel("gate_form", "leadforms.LeadFormPage"),
            ],
            heading="The PDF",
        ),
        MultiFieldPanel(
            [FieldPanel("publish_date"), FieldPanel("authors"), FieldPanel("topics"), FieldPanel("industries")],
            heading="About",
        ),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.RelatedFields("industries", [index.SearchField("name")]),
        index.FilterField("publish_date"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("summary"),
        APIField("cover_image", serializer=ImageField()),
        APIField("publish_date"),
        APIField("page_count"),
        APIField("gated"),
        APIField("gate_form_id"),
        APIField("document", serializer=WhitepaperDocumentField(source="*")),
        APIField("topics", serializer=SnippetListField()),
        APIField("industries", serializer=SnippetListField()),
        APIField("authors", serializer=SnippetListField()),
        APIField("body"),
    ]
    parent_page_types = ["cms.WhitepaperIndexPage"]
    subpage_types = []
    template = "pages/whitepaper_page.html"
    listing_image_field = "cover_image"

    def gated_asset(self):
        """What the gate form unlocks, in the terms the forms app understands."""
        from forms.services.submission import GatedAsset

        return GatedAsset(
            document_id=self.document_id,
            object_id=str(self.pk),
            label=self.title,
            topics=tuple(self.topics.values_list("slug", flat=True)),
        )

    def visitor_tags(self):
        """(topic slugs, industry slugs): what a view of this page tells us about the visitor's interests."""
        return (tuple(self.topics.values_list("slug", flat=True)),
                tuple(self.industries.values_list("slug", flat=True)))

    @property
    def live_gate_form(self):
        return self.gate_form if self.gated and self.gate_form_id and self.gate_form.live else None

    def serve(self, request, *args, **kwargs):
        # A gated whitepaper hosts its form: the form posts back here and the PDF link appears in place.
        gate_form = self.live_gate_form
        if gate_form is None:
            return super().serve(request, *args, **kwargs)
        from forms.views import form_serve

        return form_serve(request, host_page=self, form_page=gate_form, template=self.get_template(request),
                          asset=self.gated_asset())

    @property
    def public_document_url(self):
        """Where anyone may download the PDF; None for gated whitepapers (the form hands it out)."""
        if self.gated or not self.document_id:
            return None
        return self.document.url

    def card_representation(self):
        return {
            "id": self.pk,
            "type": "whitepaper",
            "title": self.title,
            "url": self.url,
            "summary": self.summary,
            "publish_date": self.publish_date.isoformat() if self.publish_date else None,
            "gated": self.gated,
            "image": image_representation(self.cover_image),
        }

    def json_ld(self, request):
        return self.article_json_ld(
            request,
            author=[{"@type": "Person", "name": author.name} for author in self.authors.all()],
            about=[topic.name for topic in self.topics.all()],
        )


class CaseStudyIndexPage(FilteredListingMixin, BasePage):
    personalised_fields = ()  # a listing has no body
    intro = models.TextField(blank=True, max_length=500)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    api_fields = [*BasePage.api_fields, APIField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.CaseStudyPage"]
    max_count_per_parent = 1
    template = "pages/case_study_index_page.html"
    card_template = "partials/case_study_card.html"
    item_singular, item_plural = "case study", "case studies"

    def listing_queryset(self, *, topic=None, industry=None):
        from cms.selectors import latest_case_studies

        return latest_case_studies(topic=topic, industry=industry)


class CaseStudyPage(BasePage):
    customer_name = models.CharField(max_length=120)
    customer_logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(max_length=600, help_text="Shown on cards and as the meta description")
    industry = models.ForeignKey(
        "cms.Industry", null=True, blank=True, on_delete=models.SET_NULL, related_name="case_studies"
    )
    company_size_band = models.CharField(max_length=20, choices=COMPANY_SIZE_BANDS, blank=True)
    region = models.CharField(max_length=20, choices=REGIONS, blank=True)
    products_used = ParentalManyToManyField("cms.Product", blank=True, related_name="case_studies")
    topics = ParentalManyToManyField("cms.Topic", blank=True, related_name="case_studies")
    publish_date = models.DateField(default=timezone.localdate)
    challenge = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    solution = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    results = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    key_metrics = StreamField([("metric", MetricBlock())], blank=True, max_num=6)
    quote = models.TextField(blank=True, max_length=600)
    quote_person = models.CharField(max_length=120, blank=True)
    quote_job_title = models.CharField(max_length=120, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("customer_name"),
                FieldPanel("customer_logo"),
                FieldPanel("industry"),
                FieldPanel("company_size_band"),
                FieldPanel("region"),
                FieldPanel("products_used"),
            ],
            heading="Customer",
        ),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("publish_date"),
        FieldPanel("topics"),
        FieldPanel("challenge"),
        FieldPanel("solution"),
        FieldPanel("results"),
        FieldPanel("key_metrics"),
        MultiFieldPanel(
            [FieldPanel("quote"), FieldPanel("quote_person"), FieldPanel("quote_job_title")],
            heading="Customer quote",
        ),
        InlinePanel("related_whitepapers", label="Related whitepapers"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("customer_name"),
        index.SearchField("summary"),
        index.SearchField("challenge"),
        index.SearchField("solution"),
        index.SearchField("results"),
        index.SearchField("quote"),
        index.RelatedFields("industry", [index.SearchField("name")]),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.FilterField("publish_date"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("customer_name"),
        APIField("customer_logo", serializer=ImageField()),
        APIField("cover_image", serializer=ImageField()),
        APIField("summary"),
        APIField("industry", serializer=SnippetListField(many=False)),
        APIField("company_size_band"),
        APIField("region"),
        APIField("products_used", serializer=SnippetListField()),
        APIField("topics", serializer=SnippetListField()),
        APIField("publish_date"),
        APIField("challenge"),
        APIField("solution"),
        APIField("results"),
        APIField("key_metrics"),
        APIField("quote"),
        APIField("quote_person"),
        APIField("quote_job_title"),
        APIField("related_whitepapers", serializer=CaseStudyRelatedWhitepapersField(source="*")),
        APIField("body"),
    ]
    parent_page_types = ["cms.CaseStudyIndexPage"]
    subpage_types = []
    output_cache = True
    template = "pages/case_study_page.html"
    listing_image_field = "cover_image"

    def visitor_tags(self):
        return (tuple(self.topics.values_list("slug", flat=True)), (self.industry.slug,) if self.industry_id else ())

    @cached_property
    def live_related_whitepapers(self):
        """Related whitepapers visitors may see (live, not private), in the editor's order."""
        from cms.selectors import latest_whitepapers

        order = [link.whitepaper_id for link in self.related_whitepapers.all()]
        visible = {page.pk: page for page in latest_whitepapers().filter(pk__in=order)}
        return [visible[pk] for pk in order if pk in visible]

    def card_representation(self):
        return {
            "id": self.pk,
            "type": "case_study",
            "title": self.title,
            "url": self.url,
            "summary": self.summary,
            "customer_name": self.customer_name,
            "industry": self.industry.name if self.industry else None,
            "publish_date": self.publish_date.isoformat() if self.publish_date else None,
            "image": image_representation(self.cover_image),
        }

    def json_ld(self, request):
        return self.article_json_ld(request, about={"@type": "Organization", "name": self.customer_name})


class CaseStudyRelatedWhitepaper(Orderable):
    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="related_whitepapers")
    whitepaper = models.ForeignKey(WhitepaperPage, on_delete=models.CASCADE, related_name="+")

    panels = [PageChooserPanel("whitepaper", page_type="cms.WhitepaperPage")]
