"""The content blocks a page body is made of: heroes, calls to action, card grids, quotes,
metrics, logos, images, FAQs, two columns, recommended content, and ContentBlock, the stream of them."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from .base import RICH_TEXT_FEATURES, ImageBlock, OptionalLinkBlock
from .video import VideoEmbedBlock


class HeroBlock(blocks.StructBlock):
    headline = blocks.CharBlock(max_length=120)
    subhead = blocks.TextBlock(required=False, max_length=300)
    image = ImageBlock(required=False)
    call_to_action = OptionalLinkBlock(required=False)

    class Meta:
        icon = "image"
        template = "blocks/hero.html"


class CallToActionBlock(blocks.StructBlock):
    """A reusable call to action, chosen from the CallToAction snippets."""

    call_to_action = SnippetChooserBlock("cms.CallToAction")
    style = blocks.ChoiceBlock(choices=[("banner", "Banner"), ("inline", "Inline")], default="banner")

    class Meta:
        icon = "pick"
        template = "blocks/call_to_action.html"

    def get_api_representation(self, value, context=None):
        cta = value.get("call_to_action")
        return {"style": value.get("style"), "call_to_action": cta.api_representation() if cta else None}


class CardBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False, max_length=400)
    image = ImageBlock(required=False)
    link = OptionalLinkBlock(required=False)

    class Meta:
        icon = "form"


class CardGridBlock(blocks.StructBlock):
    """Cards chosen by hand, or filled automatically with the latest whitepapers or case studies."""

    heading = blocks.CharBlock(max_length=120, required=False)
    source = blocks.ChoiceBlock(
        choices=[
            ("manual", "Cards entered below"),
            ("whitepapers", "Latest whitepapers"),
            ("case_studies", "Latest case studies"),
        ],
        default="manual",
    )
    topic = SnippetChooserBlock("cms.Topic", required=False, help_text="Automatic cards only")
    industry = SnippetChooserBlock("cms.Industry", required=False, help_text="Automatic cards only")
    limit = blocks.IntegerBlock(default=3, min_value=1, max_value=12)
    cards = blocks.ListBlock(CardBlock(), required=False, default=[])

    class Meta:
        icon = "table"
        template = "blocks/card_grid.html"

    def clean(self, value):
        value = super().clean(value)
        if value.get("source") == "manual" and not value.get("cards"):
            raise StructBlockValidationError(
                block_errors={"cards": ErrorList([ValidationError("Add at least one card.")])}
            )
        return value

    def automatic_items(self, value):
        """The pages an automatic grid shows; empty for a manual grid."""
        from cms.selectors import latest_case_studies, latest_whitepapers

        source = value.get("source")
        if source == "whitepapers":
            selector = latest_whitepapers
        elif source == "case_studies":
            selector = latest_case_studies
        else:
            return []
        return list(selector(topic=value.get("topic"), industry=value.get("industry"))[: value.get("limit") or 3])

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["items"] = self.automatic_items(value)
        return context

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        for key in ("topic", "industry"):
            snippet = value.get(key)
            representation[key] = {"id": snippet.pk, "name": snippet.name, "slug": snippet.slug} if snippet else None
        request = (context or {}).get("request")
        representation["items"] = [page.card_representation(request) for page in self.automatic_items(value)]
        return representation


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=600)
    person = blocks.CharBlock(max_length=120, required=False)
    job_title = blocks.CharBlock(max_length=120, required=False)
    company = blocks.CharBlock(max_length=120, required=False)
    photo = ImageBlock(required=False)

    class Meta:
        icon = "openquote"
        template = "blocks/quote.html"


class MetricBlock(blocks.StructBlock):
    value = blocks.CharBlock(max_length=20, help_text="e.g. 42%, 3x, $1.2M")
    label = blocks.CharBlock(max_length=120)

    class Meta:
        icon = "order"
        template = "blocks/metric.html"


class MetricsRowBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, required=False)
    metrics = blocks.ListBlock(MetricBlock(), min_num=1, max_num=6)

    class Meta:
        icon = "order"
        template = "blocks/metrics_row.html"


class LogoBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=120)
    logo = ImageBlock()
    url = blocks.URLBlock(required=False)


class LogoCloudBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, required=False)
    logos = blocks.ListBlock(LogoBlock(), min_num=1)

    class Meta:
        icon = "group"
        template = "blocks/logo_cloud.html"


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageBlock()
    alt_text = blocks.CharBlock(
        max_length=250, required=False, help_text="Overrides the image's own description for this use"
    )
    caption = blocks.CharBlock(max_length=250, required=False)

    class Meta:
        icon = "image"
        template = "blocks/image_with_caption.html"


class FAQItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=250)
    answer = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)


class FAQBlock(blocks.StructBlock):
    """Questions and answers, rendered as an accessible disclosure list with FAQPage JSON-LD."""

    heading = blocks.CharBlock(max_length=120, required=False, default="Frequently asked questions")
    items = blocks.ListBlock(FAQItemBlock(), min_num=1)

    class Meta:
        icon = "help"
        template = "blocks/faq.html"


class ColumnContentBlock(blocks.StreamBlock):
    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="blocks/rich_text.html")
    image = ImageWithCaptionBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    metrics = MetricsRowBlock()


class TwoColumnBlock(blocks.StructBlock):
    left = ColumnContentBlock()
    right = ColumnContentBlock()

    class Meta:
        icon = "doc-full"
        template = "blocks/two_columns.html"


class RecommendedContentBlock(blocks.StructBlock):
    """Whitepapers and case studies chosen for this visitor: their industry and the topics they
    read about, never what they already downloaded; the latest ones for a visitor we know nothing of."""

    heading = blocks.CharBlock(max_length=120, required=False, default="Recommended for you")
    source = blocks.ChoiceBlock(
        choices=[
            ("both", "Whitepapers and case studies"),
            ("whitepapers", "Whitepapers"),
            ("case_studies", "Case studies"),
        ],
        default="both",
    )
    limit = blocks.IntegerBlock(default=3, min_value=1, max_value=12)

    class Meta:
        icon = "pick"
        template = "blocks/recommended_content.html"

    def recommended(self, value, context):
        from cms.page_cache import recommended_content

        request = (context or {}).get("request")
        return recommended_content(request, source=value.get("source") or "both", limit=value.get("limit") or 3)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["items"] = self.recommended(value, parent_context)
        return context

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        request = (context or {}).get("request")
        representation["items"] = [page.card_representation(request) for page in self.recommended(value, context)]
        return representation


class ContentBlock(blocks.StreamBlock):
    """The blocks a body, and each variant of a personalised body block, is made of."""

    hero = HeroBlock()
    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="blocks/rich_text.html", icon="pilcrow")
    call_to_action = CallToActionBlock()
    card_grid = CardGridBlock()
    recommended = RecommendedContentBlock()
    quote = QuoteBlock()
    metrics = MetricsRowBlock()
    logo_cloud = LogoCloudBlock()
    image = ImageWithCaptionBlock()
    video = VideoEmbedBlock()
    faq = FAQBlock()
    two_columns = TwoColumnBlock()
