import datetime

import factory
import wagtail_factories

from cms.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    HomePage,
    StandardPage,
    WhitepaperIndexPage,
    WhitepaperPage,
)

from .snippets import DocumentFactory, ImageFactory, IndustryFactory


def many_to_many(field_name):
    """A factory argument that sets a ParentalManyToManyField, e.g. topics=[ai, data]."""

    @factory.post_generation
    def set_related(page, create, extracted, **kwargs):
        if extracted:
            getattr(page, field_name).set(extracted)
            page.save()

    return set_related


class HomePageFactory(wagtail_factories.PageFactory):
    title = "Home"
    slug = "home"

    class Meta:
        model = HomePage


class StandardPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Official page {n}")
    intro = "Everything about this part of our platform."

    class Meta:
        model = StandardPage


class WhitepaperIndexPageFactory(wagtail_factories.PageFactory):
    title = "Whitepapers"
    slug = "whitepapers"
    intro = "Research for revenue teams."

    class Meta:
        model = WhitepaperIndexPage


class CaseStudyIndexPageFactory(wagtail_factories.PageFactory):
    title = "Customers"
    slug = "customers"
    intro = "Customer stories."

    class Meta:
        model = CaseStudyIndexPage


class WhitepaperPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Whitepaper {n}")
    summary = "What revenue teams that grow faster do differently."
    cover_image = factory.SubFactory(ImageFactory)
    document = factory.SubFactory(DocumentFactory)
    page_count = 12
    gated = True
    publish_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))

    class Meta:
        model = WhitepaperPage
        skip_postgeneration_save = True

    topics = many_to_many("topics")
    industries = many_to_many("industries")
    authors = many_to_many("authors")


class CaseStudyPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Customer story {n}")
    customer_name = factory.Sequence(lambda n: f"Customer {n}")
    customer_logo = factory.SubFactory(ImageFactory)
    cover_image = factory.SubFactory(ImageFactory)
    summary = "How a customer cut lead response time."
    industry = factory.SubFactory(IndustryFactory)
    company_size_band = "250-999"
    region = "emea"
    challenge = "<p>Leads waited days.</p>"
    solution = "<p>One list for marketing and sales.</p>"
    results = "<p>Response in minutes.</p>"
    quote = "We finally have one list."
    quote_person = "Laura Chen"
    quote_job_title = "Head of Growth"
    publish_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))

    class Meta:
        model = CaseStudyPage
        skip_postgeneration_save = True

    topics = many_to_many("topics")
    products_used = many_to_many("products_used")
