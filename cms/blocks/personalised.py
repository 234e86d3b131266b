"""Personalised blocks: variants chosen by segment (personalization decides membership), the page
hero that may be one, and BodyBlock, the content blocks plus personalised content."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from .content import ContentBlock, HeroBlock


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
            raise StructBlockValidationError(
                block_errors={
                    "variants": ErrorList(
                        [ValidationError("Each segment can have one variant in a block; merge the duplicates.")]
                    )
                }
            )
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
        context.update(
            variant_content=content,
            variant_segment=chosen["segment"] if chosen else None,
            variant_key=signed_key(key) if key else "",
        )
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
                    {
                        "segment": _segment_representation(variant["segment"]),
                        "content": content_block.get_api_representation(variant["content"], context),
                    }
                    for variant in value.get("variants") or []
                    if variant.get("segment") is not None
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
    default = blocks.StreamBlock(
        [("hero", HeroBlock())], required=False, max_num=1, help_text="Shown to visitors in none of the segments below"
    )
    variants = blocks.ListBlock(
        blocks.StructBlock(
            [("segment", SegmentChooserBlock()), ("content", blocks.StreamBlock([("hero", HeroBlock())], max_num=1))],
            icon="group",
            label="Variant",
        ),
        default=[],
    )


class PersonalisedContentBlock(PersonalisedBlock):
    default = ContentBlock(required=False, help_text="Shown to visitors in none of the segments below")
    variants = blocks.ListBlock(
        blocks.StructBlock(
            [("segment", SegmentChooserBlock()), ("content", ContentBlock())], icon="group", label="Variant"
        ),
        default=[],
    )


class BodyBlock(ContentBlock):
    """What editors can put in any page body: the content blocks, and personalised content."""

    personalised = PersonalisedContentBlock()


# A page's hero: one hero, or a personalised hero with a variant per segment.
HERO_BLOCKS = [("hero", HeroBlock()), ("personalised_hero", PersonalisedHeroBlock())]
