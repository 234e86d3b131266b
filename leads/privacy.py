"""Personal data in the admin: who may see it, and how it is masked for everybody else.

The permission is `leads.view_personal_data` ("Can see people's email addresses and phone numbers"):
seeing a listing (`leads.view_person`) and seeing whom it is about are two rights. Every screen and
export that shows an email, a phone, an IP address or a visitor id asks `can_view_personal_data`.
"""

from ipaddress import ip_address as parse_ip
from ipaddress import ip_network

PERSONAL_DATA_PERMISSION = "leads.view_personal_data"
HIDDEN = "(hidden: needs permission to view personal data)"


def can_view_personal_data(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION))


def mask_email(value) -> str:
    """jane.doe@example.com -> j***@example.com; anything without an @ keeps only its first character."""
    text = str(value or "")
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return text[0] + "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(value) -> str:
    """+4930123456 -> +49 *** 56: the country stays (a rep plans calls by it), the number goes."""
    text = str(value or "").strip()
    if not text:
        return ""
    digits = [c for c in text if c.isdigit()]
    if len(digits) < 6:
        return "***"
    prefix = "+" + "".join(digits[:2]) if text.startswith("+") else "".join(digits[:1])
    return f"{prefix} *** {''.join(digits[-2:])}"


def mask_ip(value) -> str:
    """203.0.113.77 -> 203.0.113.x; 2001:db8:1:2::5 -> 2001:db8:1::x (the host part goes)."""
    text = str(value or "")
    if not text:
        return ""
    try:
        address = parse_ip(text)
    except ValueError:
        return "x"
    if address.version == 4:
        return ".".join(text.split(".")[:3]) + ".x"
    return str(ip_network(f"{address}/48", strict=False).network_address).removesuffix("::") + "::x"


def mask_identifier(value) -> str:
    text = str(value or "")
    return f"{text[:4]}***" if text else ""


def hide(value) -> str:
    return HIDDEN if value else ""
