import factory

from campaigns.models import AudienceSource, Campaign, CampaignRecipient, EmailTopic, Suppression


class EmailTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTopic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Newsletter {n}")
    description = "Our monthly round-up"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Nurture campaign {n}")
    subject = "Hello {{ first_name|there }}, five ideas for your data team"
    body = factory.LazyFunction(
        lambda: [
            {"type": "heading", "value": {"text": "Hi {{ first_name|there }}", "size": "h1"}},
            {"type": "text", "value": "<p>Our new whitepaper is out.</p>"},
            {"type": "button", "value": {"label": "Read it", "page": None, "url": "https://example.com/report/"}},
        ]
    )


class AudienceSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceSource

    campaign = factory.SubFactory(CampaignFactory)
    kind = AudienceSource.Kind.TAG


class CampaignRecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignRecipient

    campaign = factory.SubFactory(CampaignFactory)
    person = factory.SubFactory("tests.factories.leads.PersonFactory")
    email = factory.LazyAttribute(lambda recipient: recipient.person.email if recipient.person else "")


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    email_key = factory.Sequence(lambda n: f"suppressed{n}@example.com")
    reason = Suppression.Reason.UNSUBSCRIBED
