"""What other blocks are built from: the image chooser whose API value carries its renditions,
links (to one of our pages or an external URL) and the rich-text features every block allows."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock

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
            raise StructBlockValidationError(block_errors={"page": ErrorList([ValidationError(message)])})
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


# Migrations name this block by its public path, cms.blocks.ImageBlock (struct, stream and list blocks
# deconstruct as Wagtail's own and need no alias).
DECONSTRUCT_ALIASES = {ImageBlock: "cms.blocks.ImageBlock"}
