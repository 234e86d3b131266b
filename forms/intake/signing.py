"""Signing: which secret a provider signs with, and the check that a call is signed and fresh.

    X-Signalpage-Timestamp: <unix seconds>
    X-Signalpage-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

A call outside the replay window, or with a missing or wrong signature, is refused (401).
"""

import hashlib
import hmac
import time

from django.conf import settings

from .refusals import IntakeRejected, Reason

TIMESTAMP_HEADER = "X-Signalpage-Timestamp"
SIGNATURE_HEADER = "X-Signalpage-Signature"
SIGNATURE_PREFIX = "sha256="


def intake_secret(provider: str) -> str | None:
    """The provider's signing secret, or None for a provider we do not know."""
    secrets = getattr(settings, "LEAD_INTAKE_SECRETS", None) or {}
    return secrets.get(str(provider).lower())


def intake_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Signalpage-Signature value for a body sent at `timestamp` (what a provider computes)."""
    message = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now=None) -> None:
    """Raise IntakeRejected (401) unless the call is signed with `secret` and inside the replay window."""
    timestamp = (timestamp or "").strip()
    signature = (signature or "").strip()
    if not timestamp:
        raise IntakeRejected(
            401,
            "missing_timestamp",
            f"The {TIMESTAMP_HEADER} header is missing.",
            reason=Reason.BAD_SIGNATURE,
            field=TIMESTAMP_HEADER,
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise IntakeRejected(
            401,
            "bad_timestamp",
            f"{TIMESTAMP_HEADER} must be a Unix time in whole seconds.",
            reason=Reason.BAD_SIGNATURE,
            field=TIMESTAMP_HEADER,
        )
    if not signature:
        raise IntakeRejected(
            401,
            "missing_signature",
            f"The {SIGNATURE_HEADER} header is missing.",
            reason=Reason.BAD_SIGNATURE,
            field=SIGNATURE_HEADER,
        )
    expected = intake_signature(secret, timestamp, body).encode()
    # Headers arrive as latin-1 text; compare bytes so no header value can make compare_digest raise.
    given = signature.lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        raise IntakeRejected(
            401,
            "bad_signature",
            f'{SIGNATURE_HEADER} does not match: sign "<timestamp>.<raw body>" with '
            "HMAC-SHA256 and the provider's secret, and send sha256=<hex>.",
            reason=Reason.BAD_SIGNATURE,
            field=SIGNATURE_HEADER,
        )
    window = settings.LEAD_INTAKE_REPLAY_WINDOW
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        raise IntakeRejected(
            401,
            "stale_timestamp",
            f"{TIMESTAMP_HEADER} is more than {window} seconds away from our clock: "
            "a replayed or delayed call. Sign every call when you send it.",
            reason=Reason.STALE_TIMESTAMP,
            field=TIMESTAMP_HEADER,
        )
