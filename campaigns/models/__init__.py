from .campaign import AudienceSource, Campaign, CampaignSettings, SubjectVariant
from .delivery import CampaignLink, CampaignRecipient, RecipientActivity
from .preferences import EmailTopic, Suppression, TopicOptOut

__all__ = [
    "AudienceSource",
    "Campaign",
    "CampaignLink",
    "CampaignRecipient",
    "CampaignSettings",
    "EmailTopic",
    "RecipientActivity",
    "SubjectVariant",
    "Suppression",
    "TopicOptOut",
]
