"""The whitepaper library: its listing page and the whitepapers (gated PDFs) under it."""

from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.api.fields import ImageField, SnippetListField, WhitepaperDocumentField
from cms.blocks import BodyBlock
from cms.gated_documents import WhitepaperPageForm
from cms.serializers import image_representation

from .pages import BasePage, FilteredListingMixin, serve_with_form_hole


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
    output_cache = True  # the gate form is a hole in the cached page (serve_with_form_hole)
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
        help_text="The PDF. A gated whitepaper's PDF is moved to a private collection when it is published, "
        "so it has no public URL.",
    )
    topics = ParentalManyToManyField("cms.Topic", blank=True, related_name="whitepapers")
    industries = ParentalManyToManyField("cms.Industry", blank=True, related_name="whitepapers")
    publish_date = models.DateField(default=timezone.localdate)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    authors = ParentalManyToManyField("cms.Author", blank=True, related_name="whitepapers")
    gated = models.BooleanField(default=True, help_text="Visitors fill in a form before they get the PDF")
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
    base_form_class = WhitepaperPageForm  # a gated PDF must be one the gate can keep private
    parent_page_types = ["cms.WhitepaperIndexPage"]
    subpage_types = []
    template = "pages/whitepaper_page.html"
    listing_image_field = "cover_image"

    def gated_asset(self):
        """What the gate form unlocks, in the terms the forms app understands."""
        from forms.services.visitor_form import GatedAsset

        return GatedAsset(
            document_id=self.document_id,
            object_id=str(self.pk),
            label=self.title,
            topics=tuple(self.topics.values_list("slug", flat=True)),
        )

    def visitor_tags(self):
        """(topic slugs, industry slugs): what a view of this page tells us about the visitor's interests."""
        return (
            tuple(self.topics.values_list("slug", flat=True)),
            tuple(self.industries.values_list("slug", flat=True)),
        )

    @property
    def live_gate_form(self):
        return self.gate_form if self.gated and self.gate_form_id and self.gate_form.live else None

    def serve(self, request, *args, **kwargs):
        # A gated whitepaper hosts its form: the form posts back here and the PDF link appears in place.
        gate_form = self.live_gate_form
        if gate_form is None:
            return super().serve(request, *args, **kwargs)
        from forms.services.journey import form_serve

        if request.method == "GET" and not request.headers.get("HX-Request"):
            # The whole page comes from the output cache; only the form panel is this visitor's (a hole).
            return serve_with_form_hole(self, request, gate_form, asset=self.gated_asset())
        return form_serve(
            request, host_page=self, form_page=gate_form, template=self.get_template(request), asset=self.gated_asset()
        )

    @property
    def public_document_url(self):
        """Where anyone may download the PDF; None for gated whitepapers (the form hands it out)."""
        if self.gated or not self.document_id:
            return None
        return self.document.url

    def card_representation(self, request=None):
        return {
            "id": self.pk,
            "type": "whitepaper",
            "title": self.title,
            "url": self.url,
            "summary": self.summary,
            "publish_date": self.publish_date.isoformat() if self.publish_date else None,
            "gated": self.gated,
            "image": image_representation(self.cover_image, request),
        }

    def json_ld(self, request):
        return self.article_json_ld(
            request,
            author=[{"@type": "Person", "name": author.name} for author in self.authors.all()],
            about=[topic.name for topic in self.topics.all()],
        )
