"""Who gets a campaign: each kind of audience source, includes minus excludes, and every reason a person
is left out, counted once, under the first reason that applies (campaigns.audience, campaigns.eligibility)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.audience import AudienceError, audience_summary
from campaigns.models import AudienceSource, CampaignRecipient, CampaignSettings, Suppression, TopicOptOut
from forms.models import ConsentPolicy
from leads.cleaning import email_identity_key
from leads.models import PersonTag, Tag
from sales.models import SavedFilter
from tests.factories import PersonFactory, SegmentFactory
from tests.factories.campaigns import (
    AudienceSourceFactory,
    CampaignFactory,
    CampaignRecipientFactory,
    EmailTopicFactory,
    SuppressionFactory,
)
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.leads import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = AudienceSource.Kind
LeftOut = CampaignRecipient.LeftOut


def person(email=None, **fields):
    """Someone who may get campaign email unless the test says otherwise (consent granted, in Germany)."""
    fields.setdefault("consent", "granted")
    if email is not None:
        fields["email"] = email
        fields.setdefault("email_key", email_identity_key(email))
    return PersonFactory(**fields)


def tag(slug, *people):
    label = Tag.objects.create(name=slug, slug=slug)
    for someone in people:
        PersonTag.objects.create(person=someone, tag=label, added_at=timezone.now())
    return label


def audience(campaign, kind=Kind.TAG, exclude=False, **target):
    return AudienceSourceFactory(campaign=campaign, kind=kind, exclude=exclude, **target)


def eligible_ids(campaign):
    """Who the recorded recipients say gets it (the summary's sample is capped, recording is not)."""
    from campaigns.audience import campaign_audience

    people = campaign_audience(campaign).people().filter(left_out_reason="")
    return set(people.values_list("pk", flat=True))


# --- Sources -------------------------------------------------------------------------------------------


def test_a_tag_audience_is_the_people_with_the_tag():
    ann, bob = person(), person()
    person()  # untagged
    campaign = CampaignFactory()
    audience(campaign, tag=tag("nurture-banking", ann, bob))
    summary = audience_summary(campaign)
    assert (summary.total_in_audience, summary.eligible, summary.left_out) == (2, 2, {})
    assert eligible_ids(campaign) == {ann.pk, bob.pk}
    assert {p.pk for p in summary.sample} == {ann.pk, bob.pk}


def test_a_segment_audience_is_who_its_rules_match_now():
    a1, a2 = person(grade="A1"), person(grade="A1")
    person(grade="C3")
    person(grade="A1", is_test=True)  # segments never match test data (as in the segment editor)
    campaign = CampaignFactory()
    audience(campaign, Kind.SEGMENT, segment=SegmentFactory(rules=[("grade", "is", "A1")]))
    assert eligible_ids(campaign) == {a1.pk, a2.pk}


def test_an_inactive_segment_matches_nobody_and_says_so():
    person(grade="A1")
    campaign = CampaignFactory()
    segment = SegmentFactory(rules=[("grade", "is", "A1")], is_active=False, name="Old <b>banking</b>")
    audience(campaign, Kind.SEGMENT, segment=segment)
    summary = audience_summary(campaign)
    assert summary.total_in_audience == 0
    assert summary.notes == ["The segment “Old <b>banking</b>” is inactive: it matches nobody."]


def test_a_saved_filter_is_the_people_list_as_the_campaigns_creator_sees_it():
    marketer = UserFactory(is_superuser=True)
    rep = UserFactory()
    mine = person(stage="mql", owner=rep)
    other = person(stage="mql")
    person(stage="lead", owner=rep)
    saved = SavedFilter.objects.create(owner=rep, list_name="people", name="MQLs", query="stage=mql", is_shared=True)

    everybody = CampaignFactory(created_by=marketer)
    audience(everybody, Kind.SAVED_FILTER, saved_filter=saved)
    assert eligible_ids(everybody) == {mine.pk, other.pk}

    # A rep without wider rights sees only their own people on the list, so their campaign reaches only those.
    own = CampaignFactory(created_by=rep)
    audience(own, Kind.SAVED_FILTER, saved_filter=saved)
    assert eligible_ids(own) == {mine.pk}


def test_a_saved_filter_with_owner_me_means_the_creator_and_without_creator_its_owner():
    rep, boss = UserFactory(), UserFactory(is_superuser=True)
    reps_person, boss_person = person(owner=rep), person(owner=boss)
    saved = SavedFilter.objects.create(owner=rep, list_name="people", name="Mine", query="owner=me", is_shared=True)
    by_boss = CampaignFactory(created_by=boss)
    audience(by_boss, Kind.SAVED_FILTER, saved_filter=saved)
    assert eligible_ids(by_boss) == {boss_person.pk}
    orphan = CampaignFactory(created_by=None)
    audience(orphan, Kind.SAVED_FILTER, saved_filter=saved)
    assert eligible_ids(orphan) == {reps_person.pk}


def test_a_saved_filter_on_the_leads_list_reaches_the_leads_people():
    boss = UserFactory(is_superuser=True)
    fr = LeadFactory(person=person(), utm_campaign="spring").person
    LeadFactory(person=person(), utm_campaign="autumn")
    saved = SavedFilter.objects.create(owner=boss, list_name="leads", name="Spring", query="utm_campaign=spring")
    campaign = CampaignFactory(created_by=boss)
    audience(campaign, Kind.SAVED_FILTER, saved_filter=saved)
    assert eligible_ids(campaign) == {fr.pk}


def test_event_registrants_are_everyone_not_cancelled_or_rejected_and_attendees_are_the_checked_in():
    event = EventFactory()
    came = person("came@corp.example")
    registered = person("registered@corp.example")
    waiting = person("waiting@corp.example")
    cancelled = person("cancelled@corp.example")
    rejected = person("rejected@corp.example")
    by_lead = person("lead@corp.example")
    RegistrationFactory(event=event, email=came.email, checked_in_at=timezone.now(), status="attended")
    RegistrationFactory(event=event, email=registered.email)
    RegistrationFactory(event=event, email=waiting.email, status="waitlisted")
    RegistrationFactory(event=event, email=cancelled.email, status="cancelled")
    RegistrationFactory(event=event, email=rejected.email, status="rejected")
    # Registered with another address than the person's key: found through the registration's lead.
    RegistrationFactory(event=event, email="other-address@corp.example", lead=LeadFactory(person=by_lead))
    RegistrationFactory(event=EventFactory(), email=person("elsewhere@corp.example").email)

    registrants = CampaignFactory()
    audience(registrants, Kind.EVENT_REGISTERED, event=event)
    assert eligible_ids(registrants) == {came.pk, registered.pk, waiting.pk, by_lead.pk}
    attendees = CampaignFactory()
    audience(attendees, Kind.EVENT_ATTENDED, event=event)
    assert eligible_ids(attendees) == {came.pk}


def test_a_whitepaper_audience_is_its_lead_list_without_flagged_leads(home_page):
    reader, flagged = person(), person()
    LeadFactory(person=reader, origin_type="content", origin_id=str(home_page.pk))
    LeadFactory(person=reader, origin_type="content", origin_id=str(home_page.pk))  # twice: still one person
    LeadFactory(person=flagged, origin_type="content", origin_id=str(home_page.pk), verdict="flagged")
    LeadFactory(person=person(), origin_type="content", origin_id="999999")
    LeadFactory(person=person(), origin_type="event", origin_id=str(home_page.pk))
    campaign = CampaignFactory()
    audience(campaign, Kind.WHITEPAPER, whitepaper=home_page)
    summary = audience_summary(campaign)
    assert (summary.total_in_audience, eligible_ids(campaign)) == (1, {reader.pk})


def test_the_audience_is_the_union_of_includes_minus_the_union_of_excludes():
    a, b, c, d, e = (person() for _ in range(5))
    campaign = CampaignFactory()
    audience(campaign, tag=tag("one", a, b, c))
    audience(campaign, tag=tag("two", c, d, e))
    audience(campaign, exclude=True, tag=tag("customers", b, e))
    audience(campaign, exclude=True, tag=tag("partners", d, person()))  # someone only excluded: not counted
    summary = audience_summary(campaign)
    assert (summary.total_in_audience, summary.eligible) == (5, 2)
    assert summary.left_out == {LeftOut.EXCLUDED: 3}
    assert eligible_ids(campaign) == {a.pk, c.pk}


def test_only_excludes_or_nothing_is_nobody():
    someone = person()
    campaign = CampaignFactory()
    assert audience_summary(campaign).total_in_audience == 0
    audience(campaign, exclude=True, tag=tag("x", someone))
    assert audience_summary(campaign).total_in_audience == 0


@pytest.mark.parametrize("kind, field", [(Kind.TAG, "tag"), (Kind.SEGMENT, "segment"), (Kind.EVENT_ATTENDED, "event")])
def test_a_source_without_its_target_is_an_error_naming_the_field(kind, field):
    campaign = CampaignFactory()
    audience(campaign, tag=tag("fine", person()))
    audience(campaign, kind)
    with pytest.raises(AudienceError) as error:
        audience_summary(campaign)
    assert str(error.value).startswith(f"audience 2, {field}: choose")
    assert isinstance(error.value, ValueError)


# --- Reasons ---------------------------------------------------------------------------------------------


@pytest.fixture
def everyone_left_out(db):
    """One person per reason (and one fine), each also matching every later reason where possible, so a
    person counted twice or under a later reason shows."""
    topic = EmailTopicFactory(name="Newsletter")
    campaign = CampaignFactory(topic=topic)
    now = timezone.now()
    people = {
        "fine": person("fine@corp.example"),
        LeftOut.NO_ADDRESS: person("", email_key="nobody-1", is_test=True, do_not_contact=True),
        LeftOut.TEST_OR_COMPETITOR: person("test@corp.example", is_competitor=True, do_not_contact=True),
        LeftOut.EXCLUDED: person("excluded@corp.example", do_not_contact=True, consent="denied"),
        LeftOut.DO_NOT_CONTACT: person("dnc@corp.example", do_not_contact=True, consent="withdrawn"),
        LeftOut.UNSUBSCRIBED: person("jane+news@corp.example", consent="unknown"),
        LeftOut.SUPPRESSED: person("bounced@corp.example", consent="unknown"),
        LeftOut.NO_CONSENT: person("noconsent@corp.example", consent="unknown"),
        LeftOut.TOPIC: person("topic@corp.example"),
        LeftOut.FATIGUE: person("tired@corp.example"),
    }
    SuppressionFactory(email_key="jane@corp.example", reason=Suppression.Reason.UNSUBSCRIBED)
    SuppressionFactory(email_key="bounced@corp.example", reason=Suppression.Reason.HARD_BOUNCE)
    TopicOptOut.objects.create(person=people[LeftOut.TOPIC], topic=topic)
    TopicOptOut.objects.create(person=people[LeftOut.FATIGUE], topic=EmailTopicFactory(name="Events"))
    for days_ago in range(4):  # the default limit: 4 in 7 days
        sent_at = now - timedelta(days=days_ago)
        CampaignRecipientFactory(campaign=CampaignFactory(), person=people[LeftOut.FATIGUE], sent_at=sent_at)
    audience(campaign, tag=tag("all", *people.values()))
    audience(campaign, exclude=True, tag=tag("out", people[LeftOut.EXCLUDED], people[LeftOut.NO_ADDRESS]))
    return campaign, people


def test_each_person_left_out_is_counted_once_under_the_first_reason(everyone_left_out):
    campaign, people = everyone_left_out
    summary = audience_summary(campaign)
    assert summary.total_in_audience == 10
    assert summary.eligible == 1
    assert summary.left_out == {str(reason): 1 for reason in people if reason != "fine"}
    assert list(summary.left_out) == [
        "no_address",
        "test_or_competitor",
        "excluded",
        "do_not_contact",
        "unsubscribed",
        "suppressed",
        "no_consent",
        "topic",
        "fatigue",
    ]
    assert [p.pk for p in summary.sample] == [people["fine"].pk]


@pytest.mark.parametrize("address", ["not-an-address", "two words@corp.example", "a@b", "@corp.example"])
def test_an_address_no_message_can_go_to_is_no_address(address):
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", person(address, email_key=address)))
    assert audience_summary(campaign).left_out == {LeftOut.NO_ADDRESS: 1}


@pytest.mark.parametrize(
    "person_address, suppressed_key",
    [("jane+news@corp.example", "jane@corp.example"), ("Jane@Corp.Example", "jane@corp.example")],
)
def test_a_suppression_covers_the_address_with_or_without_its_plus_tag(person_address, suppressed_key):
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", person(person_address)))
    SuppressionFactory(email_key=suppressed_key, reason=Suppression.Reason.COMPLAINT)
    assert audience_summary(campaign).left_out == {LeftOut.SUPPRESSED: 1}


@pytest.mark.parametrize("reason", ["hard_bounce", "complaint", "imported", "manual"])
def test_every_suppression_but_unsubscribing_is_suppressed(reason):
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", person("x@corp.example")))
    SuppressionFactory(email_key="x@corp.example", reason=reason)
    assert audience_summary(campaign).left_out == {LeftOut.SUPPRESSED: 1}


def test_consent_follows_the_countrys_policy_with_the_star_fallback():
    ConsentPolicy.objects.filter(country="*").update(opt_in_required=False)  # a notice is enough elsewhere
    ConsentPolicy.objects.update_or_create(country="US", defaults={"opt_in_required": True, "text": "Opt in"})
    cases = {
        ("DE", "granted"): True,  # shipped: opt-in
        ("DE", "unknown"): False,
        ("US", "unknown"): False,  # its own row asks for opt-in
        ("US", "granted"): True,
        ("BR", "unknown"): True,  # no row: "*" says a notice is enough
        ("BR", "denied"): False,
        ("BR", "withdrawn"): False,
        ("", "unknown"): True,  # no country: "*"
    }
    people = {case: person(country=case[0], consent=case[1]) for case in cases}
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", *people.values()))
    ids = eligible_ids(campaign)
    assert {case: people[case].pk in ids for case in cases} == cases


def test_a_notice_country_under_an_opt_in_star_needs_no_opt_in_but_no_refusal():
    ConsentPolicy.objects.update_or_create(country="US", defaults={"opt_in_required": False, "text": "Notice"})
    ok, refused, elsewhere = (
        person(country="US", consent="unknown"),
        person(country="US", consent="denied"),
        person(country="BR", consent="unknown"),
    )
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", ok, refused, elsewhere))
    assert eligible_ids(campaign) == {ok.pk}
    assert audience_summary(campaign).left_out == {LeftOut.NO_CONSENT: 2}


def test_without_any_policy_opt_in_is_asked_everywhere():
    ConsentPolicy.objects.all().delete()
    granted, unknown = person(country="BR"), person(country="BR", consent="unknown")
    campaign = CampaignFactory()
    audience(campaign, tag=tag("t", granted, unknown))
    assert eligible_ids(campaign) == {granted.pk}


def test_fatigue_counts_other_campaigns_sent_within_the_window(home_page):
    from wagtail.models import Site

    settings = CampaignSettings.for_site(Site.objects.get(is_default_site=True))
    settings.fatigue_limit, settings.fatigue_days = 2, 3
    settings.save()
    now = timezone.now()
    campaign, other = CampaignFactory(), CampaignFactory()
    tired, old_news, own, unsent = person(), person(), person(), person()
    for when in (now - timedelta(days=1), now - timedelta(days=2, hours=23)):
        CampaignRecipientFactory(campaign=CampaignFactory(), person=tired, sent_at=when)
    CampaignRecipientFactory(campaign=other, person=old_news, sent_at=now - timedelta(hours=1))
    CampaignRecipientFactory(campaign=CampaignFactory(), person=old_news, sent_at=now - timedelta(days=3, hours=1))
    CampaignRecipientFactory(campaign=campaign, person=own, sent_at=now)  # this campaign's own: never fatigue
    CampaignRecipientFactory(campaign=other, person=own, sent_at=now)
    CampaignRecipientFactory(campaign=CampaignFactory(), person=unsent, sent_at=None)
    CampaignRecipientFactory(campaign=CampaignFactory(), person=unsent, sent_at=None)
    audience(campaign, tag=tag("t", tired, old_news, own, unsent))
    assert audience_summary(campaign).left_out == {LeftOut.FATIGUE: 1}
    assert tired.pk not in eligible_ids(campaign)

    settings.fatigue_limit = 0  # no limit
    settings.save()
    assert audience_summary(campaign).left_out == {}


def test_a_topic_opt_out_counts_only_for_campaigns_of_that_topic():
    newsletter, events = EmailTopicFactory(name="Newsletter"), EmailTopicFactory(name="Events")
    someone = person()
    TopicOptOut.objects.create(person=someone, topic=newsletter)
    label = tag("t", someone)
    for topic, expected in ((newsletter, {LeftOut.TOPIC: 1}), (events, {}), (None, {})):
        campaign = CampaignFactory(topic=topic)
        audience(campaign, tag=label)
        assert audience_summary(campaign).left_out == expected


def test_the_summary_costs_a_few_queries_whatever_the_audience(django_assert_max_num_queries, everyone_left_out):
    campaign, _ = everyone_left_out
    for _ in range(30):
        audience(campaign, tag=Tag.objects.get(slug="all"))  # many sources: still one count query
    with django_assert_max_num_queries(6):  # sources, settings, policies, the count, the sample
        audience_summary(campaign)
