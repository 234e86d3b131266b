"""Reads for the content app: querysets the templates, blocks and API share."""

from django.db.models import Prefetch
from wagtail.images import get_image_model

from cms.models import CaseStudyPage, WhitepaperPage

# Renditions the listing cards use; prefetched so a page of cards costs a fixed number of queries.
CARD_RENDITION = "fill-800x450|format-webp"


def _with_card_image(queryset, image_field):
    renditions = get_image_model().get_rendition_model().objects.all()
    return queryset.select_related(image_field).prefetch_related(
        Prefetch(f"{image_field}__renditions", queryset=renditions)
    )


def latest_whitepapers(*, topic=None, industry=None):
    """Live, public whitepapers, newest first, optionally narrowed to a topic and an industry."""
    queryset = WhitepaperPage.objects.live().public()
    if topic is not None:
        queryset = queryset.filter(topics=topic)
    if industry is not None:
        queryset = queryset.filter(industries=industry)
    queryset = _with_card_image(queryset, "cover_image").prefetch_related("topics", "industries")
    return queryset.order_by("-publish_date", "-pk")


def latest_case_studies(*, topic=None, industry=None):
    """Live, public case studies, newest first, optionally narrowed to a topic and an industry."""
    queryset = CaseStudyPage.objects.live().public()
    if topic is not None:
        queryset = queryset.filter(topics=topic)
    if industry is not None:
        queryset = queryset.filter(industry=industry)
    queryset = _with_card_image(queryset, "cover_image").select_related("industry")
    return queryset.order_by("-publish_date", "-pk")
