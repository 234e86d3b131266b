"""Blocks made for email: what a mail client can show (tables, inline styles, no scripts, no forms).

Each block renders HTML (templates in campaigns/templates/campaigns/blocks/) and its own plain text
(`text()`), so the text part of a message is written, not scraped from the HTML. Links in the text
are marked (`text_link`) so rendering gives them the same UTM and click tracking as the HTML's.
Rendering (campaigns.rendering) renders each block once per campaign and variant set, then fills in
merge fields and links per recipient; the personalised block's choice and the recommended pages
reach the templates through the context (`chosen`, `items`).
"""

from django.utils.html import strip_tags
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

# A link in a block's text: rendering replaces the marked URL with the one the recipient gets.
LINK_OPEN, LINK_CLOSE = "\x02", "\x03"


def text_link(url: str) -> str:
    return f"{LINK_OPEN}{url}{LINK_CLOSE}" if url else ""


def page_url(page) -> str:
    """A chosen page's address, absolute (mail has no "current site"); "" for a page with none."""
    from campaigns.rendering.links import absolute

    if page is None or not page.live:
        return ""
    url = page.get_url()
    if not url:
        return ""
    return absolute(url) if url.startswith("/") else url


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200, help_text="Merge fields allowed, e.g. Hello {{ first_name|there }}")
    size = blocks.ChoiceBlock(choices=[("h1", "Large"), ("h2", "Medium"), ("h3", "Small")], default="h2")

    class Meta:
        icon = "title"
        template = "campaigns/blocks/heading.html"

    def text_of(self, value) -> str:
        return value.get("text", "")


class TextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", ["bold", "italic", "link", "ol", "ul"])
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "campaigns/blocks/text.html"

    def text_of(self, value) -> str:
        from campaigns.rendering.text import html_to_text

        return html_to_text(value.__html__() if value is not None else "")


class ButtonBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=80)
    page = blocks.PageChooserBlock(required=False, help_text="A page of ours (gets the campaign's UTM)")
    url = blocks.URLBlock(required=False, help_text="Or any address")

    class Meta:
        icon = "link"
        template = "campaigns/blocks/button.html"

    @staticmethod
    def href(value) -> str:
        return page_url(value.get("page")) or value.get("url") or ""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["href"] = self.href(value)
        return context

    def text_of(self, value) -> str:
        href = self.href(value)
        return f"{value.get('label', '')}: {text_link(href)}" if href else value.get("label", "")


class EmailImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(max_length=200, help_text="Said instead of the picture when images are blocked")
    link = blocks.URLBlock(required=False)

    class Meta:
        icon = "image"
        template = "campaigns/blocks/image.html"

    def text_of(self, value) -> str:
        alt = value.get("alt", "")
        return f"[{alt}] {text_link(value.get('link'))}".strip() if alt or value.get("link") else ""


def stream_text(stream) -> str:
    """The plain text of a stream of blocks (a column, a variant), one paragraph each."""
    parts = [child.block.text_of(child.value) for child in stream or [] if hasattr(child.block, "text_of")]
    return "\n\n".join(part for part in parts if part)


class ColumnBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()


class TwoColumnsBlock(blocks.StructBlock):
    """Side by side on a wide screen, one under the other on a phone."""

    left = ColumnBlock()
    right = ColumnBlock()

    class Meta:
        icon = "table"
        template = "campaigns/blocks/two_columns.html"

    def text_of(self, value) -> str:
        return "\n\n".join(part for part in (stream_text(value.get("left")), stream_text(value.get("right"))) if part)


class RecommendedContentBlock(blocks.StructBlock):
    """Pages picked for the recipient: the ones given first, then the newest they have not opened yet."""

    heading = blocks.CharBlock(max_length=120, default="Recommended for you")
    pages = blocks.ListBlock(blocks.PageChooserBlock(), required=False, help_text="Always shown, in this order")
    count = blocks.IntegerBlock(default=3, min_value=1, max_value=6)

    class Meta:
        icon = "list-ul"
        template = "campaigns/blocks/recommended.html"

    def text_for(self, value, items) -> str:
        """`items`: the recipient's pages as (title, url) (rendering.recommended picks them)."""
        lines = [value.get("heading", "")] + [f"- {strip_tags(title)}: {text_link(url)}" for title, url in items]
        return "\n".join(line for line in lines if line)


class VariantContentBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()


class SegmentVariantBlock(blocks.StructBlock):
    segment = SnippetChooserBlock("personalization.Segment")
    content = VariantContentBlock()


class PersonalisedBlock(blocks.StructBlock):
    """The variant of the recipient's segment (the highest-priority segment they are in), else the default."""

    variants = blocks.ListBlock(SegmentVariantBlock())
    default = VariantContentBlock(required=False, help_text="For everybody in none of the segments")

    class Meta:
        icon = "group"
        template = "campaigns/blocks/personalised.html"

    @staticmethod
    def content_for(value, choice: int):
        """The stream shown for a choice: a variant's number (0, 1, ...) or -1 for the default."""
        variants = list(value.get("variants") or [])
        if 0 <= choice < len(variants):
            return variants[choice].get("content") or []
        return value.get("default") or []


class EmailBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()
    two_columns = TwoColumnsBlock()
    personalised = PersonalisedBlock()
    recommended = RecommendedContentBlock()
