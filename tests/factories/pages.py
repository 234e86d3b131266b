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

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if extracted:
            self.topics.set(extracted)
            self.save()

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if extracted:
            self.industries.set(extracted)
            self.save()

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if extracted:
            self.authors.set(extracted)
            self.save()


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

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if extracted:
            self.topics.set(extracted)
            self.save()

    @factory.post_generation
    def products_used(self, create, extracted, **kwargs):
        if extracted:
            self.products_used.set(extracted)
            self.save()
