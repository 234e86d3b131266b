"""Sending a campaign from the admin: Send (now or at a time, after a confirmation screen with the
audience count), Pause, Resume, Cancel, and the progress page (a bar refreshed every 2 s with htmx
while it sends).

Every action is a POST with its CSRF token and needs "Can send campaigns" (campaigns.send_campaign);
the progress page needs any right on campaigns. Anybody else gets a 403. Thin: parse, call
campaigns.sending, render. URL names (registered by wagtail_hooks.py): campaigns_send,
campaigns_pause, campaigns_resume, campaigns_cancel, campaigns_progress, campaigns_progress_fragment.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import sending
from campaigns.models import Campaign
from campaigns.sending.throttle import emails_per_minute

SEND_PERMISSION = "campaigns.send_campaign"
VIEW_PERMISSIONS = ("campaigns.view_campaign", "campaigns.change_campaign", SEND_PERMISSION)
STOPPABLE = (
    Campaign.Status.SCHEDULED,
    Campaign.Status.PREPARING,
    Campaign.Status.SENDING,
    Campaign.Status.TESTING,
    Campaign.Status.PAUSED,
)


def _campaign_for(request, pk: int, *, send: bool) -> Campaign:
    user = request.user
    allowed = user.has_perm(SEND_PERMISSION) if send else any(user.has_perm(p) for p in VIEW_PERMISSIONS)
    if not allowed:
        raise Refused
    return get_object_or_404(Campaign, pk=pk)


class Refused(Exception):
    """No right to this screen: a 403 (Wagtail would turn PermissionDenied into a redirect home)."""


def checked(view):
    """Answer Refused with a plain 403, so a form posted without the right never looks like it worked."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refused:
            return HttpResponseForbidden("You may not do this with campaigns.", content_type="text/plain")

    return wrapper


def _audience(campaign):
    """(summary, error): the audience as it is now, or why it cannot be counted."""
    from campaigns.audience import audience_summary

    try:
        return audience_summary(campaign, sample_size=0), ""
    except ValueError as error:  # an incomplete audience source names its field
        return None, str(error)


def parse_send_at(when: str, raw: str, now) -> datetime | None:
    """None for "now"; else the time typed (the admin's time zone), refused (ValueError naming the
    field) when it is missing, malformed or not in the future."""
    if when == "now":
        return None
    if when != "at":
        raise ValueError("when: choose “now” or “at a time”")
    raw = (raw or "").strip()
    if not raw or len(raw) > 32:
        raise ValueError("send_at: give the date and time to send it")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError("send_at: not a date and time (e.g. 2030-05-01T09:30)") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    if moment <= now:
        raise ValueError("send_at: that time has passed; pick a time in the future or send now")
    return moment


@require_http_methods(["GET", "POST"])
def send_view(request, pk: int):
    campaign = _campaign_for(request, pk, send=True)
    summary, audience_error = _audience(campaign)
    problems, status = [], 200
    if request.method == "POST":
        try:
            at = parse_send_at(request.POST.get("when", ""), request.POST.get("send_at", ""), timezone.now())
            sending.campaign_send(campaign, by=request.user, at=at)
        except ValueError as error:
            problems, status = [str(error)], 400
        else:
            if at is None:
                messages.success(request, f"“{campaign.name}” is being sent.")
            else:
                messages.success(request, f"“{campaign.name}” will be sent on {timezone.localtime(at):%Y-%m-%d %H:%M}.")
            return redirect("campaigns_progress", pk=campaign.pk)
    context = {
        "campaign": campaign,
        "summary": summary,
        "audience_error": audience_error,
        "problems": problems,
        "variants": list(campaign.subject_variants.order_by("sort_order", "pk")),
        "per_minute": emails_per_minute(),
        "posted": request.POST if request.method == "POST" else {},
        "page_title": "Send",
        "header_icon": "mail",
    }
    return TemplateResponse(request, "campaigns/sending/send.html", context, status=status)


@require_POST
def pause_view(request, pk: int):
    campaign = _campaign_for(request, pk, send=True)
    if sending.campaign_pause(campaign, by=request.user):
        messages.success(request, "Paused: the messages being sent now finish, then it waits. Resume sends the rest.")
    else:
        messages.warning(request, "Only a campaign that is sending can be paused.")
    return redirect("campaigns_progress", pk=campaign.pk)


@require_POST
def resume_view(request, pk: int):
    campaign = _campaign_for(request, pk, send=True)
    if sending.campaign_resume(campaign, by=request.user):
        messages.success(request, "Resumed: sending the rest.")
    else:
        messages.warning(request, "Only a paused campaign can be resumed.")
    return redirect("campaigns_progress", pk=campaign.pk)


@require_http_methods(["GET", "POST"])
def cancel_view(request, pk: int):
    """GET: are you sure (who has it and who would not get it); POST: cancel."""
    campaign = _campaign_for(request, pk, send=True)
    if request.method == "GET":
        context = {
            "campaign": campaign,
            "progress": sending.campaign_progress(campaign),
            "stoppable": campaign.status in STOPPABLE,
            "page_title": "Cancel sending",
            "header_icon": "mail",
        }
        return TemplateResponse(request, "campaigns/sending/cancel.html", context)
    outcome = sending.campaign_cancel(campaign, by=request.user)
    if outcome == "cancelled":
        messages.success(request, "Cancelled: nobody else gets it. Those already sent it keep it.")
    elif outcome == "unscheduled":
        messages.success(request, "Unscheduled: the campaign is a draft again.")
    else:
        messages.warning(request, "This campaign is not being sent: nothing to cancel.")
    return redirect("campaigns_progress", pk=campaign.pk)


def _progress_context(request, campaign) -> dict:
    return {
        "campaign": campaign,
        "progress": sending.campaign_progress(campaign),
        "can_send": request.user.has_perm(SEND_PERMISSION),
        "stoppable": campaign.status in STOPPABLE,
        "page_title": "Sending",
        "header_icon": "mail",
    }


@require_http_methods(["GET"])
def progress_view(request, pk: int):
    campaign = _campaign_for(request, pk, send=False)
    return TemplateResponse(request, "campaigns/sending/progress.html", _progress_context(request, campaign))


@require_http_methods(["GET"])
def progress_fragment(request, pk: int):
    """The part of the progress page htmx fetches every 2 s while the campaign sends."""
    campaign = _campaign_for(request, pk, send=False)
    return TemplateResponse(request, "campaigns/sending/_progress.html", _progress_context(request, campaign))


def admin_urls() -> list:
    """Registered by campaigns/wagtail_hooks.py (register_admin_urls)."""
    return [
        path("campaigns/<int:pk>/send/", checked(send_view), name="campaigns_send"),
        path("campaigns/<int:pk>/pause/", checked(pause_view), name="campaigns_pause"),
        path("campaigns/<int:pk>/resume/", checked(resume_view), name="campaigns_resume"),
        path("campaigns/<int:pk>/cancel/", checked(cancel_view), name="campaigns_cancel"),
        path("campaigns/<int:pk>/progress/", checked(progress_view), name="campaigns_progress"),
        path("campaigns/<int:pk>/progress/fragment/", checked(progress_fragment), name="campaigns_progress_fragment"),
    ]
