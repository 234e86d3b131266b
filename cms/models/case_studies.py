"""Customer stories: their listing page, the case studies and the whitepapers each one recommends."""

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.api.fields import CaseStudyRelatedWhitepapersField, ImageField, SnippetListField
from cms.blocks import RICH_TEXT_FEATURES, BodyBlock, MetricBlock
from cms.serializers import image_representation

from .pages import BasePage, FilteredListingMixin
from .whitepapers import WhitepaperPage

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

    def card_representation(self, request=None):
        return {
            "id": self.pk,
            "type": "case_study",
            "title": self.title,
            "url": self.url,
            "summary": self.summary,
            "customer_name": self.customer_name,
            "industry": self.industry.name if self.industry else None,
            "publish_date": self.publish_date.isoformat() if self.publish_date else None,
            "image": image_representation(self.cover_image, request),
        }

    def json_ld(self, request):
        return self.article_json_ld(request, about={"@type": "Organization", "name": self.customer_name})


class CaseStudyRelatedWhitepaper(Orderable):
    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="related_whitepapers")
    whitepaper = models.ForeignKey(WhitepaperPage, on_delete=models.CASCADE, related_name="+")

    panels = [PageChooserPanel("whitepaper", page_type="cms.WhitepaperPage")]
