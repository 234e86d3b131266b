"""Videos from YouTube or Vimeo behind a click-to-play facade, and the embed URL rule they use."""

from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from .base import ImageBlock

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
