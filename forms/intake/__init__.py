"""Signed webhook intake for third-party lead-gen forms (LinkedIn Lead Gen, Facebook Lead Ads, Zapier).

A provider POSTs one lead as JSON to /api/v1/intake/<provider>. The call must be signed:

    X-Signalpage-Timestamp: <unix seconds>
    X-Signalpage-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

with the provider's secret from LEAD_INTAKE_SECRETS. A call outside the replay window, or with a
missing or wrong signature, is refused (401) and kept as a RejectedSubmission, never as a lead.

A provider lead id is taken once (WebhookReceipt, unique per provider): a retry or replay answers
with the lead made the first time, also when both copies arrive at the same instant.

The endpoint (forms/api/intake.py) only reads the request and renders what this package returns.
The parts, one module each: refusals.py (IntakeRejected and the RejectedSubmission kept of it),
signing.py (the provider's secret, the signature and replay check), reading.py (the body and the
provider's lead in it), mapping.py (its answers under our field names), receiving.py (one lead, once).
Here: the names the endpoint uses, as `intake.<name>`.
"""

from .reading import body_parse
from .receiving import IntakeResult, intake_receive
from .refusals import IntakeRejected, Reason, rejection_record
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, intake_secret, intake_signature, signature_verify

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "IntakeRejected",
    "IntakeResult",
    "Reason",
    "body_parse",
    "intake_receive",
    "intake_secret",
    "intake_signature",
    "rejection_record",
    "signature_verify",
]
