"""Signed links for registrants: the ticket (its QR code), self-service cancellation, the stream.

A link carries the registration id and its secret, signed with SECRET_KEY under a salt per use,
so a ticket link cannot cancel and a cancellation link cannot check anyone in. Cancelling and
registering again gives the registration a new secret, which retires the old links.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Registration

TICKET_SALT = "signalpage.events.ticket"
CANCEL_SALT = "signalpage.events.cancel"
MAX_TOKEN_LENGTH = 200


class BadLink(Exception):
    pass


def _sign(registration: Registration, salt: str) -> str:
    return signing.Signer(salt=salt).sign(f"{registration.pk}.{registration.secret}")


def registration_from_token(token: str, salt: str) -> Registration:
    """The registration a signed token names; BadLink for a forged, truncated or retired token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadLink("empty or oversized token")
    try:
        value = signing.Signer(salt=salt).unsign(token.strip())
    except signing.BadSignature:
        raise BadLink("bad signature") from None
    pk, _, secret = value.partition(".")
    if not pk.isdigit():
        raise BadLink("malformed token")
    registration = Registration.objects.select_related("event").filter(pk=int(pk)).first()
    if registration is None or not secret or registration.secret != secret:
        raise BadLink("unknown or retired registration")
    return registration


def ticket_token(registration: Registration) -> str:
    return _sign(registration, TICKET_SALT)


def cancel_token(registration: Registration) -> str:
    return _sign(registration, CANCEL_SALT)


def absolute(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def ticket_url(registration: Registration) -> str:
    return absolute(reverse("event_ticket", args=[ticket_token(registration)]))


def cancel_url(registration: Registration) -> str:
    return absolute(reverse("event_cancel", args=[cancel_token(registration)]))


def watch_url(registration: Registration) -> str:
    return absolute(reverse("event_watch", args=[registration.event_id]) + f"?t={ticket_token(registration)}")


def calendar_url(event) -> str:
    return absolute(reverse("event_calendar", args=[event.pk]))


def event_page_url(event) -> str:
    """The landing page's address (cms.EventPage links itself to the event as `landing_page`)."""
    page = getattr(event, "landing_page", None)
    if page is not None and page.live:
        url = page.get_full_url()
        if url:
            return url
    return calendar_url(event)


def invite_token(user) -> str:
    return signing.Signer(salt="signalpage.events.invite").sign(str(user.pk))


def inviter_from_token(token: str):
    """The salesperson behind a personal invite link, or None for anything else."""
    from django.contrib.auth import get_user_model

    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        pk = signing.Signer(salt="signalpage.events.invite").unsign(token.strip())
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=int(pk), is_active=True).first() if pk.isdigit() else None
