"""Signing: which secret a provider signs with, and the check that a call is signed and fresh.

    X-Signalpage-Timestamp: <unix seconds>
    X-Signalpage-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

A call outside the replay window, or with a missing or wrong signature, is refused (401). The check
itself is core.webhook_signing's (the CRM feedback webhook signs the same way); here, the provider's
secret and the refusal intake keeps.
"""

from django.conf import settings

from core.webhook_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem, webhook_signature

from .refusals import IntakeRejected, Reason

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "intake_secret", "intake_signature", "signature_verify"]


def intake_secret(provider: str) -> str | None:
    """The provider's signing secret, or None for a provider we do not know."""
    secrets = getattr(settings, "LEAD_INTAKE_SECRETS", None) or {}
    return secrets.get(str(provider).lower())


def intake_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Signalpage-Signature value for a body sent at `timestamp` (what a provider computes)."""
    return webhook_signature(secret, timestamp, body)


def signature_verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now=None) -> None:
    """Raise IntakeRejected (401) unless the call is signed with `secret` and inside the replay window."""
    problem = signature_problem(
        secret,
        timestamp=timestamp,
        signature=signature,
        body=body,
        window=settings.LEAD_INTAKE_REPLAY_WINDOW,
        now=now,
        whose="the provider's secret",
    )
    if problem is not None:
        raise IntakeRejected(
            401,
            problem.error,
            problem.detail,
            reason=Reason.STALE_TIMESTAMP if problem.is_stale else Reason.BAD_SIGNATURE,
            field=problem.header,
        )
