"""The StreamField block library shared by every page type.

Each block renders through a template under site/templates/blocks/ and serialises to plain JSON
in the API: images carry their renditions, page links carry URLs, snippets carry their fields,
so a headless front end never needs a second request to draw a block.

The blocks live in modules by what they are for (base, content, video, personalised, navigation);
every one is re-exported here because page types and migrations name them `cms.blocks.<Name>`.
"""

from .base import RICH_TEXT_FEATURES, ImageBlock, LinkBlock, OptionalLinkBlock
from .content import (
    CallToActionBlock,
    CardBlock,
    CardGridBlock,
    ColumnContentBlock,
    ContentBlock,
    FAQBlock,
    FAQItemBlock,
    HeroBlock,
    ImageWithCaptionBlock,
    LogoBlock,
    LogoCloudBlock,
    MetricBlock,
    MetricsRowBlock,
    QuoteBlock,
    RecommendedContentBlock,
    TwoColumnBlock,
)
from .navigation import FooterColumnBlock, LinkListBlock, SocialLinkBlock
from .personalised import (
    HERO_BLOCKS,
    BodyBlock,
    PersonalisedBlock,
    PersonalisedContentBlock,
    PersonalisedHeroBlock,
    SegmentChooserBlock,
)
from .video import VIDEO_HOSTS, VideoEmbedBlock, video_embed_url

__all__ = [
    "HERO_BLOCKS",
    "RICH_TEXT_FEATURES",
    "VIDEO_HOSTS",
    "BodyBlock",
    "CallToActionBlock",
    "CardBlock",
    "CardGridBlock",
    "ColumnContentBlock",
    "ContentBlock",
    "FAQBlock",
    "FAQItemBlock",
    "FooterColumnBlock",
    "HeroBlock",
    "ImageBlock",
    "ImageWithCaptionBlock",
    "LinkBlock",
    "LinkListBlock",
    "LogoBlock",
    "LogoCloudBlock",
    "MetricBlock",
    "MetricsRowBlock",
    "OptionalLinkBlock",
    "PersonalisedBlock",
    "PersonalisedContentBlock",
    "PersonalisedHeroBlock",
    "QuoteBlock",
    "RecommendedContentBlock",
    "SegmentChooserBlock",
    "SocialLinkBlock",
    "TwoColumnBlock",
    "VideoEmbedBlock",
    "video_embed_url",
]
