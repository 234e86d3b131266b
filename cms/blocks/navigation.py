"""Blocks of the site settings: navigation links, footer columns, social links."""

from wagtail import blocks

from .base import LinkBlock


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
