"""Whether this request allows behavioural tracking: personalisation's own reading of a request.

What the request says about the visitor (device, country, referrer, UTM parameters) is read by
`leads.request_facts`, the one module every app uses for that. Headers and cookies only: no cache,
no database.
"""

from __future__ import annotations

from django.conf import settings

# The campaign facts a visitor's state keeps (first and latest visit); leads.request_facts reads them.
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


def tracking_allowed(request) -> bool:
    """Behavioural tracking (cookie, stored facts) is allowed for this request."""
    if settings.PERSONALIZATION_HONOR_GPC and request.META.get("HTTP_SEC_GPC", "").strip() == "1":
        return False
    if settings.PERSONALIZATION_CONSENT_MODE == "opt-in":
        consent = request.COOKIES.get(settings.PERSONALIZATION_CONSENT_COOKIE, "")
        return consent in ("1", "granted", "yes", "true")
    return True
