"""`manage.py load_demo`: a believable site, built once, safe to run again."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from cms.demo import content
from cms.demo.event_speakers import SPEAKERS
from cms.demo.events import NOT_EMAILED
from cms.demo.leads import DEMO_LOGINS, PASSWORD, SALES_USERS, STAFF_USERS
from cms.demo.loader import DEMO_USERNAME, DemoLoader
from cms.demo.personalisation import HOME_VARIANTS, PLATFORM_VARIANTS, RECOMMENDED_HEADING, SEGMENTS
from cms.models import (
    CallToAction,
    CaseStudyPage,
    EventIndexPage,
    EventPage,
    HomePage,
    Industry,
    SiteSettings,
    StandardPage,
    Topic,
    WhitepaperPage,
)
from events.models import Event, EventSession, Registration, Speaker
from leads.models import CrmDelivery, Interaction, Lead, Person, SalesRep, ScoringRule, StageTransition
from outbox.models import OutgoingEmail
from outbox.services import outbox_sweep
from personalization import segments
from personalization.models import Segment, SegmentRule
from personalization.services import tracked_link_token

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Page,
            Revision,
            get_image_model(),
            get_document_model(),
            Topic,
            Industry,
            CallToAction,
            get_user_model(),
            Person,
            Lead,
            Interaction,
            StageTransition,
            ScoringRule,
            CrmDelivery,
            Segment,
            SegmentRule,
            Speaker,
            Event,
            EventSession,
            Registration,
            OutgoingEmail,
        )
    }


def test_builds_the_demo_site_and_a_second_run_changes_nothing(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    home = HomePage.objects.get()
    assert home.live and home.get_site().root_page_id == home.pk
    assert StandardPage.objects.live().count() >= 5
    papers = WhitepaperPage.objects.live()
    assert papers.count() >= 8
    for paper in papers:
        with paper.document.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        assert paper.page_count and paper.page_count >= 3
        assert paper.cover_image_id and paper.topics.exists()
    stories = CaseStudyPage.objects.live()
    assert stories.count() >= 8
    assert len({story.industry_id for story in stories}) >= 4
    assert SiteSettings.for_site(home.get_site()).primary_navigation
    assert get_user_model().objects.get(username=DEMO_USERNAME).is_superuser

    # The lead store is populated through the real pipeline.
    assert Person.objects.count() >= 200
    assert SalesRep.objects.count() == len(SALES_USERS)
    assert ScoringRule.objects.filter(kind="fit").exists() and ScoringRule.objects.filter(kind="interest").exists()
    stages = set(Person.objects.values_list("stage", flat=True))
    assert {"lead", "mql", "sql", "opportunity", "customer", "nurture"} <= stages
    assert len(set(Person.objects.values_list("grade", flat=True))) >= 8
    flags = {code for lead in Lead.objects.filter(verdict="flagged") for code in lead.flag_codes}
    assert {
        "test_data",
        "competitor",
        "disposable_email",
        "invalid_email",
        "missing_email",
        "duplicate",
        "invalid_phone",
    } <= flags
    assert not Lead.objects.filter(status="failed").exists()
    assert Person.objects.filter(stage="mql", owner__isnull=False).exists()

    # Segments for the personalised heroes.
    assert set(Segment.objects.values_list("name", flat=True)) == {name for name, *_ in SEGMENTS}
    assert Segment.objects.get(name="Banking industry").match == "any"
    assert [segment.name for segment in Segment.objects.order_by("-priority")][0] == "Known A-grade"

    before = counts()
    edited = StandardPage.objects.get(slug="pricing")
    edited.title = "Pricing (edited by an editor)"
    edited.save_revision().publish()
    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before
    assert StandardPage.objects.get(slug="pricing").title == "Pricing (edited by an editor)"

    # The demo is browsable straight away.
    assert client.get("/").status_code == 200
    assert client.get("/whitepapers/").status_code == 200
    assert client.get(papers.first().url).status_code == 200


def test_one_demo_login_per_role_and_the_reps_own_people_with_a_story(client):
    from io import StringIO

    from sales.access import scope_for, visible_people

    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    User = get_user_model()
    for role, username, sees in DEMO_LOGINS:
        assert f"  {role}: {username} ({sees})" in printed
        user = User.objects.get(username=username)
        assert user.groups.filter(name=role).exists() and user.check_password(PASSWORD), username
    assert f"password '{PASSWORD}'" in printed
    # Progress while it works (a first run takes minutes), then what the demo holds, counted.
    assert "whitepapers (their PDFs are generated)" in printed and "through the real capture pipeline" in printed
    people, papers = Person.objects.count(), WhitepaperPage.objects.live().count()
    assert f"{papers} whitepapers (" in printed and f"lead store: {people:,} people at" in printed
    assert f"{Registration.objects.count():,} registrations" in printed
    for username, *_rest, role in [*SALES_USERS, *STAFF_USERS]:
        assert User.objects.get(username=username).groups.filter(name=role).exists(), username
    assert User.objects.get(username=DEMO_USERNAME).groups.filter(name="Administrator").exists()

    # Every rep in the round-robin owns people, some of them with a timeline of several kinds.
    for username, _first, _last, _team, _territories, weight, _role in SALES_USERS:
        owned = Person.objects.filter(owner__username=username)
        if weight:
            assert owned.filter(stage__in=["mql", "sql", "opportunity", "customer", "nurture"]).exists(), username
            kinds = (
                Interaction.objects.filter(person__owner__username=username)
                .values("person")
                .annotate(kinds=Count("type", distinct=True))
                .order_by("-kinds")
                .first()
            )
            assert kinds["kinds"] >= 3, username
    labelled = Interaction.objects.filter(type__in=["page_view", "email_click", "event_registered"])
    assert not labelled.filter(object_label="").exists()

    # The manager sees Inbound's people, not Enterprise's; a rep only their own, masked.
    nina, jonas, sara = (User.objects.get(username=name) for name in ("nina.berg", "jonas.weber", "sara.keller"))
    assert scope_for(nina).kind == "team" and scope_for(sara).kind == "own"
    assert visible_people(nina).filter(owner=sara).exists() and not visible_people(nina).filter(owner=jonas).exists()
    client.force_login(sara)
    assert client.get("/admin/leads/person/").status_code == 200
    assert sara.has_perm("leads.work_leads") and not sara.has_perm("leads.view_personal_data")

    # Whitepaper downloads are recorded against the whitepaper page, as the real gate does.
    paper = WhitepaperPage.objects.get(slug="state-of-revops-2026")
    assert Lead.objects.filter(origin_type="content", origin_id=str(paper.pk), origin_label=paper.title).exists()


def test_an_old_demo_gets_the_missing_logins_and_nothing_twice():
    from django.contrib.auth.models import Group

    call_command("load_demo", stdout=open("/dev/null", "w"))
    User = get_user_model()
    # The demo as loaded before the roles: four reps in no group, no manager, marketer, editor.
    User.objects.filter(username__in=["nina.berg", "jonas.weber", "mia.marketing", "eli.editor"]).delete()
    for user in User.objects.all():
        user.groups.clear()
    people = Person.objects.count()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert Person.objects.count() == people
    assert User.objects.filter(username__in=["nina.berg", "jonas.weber", "mia.marketing", "eli.editor"]).count() == 4
    assert Group.objects.get(name="Sales rep").user_set.filter(username="sara.keller").exists()
    assert SalesRep.objects.count() == len(SALES_USERS)
    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before


def test_gated_pdfs_have_no_public_url(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    gated = WhitepaperPage.objects.filter(gated=True).first()
    response = client.get(gated.document.url)
    assert response.status_code == 302 and "/login" in response["Location"]
    open_paper = WhitepaperPage.objects.filter(gated=False).first()
    assert client.get(open_paper.document.url).status_code == 200


def test_no_demo_users_where_they_are_disabled(settings):
    settings.DEMO_USER_ENABLED = False
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert not get_user_model().objects.exists()  # neither the admin nor the sales reps


MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def fresh_caches():
    cache.clear()
    segments.segments_changed()


def hero_headline(client, url):
    response = client.get(url)
    assert response.status_code == 200
    match = re.search(r'<h1 class="hero__headline">(.*?)</h1>', response.content.decode(), re.S)
    return html.unescape(match.group(1).strip())


DEFAULT_HEADLINES = {"/": "Turn every buying signal into pipeline", "/platform/": "The revenue intelligence platform"}
VARIANTS = {"/": HOME_VARIANTS, "/platform/": PLATFORM_VARIANTS}


def test_demo_pages_show_a_hero_per_segment_and_recommendations(settings):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    fresh_caches()
    a_grade = Person.objects.filter(grade__in=["A1", "A2"], is_test=False).order_by("pk").first()
    assert a_grade is not None
    known = Client(HTTP_USER_AGENT=DESKTOP_UA)
    known.get(f"/?sp_t={tracked_link_token(a_grade.pk)}")
    reader = Client(HTTP_USER_AGENT=DESKTOP_UA)
    reader.get(CaseStudyPage.objects.get(slug="meridian-bank").url)  # a banking case study
    for url in ("/", "/platform/"):
        variants = VARIANTS[url]
        heroes = {
            "plain client": hero_headline(Client(), url),
            "desktop browser": hero_headline(Client(HTTP_USER_AGENT=DESKTOP_UA), url),
            "campaign": hero_headline(Client(HTTP_USER_AGENT=DESKTOP_UA), f"{url}?utm_campaign=banking-q4"),
            "mobile": hero_headline(Client(HTTP_USER_AGENT=MOBILE_UA), url),
            "known A-grade": hero_headline(known, url),
            "banking reader": hero_headline(reader, url),
        }
        assert heroes == {
            "plain client": DEFAULT_HEADLINES[url],
            "desktop browser": DEFAULT_HEADLINES[url],
            "campaign": variants["Banking campaign"][0],
            "mobile": variants["Mobile visitors"][0],
            "known A-grade": variants["Known A-grade"][0],
            "banking reader": variants["Banking industry"][0],
        }, url
        assert len(set(heroes.values())) == len(heroes) - 1  # only the two default ones are the same
        assert RECOMMENDED_HEADING in Client().get(url).content.decode()

    # A new visit after the visit gap (0 minutes here: every page view starts one) is a returning visitor.
    settings.PERSONALIZATION_VISIT_GAP_MINUTES = 0
    returning = Client(HTTP_USER_AGENT=DESKTOP_UA)
    assert hero_headline(returning, "/") == DEFAULT_HEADLINES["/"]
    assert hero_headline(returning, "/") == HOME_VARIANTS["Returning visitors"][0]


def test_an_old_demo_gets_personalisation_but_an_editors_hero_is_left_alone():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    # The demo as loaded before personalisation existed: plain heroes, no recommendations, no segments.
    loader = DemoLoader()
    loader.images()
    home = HomePage.objects.get()
    home.hero, home.body = loader.home_hero(), loader.home_body()
    home.save_revision().publish()
    platform = StandardPage.objects.get(slug="platform")
    spec = next(spec for spec in content.OFFICIAL_PAGES if spec["slug"] == "platform")
    platform.hero = [("hero", {**loader.official_hero(spec)[0][1], "headline": "Our own platform headline"})]
    platform.body = loader.official_body(spec)
    platform.save_revision().publish()
    Segment.objects.all().delete()

    call_command("load_demo", stdout=open("/dev/null", "w"))
    home = HomePage.objects.get()
    assert [block.block_type for block in home.hero] == ["personalised_hero"]
    assert len(home.hero[0].value["variants"]) == len(SEGMENTS)
    assert [block.block_type for block in home.body].count("recommended") == 1
    platform = StandardPage.objects.get(slug="platform")
    assert [block.value["headline"] for block in platform.hero] == ["Our own platform headline"]  # the editor's
    assert [block.block_type for block in platform.body] == ["rich_text", "recommended", "metrics"]
    fresh_caches()
    assert hero_headline(Client(HTTP_USER_AGENT=MOBILE_UA), "/") == HOME_VARIANTS["Mobile visitors"][0]

    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before


# --- Events ---------------------------------------------------------------------------------------
def test_demo_events_of_every_type_with_pages_speakers_and_registrations_in_every_status(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    now = timezone.now()
    events = list(Event.objects.all())
    upcoming = [event for event in events if event.starts_at > now]
    past = [event for event in events if event.ends_at <= now]
    assert {event.type for event in upcoming} == set(Event.Type.values)
    assert {event.type for event in past} == {Event.Type.WEBINAR, Event.Type.IN_PERSON}
    assert all(
        event.status == Event.Status.FINISHED and event.current_status == Event.Status.FINISHED for event in past
    )
    assert Event.objects.filter(status=Event.Status.CANCELLED).count() == 1
    for event in events:
        assert EventPage.objects.live().get(event=event).get_parent().specific_class is EventIndexPage
        assert event.all_speakers(), event.title
    assert Speaker.objects.count() == len(SPEAKERS)
    assert Speaker.objects.filter(photo__isnull=False).count() == len(SPEAKERS)

    webinar = Event.objects.get(title="Pipeline forecasting with AI")
    assert webinar.type == Event.Type.WEBINAR and "youtube.com" in webinar.online_url
    assert webinar.stream_preview_seconds == 60 and webinar.reminders == "24h, 1h" and webinar.topics.exists()
    assert 12 <= (webinar.starts_at - now).days <= 16
    meetup = Event.objects.get(title="RevOps Meetup Berlin")
    assert meetup.requires_approval and meetup.capacity == 40 and meetup.city == "Berlin" and meetup.address
    assert now < meetup.registration_deadline < meetup.starts_at
    conference = Event.objects.get(type=Event.Type.CONFERENCE)
    assert conference.capacity == 300 and conference.local_start.date() == conference.local_end.date()
    assert [track for track, _ in conference.tracks()] == ["Main stage", "Workshop room"]
    sessions = conference.sessions.all()
    assert all(session.room and session.speakers.exists() for session in sessions)
    assert all(
        conference.starts_at <= session.starts_at < session.ends_at <= conference.ends_at for session in sessions
    )
    past_webinar = next(event for event in past if event.type == Event.Type.WEBINAR)
    assert past_webinar.recording_url

    # Registrations in every status, each where it belongs.
    by_status = {
        status: set(Registration.objects.filter(status=status).values_list("event__title", flat=True))
        for status in Registration.Status.values
    }
    assert all(by_status.values()), by_status
    assert by_status["pending"] == {"RevOps Meetup Berlin"}
    assert by_status["waitlisted"] == {"Lead scoring workshop: build your first model"}
    assert {event.title for event in past} == by_status["attended"] == by_status["no_show"]
    assert all(Registration.objects.filter(status="rejected").values_list("rejection_reason", flat=True))
    workshop = Event.objects.get(title="Lead scoring workshop: build your first model")
    assert workshop.capacity == workshop.seats_taken == 5 and workshop.seats_left == 0
    assert OutgoingEmail.objects.filter(registration__event=workshop, kind="events.promoted").count() == 1
    assert set(Registration.objects.filter(event__status="cancelled").values_list("status", flat=True)) == {"cancelled"}
    assert set(Registration.objects.values_list("source", flat=True)) >= {"web", "sales", "walk_in"}

    # The seat counters are what the services made them: the seated registrations.
    seated = dict(
        Registration.objects.filter(status__in=Registration.SEATED).values_list("event").annotate(n=Count("pk"))
    )
    for event in events:
        assert event.seats_taken == seated.get(event.pk, 0), event.title
        assert event.capacity is None or event.seats_taken <= event.capacity

    # The story's moments are in the past, in order, and attendance is dated at the event.
    for registration in Registration.objects.select_related("event"):
        assert registration.registered_at < now
        assert registration.registered_at <= (registration.decided_at or registration.registered_at)
        if registration.event.is_past and registration.source != "walk_in":
            assert registration.registered_at < registration.event.starts_at
        if registration.checked_in_at:
            assert abs(registration.checked_in_at - registration.event.starts_at).total_seconds() < 3 * 3600

    # Registrants are demo people already in the lead store; their timelines show it.
    emails = set(Registration.objects.values_list("email_key", flat=True))
    assert Person.objects.filter(email_key__in=emails).count() == len(emails)
    attended = Interaction.objects.filter(type="event_attended", object_type="event", object_id=str(past_webinar.pk))
    assert attended.count() == past_webinar.registrations.filter(status="attended").count()
    assert all(abs(i.occurred_at - past_webinar.starts_at).total_seconds() < 3600 for i in attended)
    assert (
        Interaction.objects.filter(type="event_registered", object_type="event", object_id=str(webinar.pk)).count()
        >= 15
    )
    assert Lead.objects.filter(origin_type="event").exists()

    # Every event email is written down, none is sent: demo addresses are fictional.
    assert OutgoingEmail.objects.exists()
    assert set(OutgoingEmail.objects.values_list("status", "last_error").distinct()) == {("skipped", NOT_EMAILED)}
    assert {
        f"events.{kind}"
        for kind in (
            "confirmation",
            "pending",
            "approved",
            "rejected",
            "waitlisted",
            "cancelled",
            "event_cancelled",
            "thank_you",
            "missed_you",
        )
    } <= set(OutgoingEmail.objects.values_list("kind", flat=True))
    assert not OutgoingEmail.objects.exclude(kind__startswith="events.").exists()  # the demo fills in no forms

    # The listing (upcoming and past) and the event pages are browsable.
    index = EventIndexPage.objects.get()
    listing = client.get(index.url)
    assert listing.status_code == 200
    assert webinar.title in listing.content.decode() and past_webinar.title not in listing.content.decode()
    past_listing = client.get(f"{index.url}?when=past")
    assert past_listing.status_code == 200 and past_webinar.title in past_listing.content.decode()
    for event in (webinar, conference, past_webinar, meetup):
        response = client.get(event.landing_page.url)
        assert response.status_code == 200, event.title
    page = client.get(conference.landing_page.url).content.decode()
    assert "Workshop room" in page and "Laura Chen" in page


def test_loading_the_demo_sends_no_event_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))
    assert Registration.objects.count() > 50
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exclude(status="skipped").exists()
    assert outbox_sweep() == 0  # nothing left for the sweep to send later either


def test_an_old_demo_without_events_gets_them_and_a_second_run_changes_nothing():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    titles = set(Event.objects.values_list("title", flat=True))
    # The demo as loaded before events existed: no events, no event pages, no speakers.
    for page in EventPage.objects.all():
        page.delete()
    Event.objects.all().delete()
    Speaker.objects.all().delete()
    people = Person.objects.count()

    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert set(Event.objects.values_list("title", flat=True)) == titles
    assert EventPage.objects.live().count() == len(titles)
    assert set(Registration.objects.values_list("status", flat=True)) == set(Registration.Status.values)
    assert Person.objects.count() == people  # registrants are the demo's people, no new ones

    # An editor's change to a demo event stays; nothing is added twice.
    webinar = Event.objects.get(title="Pipeline forecasting with AI")
    webinar.summary = "Edited by a marketer"
    webinar.save()
    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts() == before
    assert Event.objects.get(pk=webinar.pk).summary == "Edited by a marketer"
