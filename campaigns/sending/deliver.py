"""Sending one chunk of a campaign: claim, re-check, one connection, send and record each message.

Per chunk (a worker's unit of work):
1. The campaign must still be sending (or sending its A/B sample): pause and cancel are honoured
   within one chunk.
2. Claim up to a chunk of due pending recipients (claim.py). Re-checked for each, just claimed: an
   unsubscribe, a suppression (bounce, complaint, import), "do not contact", consent withdrawn, the
   topic left in the preference centre, a person erased: left out at once, not sent. The fatigue limit
   is NOT re-applied: it was counted when the recipients were recorded, and this campaign's own
   messages would count against it while it sends.
3. ONE connection for the chunk (settings.CAMPAIGN_EMAIL_BACKEND: SMTP reused, or Anymail's).
4. Per recipient: the throttle, render, send, then one UPDATE naming the attempt marks it sent. The
   only window for a duplicate is between the server accepting and that UPDATE.
   - refused for good at RCPT (5xx): failed, and the address is suppressed as a hard bounce, unless
     the refusal is a policy one (5.7.x: the message or the sender, not the address);
   - refused for good at DATA (5xx): failed, not suppressed (the content, not the address);
   - temporary (4xx, an Anymail API error, a render error): pending again after 1, 2, 4, 8 minutes,
     failed after CAMPAIGN_MAX_ATTEMPTS (5) attempts;
   - the connection fails: this recipient's attempt counts, the rest of the chunk goes back untried,
     and the chunk stops (the sweep sends them once the server answers again).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Suppression, TopicOptOut
from campaigns.sending import claim
from campaigns.sending.message import envelope_for, message_build, provider_message_id
from campaigns.sending.throttle import Throttle, emails_per_minute

logger = logging.getLogger(__name__)

Status = CampaignRecipient.Status
LeftOut = CampaignRecipient.LeftOut
ACTIVE = (Campaign.Status.SENDING, Campaign.Status.TESTING)
CONNECTION_RETRY = timedelta(minutes=1)


def max_attempts() -> int:
    return getattr(settings, "CAMPAIGN_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (max(attempts, 1) - 1), 60))


@dataclass
class ChunkResult:
    outcome: str  # "sent", "nothing to send", "not sending", "connection failed", "superseded"
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    left_out: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def worked(self) -> bool:
        return self.claimed > 0


class ConnectionLost(Exception):
    """The mail server went away: the rest of the chunk waits for the sweep."""


def chunk_send(campaign_id: int, *, throttle: Throttle | None = None, renderers: dict | None = None) -> ChunkResult:
    """Send one chunk of the campaign. `renderers`: a dict the caller keeps between chunks, so the
    email is compiled once per task rather than once per chunk."""
    campaign = Campaign.objects.filter(pk=campaign_id, status__in=ACTIVE).select_related("topic").first()
    if campaign is None:
        return ChunkResult("not sending")
    per_minute = emails_per_minute()
    throttle = throttle or Throttle(per_minute)
    ids, claimed_at = claim.recipients_claim(
        campaign.pk, limit=claim.chunk_size(per_minute), test_only=campaign.status == Campaign.Status.TESTING
    )
    result = ChunkResult("sent", claimed=len(ids))
    if not ids:
        result.outcome = "nothing to send"
        return result
    # Paused or cancelled between the check above and the claim: hand the rows back untried.
    if not Campaign.objects.filter(pk=campaign.pk, status__in=ACTIVE).exists():
        result.released = claim.release_untried(ids, claimed_at, retry_in=None, reason="")
        result.outcome = "not sending"
        return result
    rows = list(CampaignRecipient.objects.filter(pk__in=ids).select_related("person").order_by("pk"))
    rows = _leave_out_changed(campaign, rows, claimed_at, result)
    if rows:
        renderers = {} if renderers is None else renderers
        if campaign.pk not in renderers:
            renderers[campaign.pk] = renderer_for(campaign)
        renderer = renderers[campaign.pk]
        renderer.prepare([row.person for row in rows])
        _send_rows(campaign, rows, claimed_at, throttle, renderer, result)
    return result


def renderer_for(campaign):
    """The campaign's batch renderer (campaigns.rendering): segments and recommendations decided per
    chunk in a few queries, the email compiled once per kind, then string joins per recipient."""
    from campaigns.rendering.compiled import CampaignRenderer

    return CampaignRenderer(campaign)


def _send_rows(campaign, rows, claimed_at, throttle, renderer, result: ChunkResult) -> None:
    envelope = envelope_for(campaign)
    connection = get_connection(settings.CAMPAIGN_EMAIL_BACKEND, fail_silently=False)
    try:
        connection.open()
    except Exception as error:  # noqa: BLE001 - a server down: nobody was tried, all wait
        result.outcome = "connection failed"
        result.errors.append(_describe(error))
        result.released = claim.release_untried(
            [row.pk for row in rows], claimed_at, retry_in=CONNECTION_RETRY, reason=_describe(error)
        )
        return
    sent: list[CampaignRecipient] = []
    try:
        for index, row in enumerate(rows):
            throttle.wait()
            try:
                rendered = renderer.render(row.person, recipient=row, variant=row.variant or 0)
                message, message_id = message_build(envelope, row, rendered, connection)
                message.send()
            except Exception as error:  # noqa: BLE001 - classified, kept on the row
                try:
                    _attempt_failed(row, claimed_at, error, campaign, result)
                except ConnectionLost:
                    rest = [other.pk for other in rows[index + 1 :]]
                    result.released = claim.release_untried(
                        rest, claimed_at, retry_in=CONNECTION_RETRY, reason=_describe(error)
                    )
                    result.outcome = "connection failed"
                    return
                continue
            marked = claim.mine(row.pk, claimed_at).update(
                status=Status.SENT,
                sent_at=timezone.now(),
                message_id=provider_message_id(message, message_id),
                last_error="",
                retry_at=None,
            )
            if not marked:
                # The sweep took this chunk for a dead worker's: whoever holds the rows now sends them.
                result.outcome = "superseded"
                return
            result.sent += 1
            sent.append(row)
    finally:
        connection.close()
        _sent_record(campaign, sent)


SENT_NAMESPACE = uuid.UUID("0b7a6c1e-5f4d-4e0a-9c3b-2d1e8f7a6b5c")


def _sent_record(campaign, rows: list[CampaignRecipient]) -> None:
    """The person's timeline says which campaign emails they were sent: one `email_sent` interaction per
    message, written per chunk in one statement (not per message: throughput). Its event id comes from the
    recipient row, so a chunk written again counts once. Nothing scores it (no shipped rule does)."""
    if not rows:
        return
    from leads.services.interactions import interactions_record_many

    topics = [topic.strip() for topic in campaign.content_topics.split(",") if topic.strip()]
    now = timezone.now()
    try:
        interactions_record_many(
            [
                {
                    "event_id": uuid.uuid5(SENT_NAMESPACE, str(row.pk)),
                    "type": "email_sent",
                    "occurred_at": now,
                    "person_id": row.person_id,
                    "object_type": "email",
                    "object_id": str(campaign.pk),
                    "object_label": campaign.name,
                    "object_topics": topics,
                    "properties": {"variant": row.variant or 0} if campaign.ab_winner_id or row.in_test else {},
                }
                for row in rows
                if row.person_id
            ]
        )
    except Exception:  # the messages went out and their rows say so; the timeline can miss them
        logger.warning(
            "Could not record %d sent emails of campaign %s on timelines", len(rows), campaign.pk, exc_info=True
        )


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _attempt_failed(row, claimed_at, error: Exception, campaign, result: ChunkResult) -> None:
    text = _describe(error)
    result.errors.append(text)
    verdict = classify(error)
    if verdict in ("refused", "bounced"):
        claim.mine(row.pk, claimed_at).update(status=Status.FAILED, last_error=text)
        result.failed += 1
        if verdict == "bounced":
            _suppress_bounce(row, campaign, text)
        return
    if verdict == "connection":
        _retry_or_fail(row, claimed_at, text, result)
        raise ConnectionLost(text)
    _retry_or_fail(row, claimed_at, text, result)


def _retry_or_fail(row, claimed_at, text: str, result: ChunkResult) -> None:
    attempts = row.attempts  # counted by the claim
    if attempts >= max_attempts():
        claim.mine(row.pk, claimed_at).update(status=Status.FAILED, last_error=text)
        result.failed += 1
        return
    claim.mine(row.pk, claimed_at).update(
        status=Status.PENDING, retry_at=timezone.now() + backoff(attempts), last_error=text
    )
    result.retrying += 1


def classify(error: Exception) -> str:
    """ "bounced" (the address refused for good: suppress it), "refused" (refused for good, not the
    address's fault), "connection" (the server went away), "temporary" (try again later)."""
    if isinstance(error, AnymailRecipientsRefused):
        return "bounced"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values())
        if replies and all(500 <= code < 600 for code, _ in replies):
            policy = all(_text(reply).lstrip().startswith("5.7.") for _, reply in replies)
            return "refused" if policy else "bounced"
        return "temporary"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "connection"  # our sender refused: every message would be, stop the chunk
    if isinstance(error, smtplib.SMTPResponseException):
        return "refused" if 500 <= error.smtp_code < 600 else "temporary"
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError):
        return "connection"
    return "temporary"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _suppress_bounce(row, campaign, detail: str) -> None:
    from campaigns.suppression import suppress

    try:
        suppress(row.email, Suppression.Reason.HARD_BOUNCE, detail=detail, campaign=campaign)
    except Exception:  # the row says failed either way; a suppression lost is logged
        logger.exception("Could not suppress the address of recipient %s after a hard bounce", row.pk)
    CampaignRecipient.objects.filter(pk=row.pk, bounced_at__isnull=True).update(bounced_at=timezone.now())


def _leave_out_changed(campaign, rows, claimed_at, result: ChunkResult) -> list:
    """What changed since the recipients were recorded, honoured now: those rows are left out."""
    from leads.cleaning import email_identity_key
    from leads.models import Consent

    keys = {row.pk: {email_identity_key(row.email)} if row.email else set() for row in rows}
    for row in rows:
        if row.person is not None and row.person.email_key:
            keys[row.pk].add(row.person.email_key)
    every_key = set().union(*keys.values()) if keys else set()
    suppressed = dict(Suppression.objects.filter(email_key__in=every_key).values_list("email_key", "reason"))
    opted_out = set()
    if campaign.topic_id:
        opted_out = set(
            TopicOptOut.objects.filter(
                topic_id=campaign.topic_id, person_id__in=[row.person_id for row in rows if row.person_id]
            ).values_list("person_id", flat=True)
        )
    reasons: dict[str, list[int]] = {}
    keep = []
    for row in rows:
        reasons_found = [suppressed[key] for key in keys[row.pk] if key in suppressed]
        person = row.person
        if person is None or not row.email:
            reason = LeftOut.NO_ADDRESS
        elif row.unsubscribed_at or Suppression.Reason.UNSUBSCRIBED in reasons_found:
            reason = LeftOut.UNSUBSCRIBED
        elif reasons_found:
            reason = LeftOut.SUPPRESSED
        elif person.do_not_contact:
            reason = LeftOut.DO_NOT_CONTACT
        elif person.consent in (Consent.DENIED, Consent.WITHDRAWN):
            reason = LeftOut.NO_CONSENT
        elif person.pk in opted_out:
            reason = LeftOut.TOPIC
        else:
            keep.append(row)
            continue
        reasons.setdefault(reason, []).append(row.pk)
    for reason, ids in reasons.items():
        result.left_out += CampaignRecipient.objects.filter(
            pk__in=ids, status=Status.SENDING, claimed_at=claimed_at
        ).update(status=Status.LEFT_OUT, left_out_reason=reason, last_error="Left out while sending")
    return keep
