"""Blocks made for email: what a mail client can show (tables, inline styles, no scripts, no forms).

Each block renders HTML (templates in campaigns/templates/campaigns/blocks/) and its own plain text
(`text()`), so the text part of a message is written, not scraped from the HTML. Rendering happens
per recipient, with a context holding the person (merge fields, the personalised block's segment).
"""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200, help_text="Merge fields allowed, e.g. Hello {{ first_name|there }}")
    size = blocks.ChoiceBlock(choices=[("h1", "Large"), ("h2", "Medium"), ("h3", "Small")], default="h2")

    class Meta:
        icon = "title"
        template = "campaigns/blocks/heading.html"


class TextBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", ["bold", "italic", "link", "ol", "ul"])
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "campaigns/blocks/text.html"


class ButtonBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=80)
    page = blocks.PageChooserBlock(required=False, help_text="A page of ours (gets the campaign's UTM)")
    url = blocks.URLBlock(required=False, help_text="Or any address")

    class Meta:
        icon = "link"
        template = "campaigns/blocks/button.html"


class EmailImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(max_length=200, help_text="Said instead of the picture when images are blocked")
    link = blocks.URLBlock(required=False)

    class Meta:
        icon = "image"
        template = "campaigns/blocks/image.html"


class ColumnBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()


class TwoColumnsBlock(blocks.StructBlock):
    left = ColumnBlock()
    right = ColumnBlock()

    class Meta:
        icon = "table"
        template = "campaigns/blocks/two_columns.html"


class RecommendedContentBlock(blocks.StructBlock):
    """Pages picked for the recipient: the ones given first, then the newest on the topics they read
    that they have not opened yet."""

    heading = blocks.CharBlock(max_length=120, default="Recommended for you")
    pages = blocks.ListBlock(blocks.PageChooserBlock(), required=False, help_text="Always shown, in this order")
    count = blocks.IntegerBlock(default=3, min_value=1, max_value=6)

    class Meta:
        icon = "list-ul"
        template = "campaigns/blocks/recommended.html"


class VariantContentBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()


class SegmentVariantBlock(blocks.StructBlock):
    segment = SnippetChooserBlock("personalization.Segment")
    content = VariantContentBlock()


class PersonalisedBlock(blocks.StructBlock):
    """The first variant whose segment the recipient is in (by the segments' priority), else the default."""

    variants = blocks.ListBlock(SegmentVariantBlock())
    default = VariantContentBlock(required=False, help_text="For everybody in none of the segments")

    class Meta:
        icon = "group"
        template = "campaigns/blocks/personalised.html"


class EmailBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    button = ButtonBlock()
    image = EmailImageBlock()
    two_columns = TwoColumnsBlock()
    personalised = PersonalisedBlock()
    recommended = RecommendedContentBlock()
