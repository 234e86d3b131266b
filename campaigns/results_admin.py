"""The results page of a campaign in the admin (issue 17, item 7): Campaigns → a campaign → Results.

Needs a right to see campaigns (view, change or send); anybody else gets a 403. Thin: the numbers come
from campaigns.results; the template escapes every name and URL (a campaign named <script> is text).
URL name (registered by wagtail_hooks.py): campaigns_results.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_safe
from wagtail.models import Site

from campaigns.models import Campaign
from campaigns.results import campaign_results, conversion_days_for

VIEW_PERMISSIONS = ("campaigns.view_campaign", "campaigns.change_campaign", "campaigns.send_campaign")


@require_safe
def results_view(request, pk: int):
    if not any(request.user.has_perm(permission) for permission in VIEW_PERMISSIONS):
        raise PermissionDenied
    campaign = get_object_or_404(Campaign, pk=pk)
    days = conversion_days_for(Site.find_for_request(request))  # no site (an admin host of its own): the default's
    results = campaign_results(campaign, conversion_days=days)
    return TemplateResponse(
        request,
        "campaigns/results/results.html",
        {
            "campaign": campaign,
            "results": results,
            "page_title": "Results",
            "page_subtitle": campaign.name,
            "header_icon": "mail",
        },
    )


def admin_urls() -> list:
    """Registered by campaigns/wagtail_hooks.py (register_admin_urls)."""
    return [path("campaigns/<int:pk>/results/", results_view, name="campaigns_results")]
