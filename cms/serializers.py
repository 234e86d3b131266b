"""Plain-JSON shapes shared by the content API and StreamField blocks."""

from django.conf import settings

from cms.absolute_urls import absolute_url

# Rendition sizes a front end can rely on. Generated on first request, then stored.
IMAGE_RENDITIONS = {
    "thumbnail": "fill-400x300|format-webp",
    "card": "fill-800x450|format-webp",
    "hero": "fill-1600x700|format-webp",
    "full": "max-1600x1600|format-webp",
}


def image_representation(image, request=None):
    """An image with its alt text and the standard renditions; None for no image. The renditions' URLs are
    absolute (cms.absolute_urls: the request's host in development, WAGTAILADMIN_BASE_URL in production)."""
    if image is None:
        return None
    renditions = image.get_renditions(*IMAGE_RENDITIONS.values())
    return {
        "id": image.pk,
        "title": image.title,
        "alt": image.default_alt_text,
        "width": image.width,
        "height": image.height,
        "renditions": {
            name: {
                "url": absolute_url(renditions[spec].url, request, configured=settings.WAGTAILADMIN_BASE_URL),
                "width": renditions[spec].width,
                "height": renditions[spec].height,
            }
            for name, spec in IMAGE_RENDITIONS.items()
        },
    }
