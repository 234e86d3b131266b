"""Recording a campaign's recipients before sending: pending rows for the eligible, left-out rows with the
reason, once per person whatever happens, the A/B sample, and the refusal of an empty audience."""

import pytest
from django.utils import timezone

from campaigns.audience import recipients_record, sample_size
from campaigns.models import AudienceSource, Campaign, CampaignRecipient, SubjectVariant, Suppression
from leads.models import PersonTag, Tag
from tests.factories import PersonFactory
from tests.factories.campaigns import AudienceSourceFactory, CampaignFactory, SuppressionFactory

pytestmark = pytest.mark.django_db
Status = CampaignRecipient.Status


def people(count, **fields):
    fields.setdefault("consent", "granted")
    return [PersonFactory(**fields) for _ in range(count)]


def tagged_campaign(members, slug="nurture", **campaign_fields):
    label = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})[0]
    now = timezone.now()
    PersonTag.objects.bulk_create([PersonTag(person=p, tag=label, added_at=now) for p in members])
    campaign = CampaignFactory(**campaign_fields)
    AudienceSourceFactory(campaign=campaign, kind=AudienceSource.Kind.TAG, tag=label)
    return campaign


def rows(campaign):
    return {row.person_id: row for row in CampaignRecipient.objects.filter(campaign=campaign).order_by("person_id")}


def test_recording_writes_the_eligible_as_pending_and_the_others_with_their_reason():
    fine = people(3)
    unknown = people(1, consent="unknown")[0]
    bounced = PersonFactory(consent="granted", email="bounced@corp.example", email_key="bounced@corp.example")
    SuppressionFactory(email_key="bounced@corp.example", reason=Suppression.Reason.HARD_BOUNCE)
    campaign = tagged_campaign([*fine, unknown, bounced])

    result = recipients_record(campaign)

    assert result == {"recipients": 3, "left_out": {"suppressed": 1, "no_consent": 1}, "added": 5, "in_test": 0}
    recorded = rows(campaign)
    assert {pk: (r.status, r.left_out_reason) for pk, r in recorded.items()} == {
        **{p.pk: (Status.PENDING, "") for p in fine},
        unknown.pk: (Status.LEFT_OUT, "no_consent"),
        bounced.pk: (Status.LEFT_OUT, "suppressed"),
    }
    assert all(recorded[p.pk].email == p.email for p in fine)
    assert all(r.variant is None and not r.in_test and r.sent_at is None for r in recorded.values())
    campaign.refresh_from_db()
    assert (campaign.recipients_total, campaign.left_out) == (3, {"suppressed": 1, "no_consent": 1})


def test_recording_twice_adds_nobody_twice_and_only_newcomers():
    first = people(4)
    campaign = tagged_campaign(first)
    recipients_record(campaign)
    again = recipients_record(campaign)
    assert again["added"] == 0
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 4

    newcomer = people(1)[0]
    PersonTag.objects.create(person=newcomer, tag=Tag.objects.get(slug="nurture"), added_at=timezone.now())
    first[0].consent = "withdrawn"  # recorded already: their row stays as it was
    first[0].save()
    third = recipients_record(campaign)
    assert (third["added"], third["recipients"]) == (1, 5)
    assert rows(campaign)[first[0].pk].status == Status.PENDING
    assert CampaignRecipient.objects.filter(campaign=campaign).values("person").distinct().count() == 5


def test_an_address_changed_after_recording_is_not_what_was_recorded():
    someone = people(1)[0]
    campaign = tagged_campaign([someone])
    recipients_record(campaign)
    address = someone.email
    someone.email = "new@corp.example"
    someone.save()
    assert rows(campaign)[someone.pk].email == address


def test_an_empty_audience_is_refused_and_leaves_nothing_behind():
    campaign = tagged_campaign(people(2, consent="denied"))
    with pytest.raises(ValueError, match="audience") as error:
        recipients_record(campaign)
    assert "no_consent: 2" in str(error.value)
    assert not CampaignRecipient.objects.filter(campaign=campaign).exists()
    campaign.refresh_from_db()
    assert campaign.recipients_total == 0

    nobody = CampaignFactory()
    with pytest.raises(ValueError, match="^audience"):
        recipients_record(nobody)


@pytest.mark.parametrize(
    "eligible, percent, variants, expected",
    [
        (100, 20, 1, 20),
        (101, 20, 2, 20),
        (103, 20, 2, 21),
        (10, 0, 2, 3),
        (2, 20, 3, 2),
        (50, 100, 1, 50),
        (7, 150, 1, 7),
    ],
)
def test_the_ab_sample_is_the_percentage_with_at_least_one_per_subject(eligible, percent, variants, expected):
    assert sample_size(eligible, percent, variants + 1) == expected


def test_ab_recipients_get_the_variants_spread_evenly_and_the_rest_wait():
    members = people(61)
    campaign = tagged_campaign(members, ab_sample_percent=25)
    SubjectVariant.objects.create(campaign=campaign, subject="B: five ideas", sort_order=0)
    SubjectVariant.objects.create(campaign=campaign, subject="C: a question", sort_order=1)

    result = recipients_record(campaign)

    assert result["in_test"] == 15  # 25% of 61, rounded
    recorded = CampaignRecipient.objects.filter(campaign=campaign)
    in_test = recorded.filter(in_test=True)
    assert sorted(in_test.values_list("variant", flat=True)) == [0] * 5 + [1] * 5 + [2] * 5
    assert not recorded.filter(in_test=False).exclude(variant=None).exists()
    chosen = set(in_test.values_list("pk", flat=True))
    # Recording again keeps the sample as it was drawn.
    assert recipients_record(campaign)["in_test"] == 15
    assert set(recorded.filter(in_test=True).values_list("pk", flat=True)) == chosen


def test_the_ab_sample_is_drawn_from_the_eligible_only():
    campaign = tagged_campaign([*people(4), *people(30, consent="unknown")], ab_sample_percent=100)
    SubjectVariant.objects.create(campaign=campaign, subject="B", sort_order=0)
    assert recipients_record(campaign)["in_test"] == 4
    assert not CampaignRecipient.objects.filter(campaign=campaign, status=Status.LEFT_OUT, in_test=True).exists()


def test_recording_costs_few_queries_whatever_the_audience(django_assert_max_num_queries):
    campaign = tagged_campaign([*people(40), *people(10, is_test=True)])
    with django_assert_max_num_queries(14):
        recipients_record(campaign)
    assert Campaign.objects.get(pk=campaign.pk).recipients_total == 40
