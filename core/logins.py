"""Lock-outs after repeated wrong passwords (django-axes) are logged where operators and
administrators look: the application log, and the locked user's history in the Wagtail admin."""

import hashlib
import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.dispatch import receiver
from django.template.response import TemplateResponse
from wagtail.log_actions import log

logger = logging.getLogger("signalpage.security")

LOCKED_OUT_ACTION = "signalpage.login_locked_out"


@receiver(user_locked_out, dispatch_uid="signalpage-login-locked-out")
def login_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    # Axes signals again on every attempt made during the lock-out: one entry per lock-out is enough.
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    key = "signalpage:locked-out:" + hashlib.sha256(f"{username}\n{ip_address}".encode()).hexdigest()
    if not cache.add(key, True, timeout=seconds):
        return
    logger.warning(
        "Admin login locked out after repeated failures: username=%r address=%s", (username or "")[:150], ip_address
    )
    user = get_user_model().objects.filter(username=username).first() if username else None
    if user is not None:
        log(instance=user, action=LOCKED_OUT_ACTION, data={"address": ip_address or ""})


def lockout_response(request, credentials=None, *args, **kwargs):
    """The page a locked-out sign-in gets (429): what happened, for how long, and the way out."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return TemplateResponse(
        request, "core/login_locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    ).render()
