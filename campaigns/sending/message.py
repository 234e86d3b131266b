"""One campaign message as it leaves: the rendered email (campaigns.rendering) in an envelope made for
bulk mail as the large mailbox providers ask of it (Gmail, Yahoo, Microsoft since 2024-25):

- From: CAMPAIGN_FROM_EMAIL, apart from transactional mail, with the campaign's sender name;
- List-Unsubscribe with an HTTPS link (an opaque signed token) and a mailto, and
  List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058);
- List-Id: the kind of email (its topic), else the campaign, at the sender's domain (RFC 2919);
- a Message-ID of ours at the sender's domain, kept on the recipient's row;
- Precedence: bulk, so auto-responders stay quiet (an auto-reply is never an unsubscribe);
- with an Anymail backend: metadata {"campaign", "recipient"} and tags, so bounce and complaint
  webhooks find the row; the provider's own open and click tracking off (ours is in the email).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.text import slugify

from campaigns.signing import recipient_token


@dataclass(frozen=True)
class Envelope:
    """What every message of one campaign shares (made once per chunk)."""

    campaign_id: int
    from_email: str
    reply_to: tuple[str, ...]
    domain: str
    list_id: str
    origin: str
    anymail: bool
    tags: tuple[str, ...]


def envelope_for(campaign) -> Envelope:
    default_name, address = parseaddr(settings.CAMPAIGN_FROM_EMAIL)
    address = address or settings.CAMPAIGN_FROM_EMAIL
    domain = address.rpartition("@")[2] or "localhost"
    # A header holds one line: a sender name typed with line breaks (or pasted with control characters)
    # would make every message fail (or, in a careless mailer, add headers), so they become spaces.
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in campaign.from_name or default_name).split())
    topic = campaign.topic if campaign.topic_id else None
    label = slugify(topic.name) if topic is not None else ""
    label = f"{label or 'topic'}-{topic.pk}" if topic is not None else f"campaign-{campaign.pk}"
    description = " ".join((topic.name if topic is not None else campaign.name).split()).replace('"', "'")[:80]
    description = "".join(ch for ch in description if ch.isprintable() and ch not in "<>\\")
    origin = urlsplit(settings.SITE_BASE_URL)
    tags = [f"campaign-{campaign.pk}"] + ([label] if topic is not None else [])
    return Envelope(
        campaign_id=campaign.pk,
        from_email=formataddr((name, address)) if name else address,
        reply_to=(campaign.reply_to,) if campaign.reply_to else (),
        domain=domain,
        list_id=f'"{description}" <{label}.{domain}>',
        origin=f"{origin.scheme}://{origin.netloc}",
        anymail=settings.CAMPAIGN_EMAIL_BACKEND.startswith("anymail."),
        tags=tuple(tags),
    )


def unsubscribe_headers(envelope: Envelope, recipient_id: int) -> dict[str, str]:
    token = recipient_token(recipient_id, "unsubscribe")
    link = envelope.origin + reverse("campaigns:unsubscribe", args=[token])
    mailto = f"mailto:{settings.CAMPAIGN_UNSUBSCRIBE_MAILTO}?subject=unsubscribe-{token}"
    return {
        "List-Unsubscribe": f"<{link}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def message_build(envelope: Envelope, recipient, rendered, connection) -> tuple[EmailMultiAlternatives, str]:
    """The message for one recipient and its Message-ID."""
    # Short enough that the header line never folds (make_msgid's time.pid.random id could), so the id a
    # mail server or a provider's webhook hands back is exactly the one kept on the row.
    message_id = f"<c{envelope.campaign_id}.r{recipient.pk}.{secrets.token_hex(6)}@{envelope.domain}>"
    headers = {
        "Message-ID": message_id,
        "List-Id": envelope.list_id,
        "Precedence": "bulk",
        **unsubscribe_headers(envelope, recipient.pk),
    }
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=envelope.from_email,
        to=[recipient.email],
        reply_to=list(envelope.reply_to),
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    if envelope.anymail:
        message.metadata = {"campaign": envelope.campaign_id, "recipient": recipient.pk}
        message.tags = list(envelope.tags)
        message.track_clicks = False
        message.track_opens = False
    return message, message_id


def provider_message_id(message, message_id: str) -> str:
    """The provider's id where Anymail reports one (its webhooks name it), else ours."""
    status = getattr(message, "anymail_status", None)
    return (getattr(status, "message_id", None) or message_id)[:255]
