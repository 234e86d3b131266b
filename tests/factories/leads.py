import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from leads.models import Company, CompanyDomain, Interaction, Lead, Person, SalesRep


class CompanyFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Company {n}")
    name_key = factory.LazyAttribute(lambda o: o.name.lower())
    industry = "banking"
    employee_band = "250-999"
    country = "DE"

    class Meta:
        model = Company
        skip_postgeneration_save = True

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        for domain in extracted or []:
            CompanyDomain.objects.create(company=self, domain=domain)


class PersonFactory(DjangoModelFactory):
    email = factory.Sequence(lambda n: f"person{n}@company{n}.example.net")
    email_key = factory.LazyAttribute(lambda o: o.email.lower())
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Head of Marketing"
    country = "DE"

    class Meta:
        model = Person


class LeadFactory(DjangoModelFactory):
    """One capture. `origin_type`/`origin_id`/`origin_label` say what it was for (content:42 is a whitepaper)."""

    source = "form"
    origin_type = "content"
    origin_id = "42"
    origin_label = "State of RevOps"
    raw_payload = "{}"
    status = "processed"
    verdict = "clean"
    person = factory.SubFactory(PersonFactory)
    received_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = Lead


class InteractionFactory(DjangoModelFactory):
    type = "page_view"
    occurred_at = factory.LazyFunction(timezone.now)
    person = factory.SubFactory(PersonFactory)

    class Meta:
        model = Interaction


class UserFactory(DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@signalpage.test")
    first_name = factory.LazyAttribute(lambda o: o.username.capitalize())

    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ("username",)


class SalesRepFactory(DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    team = "Inbound"

    class Meta:
        model = SalesRep
