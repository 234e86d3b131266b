from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaign email: marketers write emails in Wagtail, pick an audience, send them through the
    background workers (throttled, once per recipient), and read who opened and clicked. Opens, clicks
    and unsubscribes reach the lead store as interactions. Consent, double opt-in, the suppression list
    and the preference centre live here too, because every send must honour them.

    Depends on leads (people, interactions, scoring), personalization (segments), sales (saved filters),
    events (registrants), forms (consent policies) and outbox (test sends, confirmation emails). Nothing
    of ours depends on it but cms, which wires its URLs and the demo. Never named `email` or `mail`:
    the standard library's `email` package would be shadowed."""

    name = "campaigns"
    label = "campaigns"
    verbose_name = "Campaign email"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from outbox import kinds

        # A marketer's test send: the row carries the rendered message (campaigns.views_admin.send_test).
        kinds.register("campaigns.test", "Campaign email: test send")
        from campaigns import (
            bounces,  # noqa: F401  (connects to Anymail's tracking signal: bounces, complaints)
            checks,  # noqa: F401  (registers the sender check)
        )
