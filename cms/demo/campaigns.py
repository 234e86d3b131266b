"""The demo's campaign email: the kinds of email people choose from, the "Nurture: banking" audience
(a shared saved filter), a newsletter that went out a few days ago with its opens and clicks, and the
December nurture email ready to send, so a marketer sees the whole loop at once.

The newsletter goes through the real pipeline (recipients recorded, links numbered, chunks claimed,
rendered and sent, opens and clicks buffered and written), with the dummy email backend: the demo's
addresses are made up, and loading the demo must not print or send a hundred emails. Loaded once.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from wagtail.models import Site

from campaigns.audience import recipients_record
from campaigns.models import AudienceSource, Campaign, CampaignLink, CampaignSettings, EmailTopic, RecipientActivity
from campaigns.rendering.links import campaign_links_collect
from campaigns.sending import campaign_finish_if_done, chunk_send
from campaigns.sending.throttle import Throttle
from campaigns.suppression import recipient_bounced, recipient_unsubscribe
from campaigns.tracking_buffer import CLICK, OPEN, tracking_record
from campaigns.tracking_writer import tracking_flush
from forms.models import ConsentRecord
from leads.models import Consent, Interaction, Person, PersonTag
from leads.services import people_rescore_all
from leads.services.tags import people_tags_add, tags_resolve
from sales.models import ListName, SavedFilter
from sales.saved_filter_queries import query_canonical

NOWHERE = "django.core.mail.backends.dummy.EmailBackend"  # accepts every message and keeps none
TOPICS = [
    ("Newsletter", "The month's research, stories and events, once a month"),
    ("Events", "Invitations to webinars, meetups and our conference"),
    ("Product news", "What's new in Northwind Signal"),
]
NURTURE_BANKING = "Nurture: banking"
DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
APPLE_PROXY = "Mozilla/5.0"  # Apple Mail Privacy Protection's fetch: a machine open
SENT_DAYS_AGO = 4


def campaigns_demo(report, *, owner_username: str = "mia.marketing"):
    topics = _topics(report)
    settings_row = CampaignSettings.for_site(Site.objects.filter(is_default_site=True).first())
    if not settings_row.postal_address:
        settings_row.postal_address = "Northwind Signal GmbH · Torstraße 109 · 10119 Berlin · Germany"
        settings_row.save()
    owner = get_user_model().objects.filter(username=owner_username).first()
    if owner is None or Campaign.objects.exists():
        return
    _consents(report)
    nurture = _nurture_banking_filter(owner)
    newsletter = _newsletter(owner, topics["Newsletter"])
    if _send(newsletter):
        _opens_and_clicks(newsletter)
        _in_the_past(newsletter, days=SENT_DAYS_AGO)
        report.add(f"campaign {newsletter.name}: sent to {newsletter.recipients.filter(status='sent').count()}")
    december = _december_nurture(owner, topics["Newsletter"], nurture)
    report.add(f"campaign {december.name} (draft, audience {NURTURE_BANKING})")


DOUBLE_OPT_IN_COUNTRIES = {"DE", "AT", "CH"}
CONSENT_TEXT = "Yes, send me research, event invitations and product news by email. I can unsubscribe at any time."


def _consents(report) -> None:
    """Most demo people ticked the newsletter box when they signed up (confirmed by the emailed link
    where their country asks for double opt-in): a ledger row each, as the forms would have written."""
    rng = random.Random(5)
    people = list(
        Person.objects.filter(consent=Consent.UNKNOWN, is_test=False)
        .order_by("pk")
        .values_list("pk", "email", "country")
    )
    chosen = [row for row in people if rng.random() < 0.75]
    if not chosen:
        return
    when = timezone.now() - timedelta(days=60)
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                email=email,
                country=country,
                policy_country=country or "*",
                checkbox_shown=True,
                granted=True,
                text=CONSENT_TEXT,
                version=1,
                form_title="Newsletter sign-up (demo data)",
                channel="web",
                confirmation=(
                    ConsentRecord.Confirmation.DOUBLE_OPT_IN
                    if country in DOUBLE_OPT_IN_COUNTRIES
                    else ConsentRecord.Confirmation.NOT_REQUIRED
                ),
                recorded_at=when,
            )
            for _, email, country in chosen
        ]
    )
    Person.objects.filter(pk__in=[pk for pk, _, _ in chosen]).update(consent=Consent.GRANTED)
    people_rescore_all()  # fit rules may read consent
    report.add(f"{len(chosen)} people consented to marketing email")


def _topics(report) -> dict[str, EmailTopic]:
    topics = {}
    for order, (name, description) in enumerate(TOPICS):
        topic, created = EmailTopic.objects.get_or_create(
            name=name, defaults={"description": description, "sort_order": order}
        )
        topics[name] = topic
        if created:
            report.add(f"email topic {name}")
    return topics


def _nurture_banking_filter(owner) -> SavedFilter:
    pairs = [("industry", "banking"), ("stage", "lead"), ("stage", "nurture")]
    saved, _ = SavedFilter.objects.update_or_create(
        owner=owner,
        list_name=ListName.PEOPLE,
        name=NURTURE_BANKING,
        defaults={"query": query_canonical(ListName.PEOPLE, pairs), "is_shared": True},
    )
    return saved


def _whitepaper_url() -> str:
    from cms.models import WhitepaperPage

    page = WhitepaperPage.objects.live().order_by("-first_published_at").first()
    return page.full_url if page is not None and page.full_url else "https://www.northwind-signal.example/"


def _newsletter(owner, topic) -> Campaign:
    campaign = Campaign.objects.create(
        name="November newsletter",
        topic=topic,
        subject="{{ first_name|Hello }}, November at Northwind Signal: benchmarks, a playbook and two events",
        preheader="The 2026 pipeline benchmark is out",
        from_name="Mia at Northwind Signal",
        content_topics="lead-scoring,revops",
        created_by=owner,
        body=[
            {"type": "heading", "value": {"text": "Hi {{ first_name|there }},", "size": "h1"}},
            {
                "type": "text",
                "value": "<p>Our 2026 pipeline benchmark is out: how 400 B2B revenue teams score, route and "
                "follow up their leads, and what the fastest ones do differently.</p>",
            },
            {"type": "button", "value": {"label": "Read the benchmark", "page": None, "url": _whitepaper_url()}},
            {
                "type": "text",
                "value": "<p>Questions? Just reply: {{ owner_name|our team }} reads every answer.</p>",
            },
        ],
    )
    return campaign


def _send(campaign: Campaign) -> bool:
    """The newsletter list (a tag every demo person got with their sign-up import) through the real sender,
    to nowhere. Who may not get it (no consent, do not contact, test data) is left out as in production."""
    (tag,) = tags_resolve(["Newsletter"])
    people_tags_add(Person.objects.filter(is_test=False), [tag], source=PersonTag.Source.IMPORT, rescore=False)
    AudienceSource.objects.create(campaign=campaign, kind=AudienceSource.Kind.TAG, tag=tag)
    with override_settings(CAMPAIGN_EMAIL_BACKEND=NOWHERE):
        try:
            recipients_record(campaign)
        except ValueError:  # nobody may get it (no consent in this lead store): nothing to show
            return False
        campaign_links_collect(campaign)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING, started_at=timezone.now())
        throttle = Throttle(1_000_000)
        renderers = {}
        while chunk_send(campaign.pk, throttle=throttle, renderers=renderers).worked:
            pass
        campaign_finish_if_done(campaign.pk)
    campaign.refresh_from_db()
    return True


def _opens_and_clicks(campaign: Campaign) -> None:
    """About half open (a fifth of those through Apple's proxy), one in five click the benchmark."""
    rng = random.Random(11)
    button = CampaignLink.objects.filter(campaign=campaign, is_trap=False).order_by("position").first()
    now = timezone.now()
    for recipient in campaign.recipients.filter(status="sent").order_by("pk"):
        if rng.random() < 0.2:
            tracking_record(OPEN, recipient.pk, user_agent=APPLE_PROXY, at=now - timedelta(minutes=50))
        if rng.random() < 0.45:
            tracking_record(OPEN, recipient.pk, user_agent=DESKTOP, at=now - timedelta(minutes=rng.randint(5, 45)))
            if button is not None and rng.random() < 0.4:
                tracking_record(CLICK, recipient.pk, position=button.position, user_agent=DESKTOP, at=now)
    tracking_flush(hold_seconds=0)
    # Two people left: one from everything (one-click, in their mail client), one bounced for good.
    sent = list(campaign.recipients.filter(status="sent").order_by("-pk")[:2])
    if len(sent) == 2:
        recipient_unsubscribe(sent[0], via="one-click")
        recipient_bounced(sent[1], detail="550 5.1.1 The email account that you tried to reach does not exist (demo)")


def _in_the_past(campaign: Campaign, *, days: int) -> None:
    """The newsletter went out a few days ago: its times, its recipients', their activity and timeline."""
    back = timedelta(days=days)
    Campaign.objects.filter(pk=campaign.pk).update(
        send_at=F("send_at") - back, started_at=F("started_at") - back, finished_at=F("finished_at") - back
    )
    recipients = campaign.recipients.all()
    for field in ("sent_at", "opened_at", "machine_opened_at", "clicked_at"):
        recipients.filter(**{f"{field}__isnull": False}).update(**{field: F(field) - back})
    RecipientActivity.objects.filter(recipient__campaign=campaign).update(occurred_at=F("occurred_at") - back)
    Interaction.objects.filter(object_type="email", object_id=str(campaign.pk)).update(
        occurred_at=F("occurred_at") - back
    )


def _december_nurture(owner, topic, nurture: SavedFilter) -> Campaign:
    campaign = Campaign.objects.create(
        name="Nurture: banking, December",
        topic=topic,
        subject="{{ first_name|Hello }}, how banks cut lead response time to minutes",
        preheader="A playbook from Meridian Bank and Granite Bank",
        from_name="Mia at Northwind Signal",
        content_topics="banking,lead-scoring",
        created_by=owner,
        body=[
            {"type": "heading", "value": {"text": "Hi {{ first_name|there }},", "size": "h1"}},
            {
                "type": "text",
                "value": "<p>Banking buyers compare three vendors before they talk to one. The banks in our "
                "customer stories answer a web lead within minutes; here is how.</p>",
            },
            {"type": "button", "value": {"label": "Get the playbook", "page": None, "url": _whitepaper_url()}},
            {"type": "recommended", "value": {"heading": "More for banking teams", "pages": [], "count": 3}},
        ],
    )
    AudienceSource.objects.create(campaign=campaign, kind=AudienceSource.Kind.SAVED_FILTER, saved_filter=nurture)
    return campaign
