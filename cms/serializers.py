"""Plain-JSON shapes shared by the content API and StreamField blocks."""

# Rendition sizes a front end can rely on. Generated on first request, then stored.
IMAGE_RENDITIONS = {
    "thumbnail": "fill-400x300|format-webp",
    "card": "fill-800x450|format-webp",
    "hero": "fill-1600x700|format-webp",
    "full": "max-1600x1600|format-webp",
}


def image_representation(image):
    """An image with its alt text and the standard renditions; None for no image."""
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
                "url": renditions[spec].full_url,
                "width": renditions[spec].width,
                "height": renditions[spec].height,
            }
            for name, spec in IMAGE_RENDITIONS.items()
        },
    }
