"""A send that hangs must give up well before the sweep decides its worker died, or the sweep would
hand the email to a second worker while the first may still deliver it (an email sent twice)."""

from django.conf import settings
from django.core import checks


@checks.register()
def sending_timeout_outlasts_the_mail_server(app_configs=None, **kwargs):
    timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    stuck_after = getattr(settings, "OUTBOX_SENDING_TIMEOUT_MINUTES", 15) * 60
    if timeout is None or timeout * 4 > stuck_after:
        return [
            checks.Warning(
                f"EMAIL_TIMEOUT is {timeout!r} seconds and OUTBOX_SENDING_TIMEOUT_MINUTES is {stuck_after // 60}: "
                "an email still being sent could be handed to a second worker and sent twice.",
                hint="Set EMAIL_TIMEOUT (e.g. 30) to at most a quarter of OUTBOX_SENDING_TIMEOUT_MINUTES in seconds.",
                id="outbox.W001",
            )
        ]
    return []
