"""System checks on the secrets the product signs and authenticates with.

A secret left empty does not fail loudly by itself: HMAC with an empty key still gives a signature,
one anybody can compute. So every `manage.py` command that runs checks (`check`, `check --deploy`,
`migrate`, `runserver`) refuses a configuration that would sign with an empty key, naming the
variable; `check --deploy` also refuses keys too short to resist guessing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.checks import Error, Tags, register

# Shorter keys are refused by `check --deploy` (32 characters: 192 bits of token_urlsafe).
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Secret:
    variable: str  # the environment variable, as the README names it
    value: str
    in_use: bool  # the product signs with it in this configuration
    why: str


def signing_secrets() -> list[Secret]:
    """Every secret the product signs or checks requests with, and whether this configuration uses it."""
    crm_url = bool((getattr(settings, "CRM_WEBHOOK_URL", "") or "").strip())
    secrets = [
        Secret(
            "CRM_WEBHOOK_SECRET",
            getattr(settings, "CRM_WEBHOOK_SECRET", "") or "",
            crm_url,
            "CRM_WEBHOOK_URL is set, so every CRM push is signed with it",
        )
    ]
    for provider, secret in (getattr(settings, "LEAD_INTAKE_SECRETS", None) or {}).items():
        secrets.append(
            Secret(
                f"LEAD_INTAKE_SECRETS ({provider})",
                secret or "",
                True,
                f"calls from {provider} to /api/v1/intake/{provider} are checked with it",
            )
        )
    feedback = getattr(settings, "CRM_FEEDBACK_SECRET", "") or ""
    secrets.append(
        Secret(
            "CRM_FEEDBACK_SECRET",
            feedback,
            bool(feedback.strip()),
            "calls to /api/v1/crm/feedback (deals and stages from the CRM) are checked with it",
        )
    )
    for number, token in enumerate(getattr(settings, "PERSONALIZATION_API_TOKENS", None) or [], start=1):
        secrets.append(
            Secret(
                f"PERSONALIZATION_API_TOKENS (token {number})",
                token or "",
                True,
                "it unlocks every variant of every personalised block",
            )
        )
    return secrets


@register(Tags.security)
def no_empty_signing_secret(app_configs=None, **kwargs):
    return [
        Error(
            f"{secret.variable} is empty, but {secret.why}: anybody could sign with an empty key.",
            hint=f"Set {secret.variable} to a long random value, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
            id="signalpage.E001",
        )
        for secret in signing_secrets()
        if secret.in_use and not secret.value.strip()
    ]


@register(Tags.security, deploy=True)
def no_short_signing_secret(app_configs=None, **kwargs):
    return [
        Error(
            f"{secret.variable} has {len(secret.value.strip())} characters; {secret.why}, so it must have at "
            f"least {MIN_SECRET_LENGTH}.",
            hint="python -c 'import secrets; print(secrets.token_urlsafe(32))' prints one.",
            id="signalpage.E002",
        )
        for secret in signing_secrets()
        if secret.in_use and secret.value.strip() and len(secret.value.strip()) < MIN_SECRET_LENGTH
    ]
