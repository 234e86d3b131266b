"""The signed tokens in campaign email links: opaque, hard to forge, and never expiring (an unsubscribe
link must work in an email read a year later). One salt per purpose, so a pixel's token opens no
preference centre. Every view that takes one answers a tampered token with a 4xx and records nothing.

    token = recipient_token(recipient_id, "unsubscribe")
    recipient_id = recipient_from_token(token, "unsubscribe")   # None when tampered
"""

from django.core import signing

PURPOSES = ("open", "click", "unsubscribe", "preferences", "confirm")


def _signer(purpose: str) -> signing.Signer:
    if purpose not in PURPOSES:
        raise ValueError(f"purpose: one of {', '.join(PURPOSES)}")
    return signing.Signer(salt=f"signalpage.campaigns.{purpose}")


def recipient_token(value: int | str, purpose: str) -> str:
    """A token for one value (a recipient id; for clicks "recipient-position"; for confirm a consent record id)."""
    return _signer(purpose).sign(str(value))


def value_from_token(token: str, purpose: str) -> str | None:
    """The value signed in the token, or None when it was tampered with or is not one of ours."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        return _signer(purpose).unsign(token)
    except signing.BadSignature:
        return None


def recipient_from_token(token: str, purpose: str) -> int | None:
    value = value_from_token(token, purpose)
    return int(value) if value is not None and value.isdigit() else None
