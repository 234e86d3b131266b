from django.db import models
from wagtail.models import Page
from wagtail_personalisation.models import PersonalisablePageMixin


class PlainPage(Page):
    """The unpersonalised page: the same template and content, no personalisation."""

    headline = models.CharField(max_length=200, default="Built for teams that measure")
    body = models.TextField(blank=True)
    template = "peerapp/page.html"


class PeerPage(PersonalisablePageMixin, Page):
    """The personalised page: one variant page per segment (wagtail-personalisation's own way)."""

    headline = models.CharField(max_length=200, default="Built for teams that measure")
    body = models.TextField(blank=True)
    template = "peerapp/page.html"
