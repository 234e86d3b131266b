"""Previews of a campaign email: as a desktop mail client shows it, in a phone's 375 px, and as a chosen
person would get it (their merge fields, their segment's variant, their recommended pages).

Links in a preview go straight where they point (no tracking). People are found by email; without
leads.view_personal_data their addresses are masked and their names shortened to initials, in the
list and in the email shown."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from campaigns.models import Campaign
from campaigns.rendering import render_message, sample_person
from leads.privacy import can_view_personal_data, mask_email

from .access import require_campaign_editor

PHONE_WIDTH = 375
MODES = ("desktop", "phone")
SEARCH_LIMIT = 20
MAX_QUERY = 254


class BadParameter(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def masked(person, user):
    """The person as this user may see them (a copy: the row is never changed)."""
    if person is None or can_view_personal_data(user):
        return person
    shown = copy.copy(person)
    shown.email = mask_email(person.email)
    shown.first_name = person.first_name[:1] + ("." if person.first_name else "")
    shown.last_name = person.last_name[:1] + ("." if person.last_name else "")
    return shown


def person_from(request):
    """The person named by ?person=<id>, or None when none is named. BadParameter for anything else."""
    from leads.models import Person

    raw = request.GET.get("person", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadParameter("person", "not a person's number")
    person = Person.objects.select_related("company", "owner").filter(pk=int(raw)).first()
    if person is None:
        raise BadParameter("person", "nobody has this number")
    return person


def serve_campaign_preview(campaign, request, mode_name: str, person=None) -> HttpResponse:
    """The email as HTML (desktop), or inside a phone-sized frame (phone). Campaign.serve_preview."""
    person = person if person is not None else sample_person()
    rendered = render_message(campaign, person=masked(person, request.user))
    if mode_name == "phone":
        page = render_to_string(
            "campaigns/admin/phone_frame.html",
            {"rendered": rendered, "width": PHONE_WIDTH},
        )
        return HttpResponse(page)
    return HttpResponse(rendered.html)


@require_GET
@xframe_options_sameorigin
def preview_email(request, pk: int, mode: str):
    """The framed email itself (the preview page shows two of these side by side)."""
    require_campaign_editor(request.user)
    campaign = get_object_or_404(Campaign, pk=pk)
    if mode not in MODES:
        return HttpResponse("mode: desktop or phone", status=400, content_type="text/plain")
    try:
        person = person_from(request)
    except BadParameter as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    return serve_campaign_preview(campaign, request, mode, person=person)


def _search(request):
    from leads.models import Person

    query = request.GET.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise BadParameter("q", f"at most {MAX_QUERY} characters")
    if len(query) < 3:
        return query, []
    people = Person.objects.filter(email__icontains=query).select_related("company").order_by("email")
    return query, [masked(person, request.user) for person in people[:SEARCH_LIMIT]]


@require_GET
def preview_page(request, pk: int):
    """Desktop and phone side by side; pick a person to see the email as they would."""
    require_campaign_editor(request.user)
    campaign = get_object_or_404(Campaign, pk=pk)
    status, error = 200, ""
    person, query, found = None, "", []
    try:
        person = person_from(request)
        query, found = _search(request)
    except BadParameter as problem:
        status, error = 400, str(problem)
        messages.error(request, error)
    suffix = f"?person={person.pk}" if person is not None else ""
    context = {
        "campaign": campaign,
        "person": masked(person, request.user),
        "query": query,
        "found": found,
        "error": error,
        "desktop_url": reverse("campaigns_preview_email", args=[campaign.pk, "desktop"]) + suffix,
        "phone_url": reverse("campaigns_preview_email", args=[campaign.pk, "phone"]) + suffix,
        "send_test_url": reverse("campaigns_send_test", args=[campaign.pk]),
        "edit_url": reverse("campaigns_campaign:edit", args=[campaign.pk]),
        "phone_width": PHONE_WIDTH + 20,
        "page_title": f"Preview: {campaign.name}",
        "header_title": f"Preview: {campaign.name}",
        "header_icon": "mail",
    }
    return TemplateResponse(request, "campaigns/admin/preview.html", context, status=status)
