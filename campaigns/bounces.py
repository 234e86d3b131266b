"""Bounces, complaints and provider unsubscribes, through Anymail's normalised tracking events.

The provider calls /email/anymail/<esp>/tracking/ (Anymail's own webhook views, authenticated with HTTP
basic auth from ANYMAIL["WEBHOOK_SECRET"], "user:password"); Anymail turns its payload into `tracking`
signals, received here:

    bounced (permanent)      -> suppressed as a hard bounce, the recipient's bounced_at
    complained               -> suppressed as a complaint, the recipient's complained_at
    unsubscribed             -> the same as the one-click unsubscribe (suppression.recipient_unsubscribe)
    rejected (invalid/bounced address) -> a hard bounce: the provider already knows the mailbox is gone
    bounced (soft), deferred -> nothing suppressed (listmonk's rule: soft bounces block nothing; a provider
                                retries and then reports a hard bounce); the recipient's soft_bounced_at,
                                counted as "soft bounced" in the results (Anymail names Postmark's
                                Transient and DnsError bounces "deferred")
    failed                   -> nothing suppressed, only counted here (the provider could not send it)
    anything else (delivered, opened, clicked...) -> ignored: opens and clicks are our own pixel and links

The recipient is found by the metadata the sender sets ({"recipient": id}), else by the message id; a
bounce for an address no recipient row matches still suppresses the address.

Anymail accepts webhooks with no secret configured (with a warning). Here they are refused (403) until
ANYMAIL["WEBHOOK_SECRET"] is set, so nobody can suppress addresses by posting fake bounces. A body that
is not the provider's format is a 400, not a server error.
"""

import logging
from collections import Counter
from functools import wraps

from anymail.signals import EventType, RejectReason, tracking
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpResponseBadRequest, HttpResponseForbidden
from django.urls import URLPattern

from campaigns.models import CampaignRecipient
from campaigns.suppression import (
    Reason,
    recipient_bounced,
    recipient_complained,
    recipient_soft_bounced,
    recipient_unsubscribe,
    suppress,
    suppression_key,
)

logger = logging.getLogger(__name__)

# What the webhooks brought since the process started (operators read the log; tests read this).
outcomes: Counter = Counter()

POSTMARK_SOFT_TYPES = {"SoftBounce", "Transient", "DnsError", "AutoResponder", "AddressChange", "ChallengeVerification"}
SOFT_REASONS = {RejectReason.BLOCKED, RejectReason.TIMED_OUT}
HARD_REJECTIONS = {RejectReason.BOUNCED, RejectReason.INVALID}


@receiver(tracking, dispatch_uid="campaigns.bounces.tracking_received")
def tracking_received(sender, event, esp_name="", **kwargs):
    outcome = tracking_event_apply(event, esp_name=esp_name)
    outcomes[outcome] += 1
    if outcome != "ignored":
        logger.info("%s tracking event %s for message %s: %s", esp_name, event.event_type, event.message_id, outcome)


def tracking_event_apply(event, *, esp_name: str = "") -> str:
    """Apply one normalised event; returns what was done (hard_bounce, complaint, unsubscribed, soft,
    ignored)."""
    kind = event.event_type
    if kind == EventType.BOUNCED:
        return _soft_bounce(event) if _is_soft(event) else _hard_bounce(event, esp_name)
    if kind == EventType.REJECTED and event.reject_reason in HARD_REJECTIONS:
        return _hard_bounce(event, esp_name)
    if kind == EventType.COMPLAINED:
        return _apply(event, esp_name, Reason.COMPLAINT, recipient_complained)
    if kind == EventType.UNSUBSCRIBED:
        recipient = _recipient_for(event)
        if recipient is not None:
            recipient_unsubscribe(recipient, via=f"{esp_name or 'provider'} unsubscribe")
            return "unsubscribed"
        return _suppress_address(event, Reason.UNSUBSCRIBED, esp_name, "unsubscribed")
    if kind == EventType.DEFERRED:
        return _soft_bounce(event)
    if kind == EventType.FAILED:
        return "soft"
    return "ignored"


def _soft_bounce(event) -> str:
    recipient = _recipient_for(event)
    if recipient is not None:
        recipient_soft_bounced(recipient)
    return "soft"


def _hard_bounce(event, esp_name) -> str:
    return _apply(event, esp_name, Reason.HARD_BOUNCE, recipient_bounced)


def _apply(event, esp_name, reason, on_recipient) -> str:
    recipient = _recipient_for(event)
    if recipient is not None:
        on_recipient(recipient, detail=_detail(event, esp_name))
        # The address the provider names may differ from the row's (a forwarded or changed address).
        key = suppression_key(event.recipient or "")
        if key and key != suppression_key(recipient.email):
            suppress(event.recipient, reason, detail=_detail(event, esp_name), campaign=recipient.campaign)
        return reason
    return _suppress_address(event, reason, esp_name, reason)


def _suppress_address(event, reason, esp_name, outcome) -> str:
    if not suppression_key(event.recipient or ""):
        return "ignored"
    suppress(event.recipient, reason, detail=_detail(event, esp_name))
    return outcome


def _is_soft(event) -> bool:
    if event.reject_reason in SOFT_REASONS:
        return True
    description = str(event.description or "")
    if description.lower().startswith("transient"):  # Amazon SES: "Transient: MailboxFull"
        return True
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    return esp_event.get("Type") in POSTMARK_SOFT_TYPES  # Postmark reports soft bounces as "bounced"


def _detail(event, esp_name) -> str:
    said = event.description or event.mta_response or event.reject_reason or event.event_type
    return f"{esp_name or 'provider'}: {said}"[:500]


def _recipient_for(event) -> CampaignRecipient | None:
    rows = CampaignRecipient.objects.select_related("campaign", "person")
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    value = str(metadata.get("recipient", ""))
    if value.isdigit() and len(value) < 19:
        recipient = rows.filter(pk=int(value)).first()
        if recipient is not None:
            return recipient
    message_id = str(event.message_id or "").strip()
    if message_id:
        return rows.filter(message_id=message_id[:255]).order_by("pk").first()
    return None


# --- The webhook URLs ---------------------------------------------------------------------------


def _secret_required(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
            return HttpResponseForbidden("Set ANYMAIL_WEBHOOK_SECRET before the provider's webhook can be used.")
        try:
            return view(request, *args, **kwargs)
        except (ValueError, TypeError, KeyError, AttributeError):  # a body that is not the provider's format
            logger.warning("Unreadable %s webhook body", request.path, exc_info=True)
            return HttpResponseBadRequest("body: not a tracking event this webhook can read")

    return guarded


def webhook_urlpatterns() -> list:
    """Anymail's webhook URLs (anymail.urls), each refusing calls while no webhook secret is set."""
    from anymail import urls as anymail_urls

    return [
        URLPattern(pattern.pattern, _secret_required(pattern.callback), pattern.default_args, pattern.name)
        for pattern in anymail_urls.urlpatterns
    ]
