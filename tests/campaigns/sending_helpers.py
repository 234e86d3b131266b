"""What the sending tests share: people who may get campaign email, a campaign with a tag audience, the
campaign's SMTP settings pointed at the loopback server (counting its connections), a queue that keeps
tasks instead of running them, and a throttle that never sleeps."""

import pytest
from django.utils import timezone

from campaigns.models import AudienceSource, CampaignRecipient
from campaigns.sending.throttle import Throttle
from leads.cleaning import email_identity_key
from leads.models import PersonTag, Tag
from tests.factories import PersonFactory
from tests.factories.campaigns import AudienceSourceFactory, CampaignFactory

FROM = "Signal news <news@signal-news.example>"


def person(email=None, **fields):
    fields.setdefault("consent", "granted")
    if email is not None:
        fields["email"] = email
        fields.setdefault("email_key", email_identity_key(email))
    return PersonFactory(**fields)


def campaign_to(people, **fields):
    """A draft campaign whose audience is exactly `people` (a tag)."""
    campaign = CampaignFactory(**fields)
    label = Tag.objects.create(name=f"audience-{campaign.pk}", slug=f"audience-{campaign.pk}")
    for someone in people:
        PersonTag.objects.create(person=someone, tag=label, added_at=timezone.now())
    AudienceSourceFactory(campaign=campaign, kind=AudienceSource.Kind.TAG, tag=label)
    return campaign


def rows(campaign, **filters):
    return CampaignRecipient.objects.filter(campaign=campaign, **filters)


class FakeClock:
    """A clock that moves only when the throttle sleeps."""

    def __init__(self, start=1_000_000.25):
        self.now = start
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def never_sleeping_throttle(per_minute=1_000_000):
    clock = FakeClock()
    return Throttle(per_minute, clock=clock.time, sleep=clock.sleep, key=f"test-{id(clock)}")


@pytest.fixture
def smtp(mail_server, settings):
    """Campaign email through the loopback SMTP server; mail_server.connections counts connections."""
    settings.CAMPAIGN_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.CAMPAIGN_FROM_EMAIL = FROM
    settings.DEFAULT_FROM_EMAIL = "Transactional <noreply@transactional.example>"
    settings.SITE_BASE_URL = "https://www.signal.example"
    settings.CAMPAIGN_UNSUBSCRIBE_MAILTO = "unsubscribe@signal-news.example"
    settings.CAMPAIGN_SEND_CHUNK = 100
    mail_server.connections = 0

    async def handle_EHLO(server, session, envelope, hostname, responses):
        mail_server.connections += 1
        session.host_name = hostname
        return responses

    mail_server.handle_EHLO = handle_EHLO
    return mail_server


@pytest.fixture
def held_tasks(settings):
    """The background queue keeps tasks (django-tasks' dummy backend): the test runs each step itself."""
    from django_tasks import task_backends

    settings.TASKS = {**settings.TASKS, "background": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["background"]


@pytest.fixture(autouse=False)
def suppression_module(monkeypatch):
    """campaigns.suppression (helper C's) or, until it lands, a minimal stand-in writing the row."""
    import importlib
    import sys
    import types

    try:
        return importlib.import_module("campaigns.suppression")
    except ModuleNotFoundError:
        from campaigns.models import Suppression

        def suppress(email, reason, *, detail="", campaign=None):
            _, created = Suppression.objects.get_or_create(
                email_key=email_identity_key(email), defaults={"reason": reason, "detail": detail, "campaign": campaign}
            )
            return created

        stand_in = types.ModuleType("campaigns.suppression")
        stand_in.suppress = suppress
        monkeypatch.setitem(sys.modules, "campaigns.suppression", stand_in)
        return stand_in
