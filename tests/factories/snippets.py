import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from cms.models import Author, CallToAction, Industry, Product, Topic


class IndustryFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Industry {n}")
    slug = factory.Sequence(lambda n: f"industry-{n}")

    class Meta:
        model = Industry
        django_get_or_create = ("slug",)


class TopicFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")

    class Meta:
        model = Topic
        django_get_or_create = ("slug",)


class ProductFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")

    class Meta:
        model = Product
        django_get_or_create = ("slug",)


class AuthorFactory(DjangoModelFactory):
    name = factory.Faker("name")
    job_title = factory.Faker("job")

    class Meta:
        model = Author


class CallToActionFactory(DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Book a demo {n}")
    text = "A 30-minute walkthrough on your own data."
    button_label = "Book a demo"
    button_url = "https://example.com/demo"

    class Meta:
        model = CallToAction


class ImageFactory(wagtail_factories.ImageFactory):
    title = factory.Sequence(lambda n: f"Image {n}")
    description = factory.LazyAttribute(lambda o: f"Alt text for {o.title}")


class DocumentFactory(wagtail_factories.DocumentFactory):
    title = factory.Sequence(lambda n: f"Document {n}")
    file = factory.django.FileField(filename="whitepaper.pdf", data=b"%PDF-1.4\n%test\n")
