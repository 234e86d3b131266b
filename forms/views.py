"""The public views of gated forms: the signed download behind a gate, and the double opt-in link.

Thin: it reads the request, calls the services and answers. Pages that host a form (the form page, a
gated whitepaper, an event) serve it through forms.services.journey, not through this module.
"""

import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.documents import get_document_model
from wagtail.models import Page

from leads.request_facts import client_ip
from leads.selectors import lead_owner, person_by_id, person_for_visitor
from leads.services import interaction_record
from leads.services.identity import valid_visitor_id

from .services.consent import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    consent_confirm,
    record_from_confirmation_token,
)
from .services.downloads import LinkExpired, LinkInvalid, grant_from_token


@require_GET
def gated_download(request, token):
    """The PDF behind a signed link: checked, then streamed; re-downloads by known people are recorded."""
    try:
        grant = grant_from_token(token)
    except LinkExpired as expired:
        return _link_problem(
            request,
            410,
            "This download link has expired",
            "Links work for a limited time. Fill in the form again and you'll get a new one.",
            retry_url=_live_page_url(expired.object_id, request),
        )
    except LinkInvalid:
        return _link_problem(
            request,
            403,
            "This download link is not valid",
            "It may have been cut short when it was copied. Please use the link exactly as we "
            "sent it, or fill in the form again.",
        )
    document = get_document_model().objects.filter(pk=grant.document_id).first()
    if document is None:
        raise Http404("This document no longer exists.")

    if grant.lead_id:
        exists, owner_id = lead_owner(grant.lead_id)
        if not exists:
            return _link_problem(request, 403, "This download link is not valid", "It no longer belongs to anyone.")
    else:
        owner_id = grant.person_id
    visitor_id = valid_visitor_id(request.COOKIES.get(settings.VISITOR_COOKIE_NAME, ""))
    visitor_person = person_for_visitor(visitor_id) if visitor_id else None
    if visitor_person is not None and owner_id is not None and visitor_person.pk != owner_id:
        return _link_problem(
            request,
            403,
            "This download link was sent to someone else",
            "Each link is personal. Fill in the form and we'll send you your own copy.",
        )

    if grant.person_id:
        # A returning visitor skipped the form: the download itself is the interaction.
        owner = visitor_person if visitor_person is not None and visitor_person.pk == owner_id else None
        interaction_record(
            type="content_download",
            person=owner or person_by_id(owner_id),
            visitor_id=visitor_id,
            object_type="content",
            object_id=grant.object_id,
            object_label=_title(grant.object_id),
            object_topics=grant.topics,
            properties={"via": "returning visitor link"},
        )
    handle = document.file.open("rb")
    content_type = mimetypes.guess_type(document.filename)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=document.filename, content_type=content_type)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _title(object_id) -> str:
    try:
        return Page.objects.filter(pk=int(object_id)).values_list("title", flat=True).first() or ""
    except (TypeError, ValueError):
        return ""


def _live_page_url(object_id, request) -> str:
    """The page whose form issued a link, if it is still live: where a new link can be had."""
    try:
        page = Page.objects.live().filter(pk=int(object_id)).first()
    except (TypeError, ValueError):
        return ""
    return (page.get_url(request) or "") if page is not None else ""


def _link_problem(request, status, title, message, retry_url=""):
    response = TemplateResponse(
        request,
        "leadforms/link_problem.html",
        {"title": title, "message": message, "retry_url": retry_url},
        status=status,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def consent_confirmation(request, token):
    """The double opt-in link: GET asks (mail scanners fetch links, so it confirms nothing), POST confirms."""
    try:
        record = record_from_confirmation_token(token)
    except ConfirmationLinkExpired:
        return _link_problem(
            request,
            410,
            "This confirmation link has expired",
            "Links work for 30 days. Fill in one of our forms again and we'll send you a new one.",
        )
    except ConfirmationLinkInvalid:
        return _link_problem(
            request,
            404,
            "This confirmation link is not valid",
            "It may have been cut short when it was copied. Please use the link exactly as we sent it.",
        )
    confirmed = None
    if request.method == "POST":
        confirmed = consent_confirm(record, ip_address=client_ip(request))
    already = confirmed is None and hasattr(record, "confirmed_by")
    response = TemplateResponse(
        request,
        "leadforms/consent_confirmation.html",
        {"record": record, "confirmed": confirmed is not None or already},
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to another site
    patch_cache_control(response, private=True, no_store=True)
    return response
