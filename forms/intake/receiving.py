"""Receiving one provider lead, once: the receipt that makes a retry a duplicate, and the lead captured.

A provider lead id is taken once (WebhookReceipt, unique per provider): a retry or replay answers
with the lead made the first time, also when both copies arrive at the same instant.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from forms.models import WebhookReceipt
from leads.services import lead_capture

from .mapping import fields_map, fields_with_tags
from .reading import provider_lead_read

logger = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    lead_id: str | None
    duplicate: bool

    @property
    def status(self) -> int:
        return 200 if self.duplicate else 201


def intake_receive(provider: str, payload: dict, *, body: bytes, ip_address: str | None = None) -> IntakeResult:
    """Capture one provider lead, once. Raises IntakeRejected for a body without a usable lead id."""
    lead_in = provider_lead_read(payload)
    fields = fields_with_tags(payload, fields_map(lead_in.answers, lead_in.utm))
    existing = _duplicate(provider, lead_in.lead_id)
    if existing is not None:
        return existing
    label = f"{provider}: {lead_in.form_name or lead_in.form_id or 'lead form'}"
    try:
        # Receipt, lead and link in one transaction: a second copy of this lead waits on the unique
        # receipt until this one commits, then finds it (below) instead of making another lead.
        with transaction.atomic():
            receipt = WebhookReceipt.objects.create(
                provider=provider,
                provider_lead_id=lead_in.lead_id,
                form_id=lead_in.form_id,
                body_sha256=hashlib.sha256(body).hexdigest(),
            )
            lead = lead_capture(
                source="webhook",
                payload=payload,
                fields=fields,
                origin_type="form",
                origin_id=lead_in.form_id,
                origin_label=label,
                ip_address=ip_address,
                received_at=lead_in.created_time or timezone.now(),
            )
            receipt.lead = lead
            receipt.save(update_fields=["lead"])
    except IntegrityError:
        existing = _duplicate(provider, lead_in.lead_id)
        if existing is None:  # not a duplicate receipt after all: a real database problem
            raise
        return existing
    logger.info("Webhook lead %s from %s captured as %s", lead_in.lead_id, provider, lead.lid)
    return IntakeResult(lead_id=lead.lid, duplicate=False)


def _duplicate(provider: str, provider_lead_id: str) -> IntakeResult | None:
    receipt = WebhookReceipt.objects.filter(provider=provider, provider_lead_id=provider_lead_id).first()
    if receipt is None:
        return None
    WebhookReceipt.objects.filter(pk=receipt.pk).update(
        duplicates=F("duplicates") + 1, last_duplicate_at=timezone.now()
    )
    return IntakeResult(lead_id=receipt.lead_lid, duplicate=True)
