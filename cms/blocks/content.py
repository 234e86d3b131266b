"""The StreamField block library shared by every page type.

Each block renders through a template under site/templates/blocks/ and serialises to plain JSON
in the API: images carry their renditions, page links carry URLs, snippets carry their fields,
so a headless front end never needs a second request to draw a block.
"""

from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from cms.serializers import image_representation

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "link", "document-link", "ol", "ul"]


class ImageBlock(ImageChooserBlock):
    """An image chooser whose API value is the image with its renditions, not a bare id."""

    def get_api_representation(self, value, context=None):
        return image_representation(value, (context or {}).get("request"))


class LinkBlock(blocks.StructBlock):
    """A link to one of our pages or to an external URL, with its label."""

    label = blocks.CharBlock(max_length=80)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False, label="External URL")

    class Meta:
        icon = "link"
        template = "blocks/link.html"

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("page")) == bool(value.get("url")):
            message = "Choose a page or enter an external URL (one of them, not both)."
            raise StructBlockValidationError(
                block_errors={"page": ErrorList([ValidationError(message)])}
            )
        return value

    def get_api_representation(self, value, context=None):
        page = value.get("page")
        return {
            "label": value.get("label"),
            "url": page.url if page else value.get("url"),
            "page_id": page.pk if page else None,
        }


class OptionalLinkBlock(LinkBlock):
    """A link that may be left empty altogether (e.g. a hero without a button)."""

    label = blocks.CharBlock(max_length=80, required=False)

    def clean(self, value):
        if not value.get("label") and not value.get("page") and not value.get("url"):
            return blocks.StructBlock.clean(self, value)
        return super().clean(value)

    def get_api_representation(self, value, context=None):
        if not value or not (value.get("page") or value.get("url")):
            return None
        return super().get_api_representation(value, context)


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
    style = blocks.ChoiceBlock(
        choices=[("banner", "Banner"), ("inline", "Inline")], default="banner"
    )

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
        return list(
            selector(topic=value.get("topic"), industry=value.get("industry"))[: value.get("limit") or 3]
        )

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


VIDEO_HOSTS = {"www.youtube.com", "youtube.com", "youtu.be", "vimeo.com", "player.vimeo.com"}


def video_embed_url(url: str) -> str | None:
    """A privacy-friendly player URL for a YouTube or Vimeo link, or None if unsupported."""
    parsed = urlparse(url or "")
    host = (parsed.hostname or "").lower()
    if host in {"youtu.be"}:
        video_id = parsed.path.strip("/")
    elif host in {"www.youtube.com", "youtube.com"}:
        if parsed.path.startswith("/embed/"):
            video_id = parsed.path.split("/")[2]
        else:
            video_id = (parse_qs(parsed.query).get("v") or [""])[0]
    elif host in {"vimeo.com", "player.vimeo.com"}:
        video_id = parsed.path.rstrip("/").split("/")[-1]
        return f"https://player.vimeo.com/video/{video_id}?dnt=1" if video_id.isdigit() else None
    else:
        return None
    if not video_id or not all(c.isalnum() or c in "-_" for c in video_id):
        return None
    return f"https://www.youtube-nocookie.com/embed/{video_id}"


class VideoEmbedBlock(blocks.StructBlock):
    """A YouTube or Vimeo video behind a click-to-play facade.

    Nothing is fetched from the video host until the visitor presses play, so the page makes no
    third-party request (no render-blocking, no tracking cookies) and no oEmbed call at render.
    """

    url = blocks.URLBlock(help_text="A YouTube or Vimeo link")
    title = blocks.CharBlock(max_length=200, help_text="Describes the video for screen readers")
    poster = ImageBlock(required=False)
    caption = blocks.CharBlock(max_length=250, required=False)

    class Meta:
        icon = "media"
        template = "blocks/video_embed.html"

    def clean(self, value):
        value = super().clean(value)
        if not video_embed_url(value.get("url")):
            raise StructBlockValidationError(
                block_errors={"url": ErrorList([ValidationError("Enter a YouTube or Vimeo video link.")])}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["embed_url"] = video_embed_url(value.get("url"))
        return context

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context)
        representation["embed_url"] = video_embed_url(value.get("url"))
        return representation


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
        choices=[("both", "Whitepapers and case studies"), ("whitepapers", "Whitepapers"),
                 ("case_studies", "Case studies")],
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
    rich_text = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, template="blocks/rich_text.html", icon="pilcrow"
    )
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


class SegmentChooserBlock(SnippetChooserBlock):
    def __init__(self, **kwargs):
        super().__init__("personalization.Segment", **kwargs)

    def deconstruct(self):
        return ("cms.blocks.SegmentChooserBlock", (), self._constructor_args[1])


class PersonalisedBlock(blocks.StructBlock):
    """Content that changes with the visitor: variants, each for a segment, and a default.

    The variant shown is the one whose segment the visitor is in with the highest priority
    (personalization decides membership); nobody matching sees the default. The page and the
    content API resolve it the same way, so a headless front end shows what the site shows.
    """

    name = blocks.CharBlock(max_length=80, help_text="Names this block in the variant statistics, e.g. Home hero")

    class Meta:
        icon = "group"
        template = "blocks/personalised.html"

    def clean(self, value):
        value = super().clean(value)
        segments = [variant.get("segment") for variant in value.get("variants") or []]
        ids = [segment.pk for segment in segments if segment is not None]
        if len(ids) != len(set(ids)):
            raise StructBlockValidationError(block_errors={"variants": ErrorList([ValidationError(
                "Each segment can have one variant in a block; merge the duplicates.")])})
        return value

    def resolve(self, value, context):
        """(segment id or None, the content to show, the statistics key) for this request."""
        from personalization.stats import variant_key

        context = context or {}
        request = context.get("request")
        variants = [variant for variant in value.get("variants") or [] if variant.get("segment") is not None]
        chosen = None
        visitor = getattr(request, "personalization", None) if request is not None else None
        if visitor is not None and variants:
            chosen_id = visitor.choose([variant["segment"].pk for variant in variants])
            chosen = next((variant for variant in variants if variant["segment"].pk == chosen_id), None)
        page = context.get("page")
        page_id = page.pk if page is not None else getattr(request, "pz_page_id", 0)
        segment_id = chosen["segment"].pk if chosen else None
        # Statistics are per page: where the page is unknown (an API listing) nothing is counted.
        key = variant_key(page_id, value.get("name") or "", segment_id) if page_id else None
        if visitor is not None:
            visitor.variant_shown(key)
        return chosen, (chosen["content"] if chosen else value.get("default")), key

    def get_context(self, value, parent_context=None):
        from personalization.stats import signed_key

        context = super().get_context(value, parent_context=parent_context)
        chosen, content, key = self.resolve(value, parent_context)
        context.update(variant_content=content, variant_segment=chosen["segment"] if chosen else None,
                       variant_key=signed_key(key) if key else "")
        return context

    def get_api_representation(self, value, context=None):
        from personalization.selectors import wants_all_variants
        from personalization.stats import signed_key

        context = context or {}
        content_block = self.child_blocks["default"]
        if wants_all_variants(context.get("request")):
            return {
                "name": value.get("name"),
                "personalised": True,
                "default": content_block.get_api_representation(value.get("default"), context),
                "variants": [
                    {"segment": _segment_representation(variant["segment"]),
                     "content": content_block.get_api_representation(variant["content"], context)}
                    for variant in value.get("variants") or [] if variant.get("segment") is not None
                ],
            }
        chosen, content, key = self.resolve(value, context)
        return {
            "name": value.get("name"),
            "segment": _segment_representation(chosen["segment"]) if chosen else None,
            "variant_key": signed_key(key) if key else None,
            "content": content_block.get_api_representation(content, context),
        }


def _segment_representation(segment):
    return {"id": segment.pk, "name": segment.name, "priority": segment.priority}


class PersonalisedHeroBlock(PersonalisedBlock):
    default = blocks.StreamBlock([("hero", HeroBlock())], required=False, max_num=1,
                                 help_text="Shown to visitors in none of the segments below")
    variants = blocks.ListBlock(
        blocks.StructBlock([("segment", SegmentChooserBlock()),
                            ("content", blocks.StreamBlock([("hero", HeroBlock())], max_num=1))],
                           icon="group", label="Variant"),
        default=[],
    )


class PersonalisedContentBlock(PersonalisedBlock):
    default = ContentBlock(required=False, help_text="Shown to visitors in none of the segments below")
    variants = blocks.ListBlock(
        blocks.StructBlock([("segment", SegmentChooserBlock()), ("content", ContentBlock())],
                           icon="group", label="Variant"),
        default=[],
    )


class BodyBlock(ContentBlock):
    """What editors can put in any page body: the content blocks, and personalised content."""

    personalised = PersonalisedContentBlock()


# A page's hero: one hero, or a personalised hero with a variant per segment.
HERO_BLOCKS = [("hero", HeroBlock()), ("personalised_hero", PersonalisedHeroBlock())]


class LinkListBlock(blocks.StreamBlock):
    """Navigation: links, each optionally with a dropdown of child links."""

    link = LinkBlock()


class FooterColumnBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=60)
    links = blocks.ListBlock(LinkBlock())

    class Meta:
        icon = "list-ul"


class SocialLinkBlock(blocks.StructBlock):
    network = blocks.ChoiceBlock(
        choices=[
            ("linkedin", "LinkedIn"),
            ("x", "X"),
            ("youtube", "YouTube"),
            ("github", "GitHub"),
            ("mastodon", "Mastodon"),
            ("bluesky", "Bluesky"),
        ]
    )
    url = blocks.URLBlock()

    class Meta:
        icon = "site"
