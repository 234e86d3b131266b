"""Reading settings from the environment, with errors that name the variable at fault."""

import os
import re
from decimal import Decimal, InvalidOperation

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks are dropped so 'a, b,' gives ['a', 'b']."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written "count/seconds", e.g. "60/600" for 60 per ten minutes."""
    raw = os.environ.get(name) or default
    count, _, seconds = raw.partition("/")
    try:
        limit = (int(count), int(seconds))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate; write it as count/seconds, e.g. 60/600.") from None
    if limit[0] < 1 or limit[1] < 1:
        raise ImproperlyConfigured(f"{name}={raw!r}: count and seconds must both be at least 1.")
    return limit


SUPPORTED_DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")


def env_provider_secrets(name: str) -> dict[str, str]:
    """LEAD_INTAKE_SECRETS="linkedin=s3cret,facebook=0ther" -> {"linkedin": "s3cret", "facebook": "0ther"}."""
    secrets = {}
    for number, item in enumerate((os.environ.get(name) or "").split(","), start=1):
        if not item.strip():
            continue
        provider, sep, secret = item.strip().partition("=")  # a secret may itself contain "=" (base64)
        provider = provider.strip().lower()
        if not sep or not secret.strip() or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", provider):
            # The entry itself is not repeated: it may be a secret with its "=" missing.
            raise ImproperlyConfigured(
                f"{name}: entry {number} is not provider=secret. Write comma-separated pairs such as "
                "linkedin=abc,facebook=def (provider: letters, digits, - and _, at most 40 characters)."
            )
        if provider in secrets:
            raise ImproperlyConfigured(f"{name} names the provider {provider!r} twice.")
        secrets[provider] = secret.strip()
    return secrets


def env_currency(name: str, default: str) -> str:
    """An ISO 4217 code, upper-cased."""
    value = os.environ.get(name, default).strip().upper() or default
    if not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise ImproperlyConfigured(f"{name}={value!r} is not an ISO 4217 code such as EUR.")
    return value


def env_currency_rates(name: str) -> dict:
    """REPORT_CURRENCY_RATES="USD=0.92,GBP=1.17" -> {"USD": Decimal("0.92"), "GBP": Decimal("1.17")}:
    what one unit of each currency is worth in the report currency."""
    rates = {}
    for number, item in enumerate((os.environ.get(name) or "").split(","), start=1):
        if not item.strip():
            continue
        code, sep, rate = (part.strip() for part in item.partition("="))
        try:
            value = Decimal(rate) if sep else None
        except InvalidOperation:
            value = None
        if not re.fullmatch(r"[A-Za-z]{3}", code) or value is None or not value.is_finite() or value <= 0:
            raise ImproperlyConfigured(
                f"{name}: entry {number} ({item.strip()[:20]!r}) is not CODE=rate. Write comma-separated pairs "
                "such as USD=0.92,GBP=1.17 (ISO 4217 codes, positive rates to the report currency)."
            )
        rates[code.upper()] = value
    return rates


def database_from_url(url: str, *, conn_max_age: int = 60) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry, refusing anything we do not support.

    dj-database-url alone would raise a bare KeyError or build a half-valid config for
    a typo such as 'postgress://' or a missing database name; we fail at start-up instead,
    naming the variable, so nobody debugs a connection error deep inside a request.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unsupported or missing scheme {scheme!r}: expected "
            "postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure means the same thing to a user
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (the part after the last '/').")
    if config["ENGINE"].endswith("sqlite3"):
        config.pop("CONN_MAX_AGE", None)
        config.pop("CONN_HEALTH_CHECKS", None)
    return config
