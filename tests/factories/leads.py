import factory
from factory.django import DjangoModelFactory

from leads.models import Company, CompanyDomain, Person


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
