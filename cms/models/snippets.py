"""Taxonomies and reusable pieces editors pick from: industries, topics, products, authors, CTAs."""

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index
from wagtail.snippets.models import register_snippet


class TaxonomyTerm(index.Indexed, models.Model):
    """A named term with a URL-safe slug, used as a listing filter (?industry=banking)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def api_representation(self):
        return {"id": self.pk, "name": self.name, "slug": self.slug}


class Industry(TaxonomyTerm):
    class Meta(TaxonomyTerm.Meta):
        verbose_name_plural = "industries"


class Topic(TaxonomyTerm):
    pass


class Product(TaxonomyTerm):
    """One of the company's own products, as named in case studies ("products used")."""


class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=120)
    job_title = models.CharField(max_length=120, blank=True)
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bio = models.TextField(blank=True)

    panels = [FieldPanel("name"), FieldPanel("job_title"), FieldPanel("photo"), FieldPanel("bio")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def api_representation(self):
        return {"id": self.pk, "name": self.name, "job_title": self.job_title}


class CallToAction(index.Indexed, models.Model):
    """A call to action written once and placed on many pages ("Book a demo", "Talk to sales")."""

    title = models.CharField(max_length=120, help_text="Shown as the heading")
    text = models.TextField(blank=True, max_length=400)
    button_label = models.CharField(max_length=60)
    button_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    button_url = models.URLField(blank=True, help_text="Used when no page is chosen")

    panels = [
        FieldPanel("title"),
        FieldPanel("text"),
        MultiFieldPanel(
            [FieldPanel("button_label"), FieldPanel("button_page"), FieldPanel("button_url")],
            heading="Button",
        ),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        verbose_name = "call to action"
        verbose_name_plural = "calls to action"

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if not self.button_page_id and not self.button_url:
            raise ValidationError({"button_url": "Choose a page or enter a URL for the button."})

    @property
    def link_url(self):
        if self.button_page_id:
            return self.button_page.url
        return self.button_url

    def api_representation(self):
        return {
            "id": self.pk,
            "title": self.title,
            "text": self.text,
            "button_label": self.button_label,
            "button_url": self.link_url,
        }


for snippet_model in (Industry, Topic, Product, Author, CallToAction):
    register_snippet(snippet_model)
