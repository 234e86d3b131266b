"""Spam and abuse rules for every way a form is submitted (HTML, JSON API).

Rejections are logged with their reason and never become leads. The rate limits count in the
cache, so with Redis configured they hold across every web process.
"""

import hashlib
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from core.rate_limits import over_limit
from forms.models import RejectedSubmission

HONEYPOT_FIELD = "contact_website"  # a field people never see; bots fill in every input they find
STARTED_FIELD = "sp_started"
TOKEN_SALT = "signalpage.forms.started"


@dataclass(frozen=True)
class Rejection:
    reason: str
    message: str  # what a person sees; says nothing that helps a bot
    status: int = 400


def started_token(form_page_id: int) -> str:
    """A signed 'form shown at' stamp: proves the form came from us and how long filling it took."""
    return signing.dumps({"f": form_page_id, "t": time.time()}, salt=TOKEN_SALT, compress=True)


def check_started_token(token: str, form_page_id: int) -> Rejection | None:
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=settings.FORMS_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return Rejection("bad_token", "This form was open for too long. Please send it again.")
    except signing.BadSignature:
        return Rejection("bad_token", "This form could not be verified. Please reload the page and send it again.")
    if not isinstance(data, dict) or data.get("f") != form_page_id or not isinstance(data.get("t"), int | float):
        return Rejection("bad_token", "This form could not be verified. Please reload the page and send it again.")
    if time.time() - data["t"] < settings.FORMS_MIN_FILL_SECONDS:
        return Rejection("too_fast", "That was quick! Please check your answers and send the form again.")
    return None


def check_honeypot(value) -> Rejection | None:
    if value not in (None, "", []):
        return Rejection("honeypot", "Thank you.", status=200)
    return None


def _over_limit(key: str, limit: int, window: int) -> bool:
    """The shared fixed-window counter (core.rate_limits), under the forms' own keys."""
    return over_limit(f"forms:rate:{key}", limit, window)


def check_rate_limits(*, ip_address: str | None, email: str) -> Rejection | None:
    ip_limit, ip_window = settings.FORMS_RATE_LIMIT_IP
    if ip_address and _over_limit(f"ip:{ip_address}", ip_limit, ip_window):
        return Rejection("rate_limit_ip", "Too many submissions from your network. Please try again later.", 429)
    email_limit, email_window = settings.FORMS_RATE_LIMIT_EMAIL
    email = (email or "").strip().lower()
    # Hashed: cache keys stay short, safe for any backend, and hold no personal data.
    if email and _over_limit(f"email:{hashlib.sha256(email.encode()).hexdigest()[:32]}", email_limit, email_window):
        return Rejection(
            "rate_limit_email", "Too many submissions for this email address. Please try again later.", 429
        )
    return None


def body_too_large(request) -> Rejection | None:
    """Judged on the declared length before anything reads the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Rejection("too_large", "The request could not be read.", 400)
    if length > settings.FORMS_MAX_BODY_BYTES:
        return Rejection("too_large", "The form is too large to send.", 413)
    return None


def rejection_log(
    rejection: Rejection, *, form_page=None, channel="web", ip_address=None, email="", payload=None, detail=""
) -> RejectedSubmission:
    excerpt = ""
    if payload is not None:
        excerpt = json.dumps(payload, ensure_ascii=True, default=repr)[:4000]
    return RejectedSubmission.objects.create(
        form_page=form_page,
        channel=channel,
        reason=rejection.reason,
        detail=(detail or rejection.message)[:500],
        ip_address=ip_address,
        email=(email or "")[:254],
        payload_excerpt=excerpt,
    )
