"""Deleting what an audience part names never fails (a user's saved filters go with the user); the part
then names nothing, and the audience says which part to fix."""

import pytest

from campaigns.audience import AudienceError, audience_summary
from campaigns.models import AudienceSource
from sales.models import ListName, SavedFilter
from tests.factories.campaigns import AudienceSourceFactory, CampaignFactory

pytestmark = pytest.mark.django_db


def test_a_user_whose_saved_filter_a_campaign_uses_can_be_deleted(django_user_model):
    owner = django_user_model.objects.create_user("leaver", "leaver@example.com", "pw-leaver-2026")
    saved = SavedFilter.objects.create(owner=owner, list_name=ListName.PEOPLE, name="Nurture", query="stage=lead")
    campaign = CampaignFactory()
    AudienceSourceFactory(campaign=campaign, kind=AudienceSource.Kind.SAVED_FILTER, saved_filter=saved)
    owner.delete()  # used to raise ProtectedError
    assert AudienceSource.objects.get(campaign=campaign).saved_filter is None
    with pytest.raises(AudienceError, match="saved"):
        audience_summary(campaign)
