"""Signed webhooks: the one signature every inbound webhook of ours checks, whoever owns the webhook.

    X-Signalpage-Timestamp: <unix seconds>
    X-Signalpage-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

`signature_problem` says what is wrong with a call (missing or malformed headers, a wrong signature, a
timestamp outside the replay window), or None when it is signed with the secret and fresh. Each webhook
turns a problem into its own refusal (a 401 with its error code, the header named), so this module knows
nothing of any app.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

TIMESTAMP_HEADER = "X-Signalpage-Timestamp"
SIGNATURE_HEADER = "X-Signalpage-Signature"
SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True)
class SignatureProblem:
    """Why a call is not accepted as signed: a machine-readable code, a sentence, the header at fault."""

    error: str  # missing_timestamp, bad_timestamp, missing_signature, bad_signature, stale_timestamp
    detail: str
    header: str

    @property
    def is_stale(self) -> bool:
        """Signed correctly, but too far from our clock: a replay or a delayed call."""
        return self.error == "stale_timestamp"


def webhook_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The X-Signalpage-Signature value for a body sent at `timestamp` (what a sender computes)."""
    message = str(timestamp).encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_problem(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, window: int, now=None, whose: str
) -> SignatureProblem | None:
    """What is wrong with the call's signature, or None when it is signed with `secret` within `window`
    seconds of our clock. `whose` names the secret in the sentence ("the provider's secret")."""
    timestamp = (timestamp or "").strip()
    signature = (signature or "").strip()
    if not timestamp:
        return SignatureProblem("missing_timestamp", f"The {TIMESTAMP_HEADER} header is missing.", TIMESTAMP_HEADER)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return SignatureProblem(
            "bad_timestamp", f"{TIMESTAMP_HEADER} must be a Unix time in whole seconds.", TIMESTAMP_HEADER
        )
    if not signature:
        return SignatureProblem("missing_signature", f"The {SIGNATURE_HEADER} header is missing.", SIGNATURE_HEADER)
    expected = webhook_signature(secret, timestamp, body).encode()
    # Headers arrive as latin-1 text; compare bytes so no header value can make compare_digest raise.
    given = signature.lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected, given):
        return SignatureProblem(
            "bad_signature",
            f'{SIGNATURE_HEADER} does not match: sign "<timestamp>.<raw body>" with '
            f"HMAC-SHA256 and {whose}, and send sha256=<hex>.",
            SIGNATURE_HEADER,
        )
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        return SignatureProblem(
            "stale_timestamp",
            f"{TIMESTAMP_HEADER} is more than {window} seconds away from our clock: "
            "a replayed or delayed call. Sign every call when you send it.",
            TIMESTAMP_HEADER,
        )
    return None
