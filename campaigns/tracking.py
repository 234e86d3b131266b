"""The public tracking links of campaign email: the open pixel and the click redirect.

Both answer at once and write nothing: the open or click is appended to the tracking buffer
(campaigns.tracking_buffer) and the batch writer (campaigns.tracking_writer) records it, tells machines
from people and tells the lead store. A token that does not verify (tampered, another purpose, another
recipient or position) is a 404 and records nothing.

The click redirect only ever goes to the URL of the link the token names, read from the campaign's links
(CampaignLink): the token signs "recipient-position", never a URL, so it is never an open redirect. A
link to our own site (the host of SITE_BASE_URL) gets the tracked-link parameter (?sp_t=), so the landing
request identifies the browser as the recipient's person, as a tracked link does (personalisation strips
the parameter with one more redirect). The trap link (no person can see it) answers a blank page.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.machines import is_machine_click_agent
from campaigns.models import CampaignLink, CampaignRecipient
from campaigns.signing import recipient_from_token, value_from_token
from campaigns.tracking_buffer import CLICK, OPEN, tracking_record
from leads.request_facts import client_ip

# The smallest transparent GIF (1x1, 42 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
TRAP_PAGE = b'<!doctype html><meta charset="utf-8"><meta name="robots" content="noindex"><title>OK</title>'
REDIRECT_SCHEMES = ("http", "https")


def _no_store(response: HttpResponse) -> HttpResponse:
    # Every fetch must reach us (a cached pixel is an open we never see), and no token may leak onwards.
    patch_cache_control(response, no_store=True, no_cache=True, must_revalidate=True, private=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:255]


@require_safe
def open_pixel(request, token: str):
    """GET /email/o/<token>/: a 1x1 transparent GIF; the open is buffered."""
    recipient_id = recipient_from_token(token, "open")
    if recipient_id is None:
        raise Http404("No such image")
    tracking_record(OPEN, recipient_id, user_agent=_user_agent(request), address=client_ip(request) or "")
    return _no_store(HttpResponse(PIXEL, content_type="image/gif"))


def _click_value(token: str) -> tuple[int, int] | None:
    """(recipient id, link position) from a click token, or None when it does not verify."""
    value = value_from_token(token, "click")
    recipient, _, position = (value or "").partition("-")
    if not (recipient.isdigit() and position.isdigit()) or len(position) > 5:
        return None
    return int(recipient), int(position)


def _with_tracked_link(url: str, person_id: int | None) -> str:
    """A link to our own site carries ?sp_t= for the person (their browser is known on landing)."""
    from personalization.services import TRACKED_LINK_PARAM, tracked_link_token

    if not person_id:
        return url
    parts = urlsplit(url)
    ours = urlsplit(settings.SITE_BASE_URL)
    if (parts.hostname or "").lower() != (ours.hostname or "").lower() or parts.port != ours.port:
        return url
    query = [
        (name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != TRACKED_LINK_PARAM
    ]
    query.append((TRACKED_LINK_PARAM, tracked_link_token(person_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


# The click's one read, by primary key and the (campaign, position) unique index. Plain SQL on the hot
# path: the ORM's compiling of the same join cost more than the query itself (bench_campaign_tracking).
LINK_SQL = (
    f"SELECT l.url, l.is_trap, r.person_id FROM {CampaignRecipient._meta.db_table} r"
    f" JOIN {CampaignLink._meta.db_table} l ON l.campaign_id = r.campaign_id AND l.position = %s"
    " WHERE r.id = %s"
)


def _link_of(recipient_id: int, position: int) -> tuple[str, bool, int | None] | None:
    """(url, is_trap, person id) of the link at `position` in the recipient's campaign, or None."""
    with connection.cursor() as cursor:
        cursor.execute(LINK_SQL, [position, recipient_id])
        row = cursor.fetchone()
    return (row[0], bool(row[1]), row[2]) if row else None


@require_safe
def click_redirect(request, token: str):
    """GET /email/c/<token>/: a 302 to the link's URL (never elsewhere); the click is buffered."""
    value = _click_value(token)
    if value is None:
        raise Http404("No such link")
    recipient_id, position = value
    link = _link_of(recipient_id, position)
    if link is None:
        raise Http404("No such link")
    url, is_trap, person_id = link
    user_agent = _user_agent(request)
    tracking_record(CLICK, recipient_id, position=position, user_agent=user_agent, address=client_ip(request) or "")
    if is_trap:
        return _no_store(HttpResponse(TRAP_PAGE, content_type="text/html; charset=utf-8"))
    if urlsplit(url).scheme.lower() not in REDIRECT_SCHEMES:
        raise Http404("No such link")
    # A click whose user agent gives a machine away never identifies a browser as the person.
    target = url if is_machine_click_agent(user_agent) else _with_tracked_link(url, person_id)
    return _no_store(HttpResponseRedirect(target))
