"""What the large mailbox providers ask of bulk senders and the settings can tell: campaign mail from an
address of its own, apart from transactional mail (docs/email.md, Deliverability)."""

from email.utils import parseaddr

from django.conf import settings
from django.core import checks


@checks.register()
def campaign_mail_has_its_own_sender(app_configs=None, **kwargs):
    campaign = parseaddr(getattr(settings, "CAMPAIGN_FROM_EMAIL", ""))[1].lower()
    transactional = parseaddr(getattr(settings, "DEFAULT_FROM_EMAIL", ""))[1].lower()
    if campaign and campaign == transactional:
        return [
            checks.Warning(
                f"CAMPAIGN_FROM_EMAIL and DEFAULT_FROM_EMAIL are the same address ({campaign}): a spam complaint "
                "about a newsletter then also hurts download links and event tickets.",
                hint="Send campaign email from an address of its own, e.g. news@news.example.com.",
                id="campaigns.W001",
            )
        ]
    return []
