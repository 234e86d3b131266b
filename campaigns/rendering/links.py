"""Links in campaign email: absolute addresses, the campaign's UTM on links to our own site, and the
numbered links (CampaignLink) a click link may lead to.

Positions are the order links first appear in the body, every personalised variant and every page a
recommended block may show included, so they are the same for every recipient; the trap link (no
person can see it: a click on it is a machine's) comes after them. Collecting writes the rows once,
when sending starts; collecting again adds only links that were not there and changes nothing else.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

TRAP_LABEL = "(hidden link: clicked only by machines)"
MAX_URL_LENGTH = 2000


def absolute(path: str) -> str:
    """An address on our site from a path (mail has no request to take the host from)."""
    return settings.SITE_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def own_hosts() -> frozenset[str]:
    """The hosts that are our site: SITE_BASE_URL's and every Wagtail site's."""
    from wagtail.models import Site

    hosts = {(urlsplit(settings.SITE_BASE_URL).hostname or "").lower()}
    hosts.update(hostname.lower() for hostname in Site.objects.values_list("hostname", flat=True))
    return frozenset(host for host in hosts if host)


def utm_campaign(campaign) -> str:
    return campaign.utm_campaign or slugify(campaign.name)[:100] or f"campaign-{campaign.pk or 'new'}"


def with_utm(url: str, campaign, content: str) -> str:
    """The URL with the campaign's UTM parameters (replacing any it had; other parameters kept)."""
    parts = urlsplit(url)
    query = [
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not key.startswith("utm_")
    ]
    query += [
        ("utm_source", campaign.utm_source or "newsletter"),
        ("utm_medium", campaign.utm_medium or "email"),
        ("utm_campaign", utm_campaign(campaign)),
        ("utm_content", content),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def final_url(href: str, campaign, block_number: int, hosts: frozenset[str]) -> str | None:
    """What a link in block N points to in the email: absolute, with UTM when it is ours. None for a
    link that stays as written (mailto:, tel:, #anchor) and "" for one that must not be followed
    (javascript:, data:, anything but the web)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    lowered = href.lower()
    if lowered.startswith(("mailto:", "tel:")):
        return None
    if href.startswith("/") and not href.startswith("//"):
        href = absolute(href)
    elif href.startswith("//"):
        href = "https:" + href
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if parts.hostname.lower() in hosts:
        href = with_utm(href, campaign, f"block-{block_number}")
    return href[:MAX_URL_LENGTH]


def trap_url() -> str:
    return absolute("/")


def campaign_links_collect(campaign) -> list:
    """The campaign's numbered links (CampaignLink rows), written if missing: the body's links in the
    order they appear (all variants), then the trap link. Idempotent; safe to run in two places at once
    (the same body gives the same positions, and a position is unique)."""
    from campaigns.models import CampaignLink

    from .compiled import body_links

    wanted = body_links(campaign)
    with transaction.atomic():
        existing = list(CampaignLink.objects.filter(campaign=campaign).order_by("position"))
        known = {link.url for link in existing if not link.is_trap}
        has_trap = any(link.is_trap for link in existing)
        position = max((link.position for link in existing), default=0)
        new = []
        for url, label in wanted:
            if url in known:
                continue
            position += 1
            known.add(url)
            new.append(CampaignLink(campaign=campaign, position=position, url=url, label=label[:255]))
        if not has_trap:
            position += 1
            new.append(
                CampaignLink(campaign=campaign, position=position, url=trap_url(), label=TRAP_LABEL, is_trap=True)
            )
        if new:
            CampaignLink.objects.bulk_create(new, ignore_conflicts=True)
    return list(CampaignLink.objects.filter(campaign=campaign).order_by("position"))
