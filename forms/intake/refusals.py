"""Refusing a webhook call: the refusal itself (IntakeRejected) and the record kept of it for review.

A call we refuse is answered with a status, a machine-readable code and a sentence naming the problem, and
kept as a RejectedSubmission, never as a lead.
"""

import logging

from forms.models import RejectedSubmission

logger = logging.getLogger(__name__)

CHANNEL = "webhook"
EXCERPT_BYTES = 2048

Reason = RejectedSubmission.Reason


class IntakeRejected(Exception):
    """A call we refuse: the HTTP status, a machine-readable code, a sentence naming the problem."""

    def __init__(self, status: int, error: str, detail: str, *, reason: str = Reason.BAD_PAYLOAD, field: str = ""):
        super().__init__(detail)
        self.status, self.error, self.detail, self.reason, self.field = status, error, detail, reason, field

    def as_dict(self) -> dict:
        body = {"error": self.error, "detail": self.detail}
        if self.field:
            body["field"] = self.field
        return body


def rejection_record(rejected: IntakeRejected, *, provider: str, body: bytes, ip_address: str | None) -> None:
    """Keep a refused call for review. Whatever it contained, storing it cannot fail on its content."""
    excerpt = body[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")
    detail = f"{provider}: {rejected.error}: {rejected.detail}".replace("\x00", "")[:500]
    try:
        RejectedSubmission.objects.create(
            channel=CHANNEL,
            reason=rejected.reason,
            detail=detail,
            ip_address=ip_address or None,
            payload_excerpt=excerpt,
        )
    except Exception:  # the caller still gets its clear refusal; the log has the rest
        logger.exception("Could not record a rejected webhook call from %s", provider)
