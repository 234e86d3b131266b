"""The campaign's audience in the admin: the live count next to the audience panel of the campaign
editor, and a full Audience page per campaign (the numbers, each reason explained, a few people each).

- `CampaignAudiencePanel`: put it in the campaign editor next to InlinePanel("audience"). The page comes
  without the count; campaigns/audience_count.js posts the form to `audience_count` once the page is
  shown and again when an audience field or the topic changes (debounced while typing), and puts the
  answer in its place.
- `audience_count` (POST, admin URL name `campaigns_audience_count`, `?campaign=<pk>` when editing):
  the HTML fragment. For whoever may add or change campaigns (the editor of a new campaign sees it too).
- `audience_page` (GET, `campaigns_audience`, /admin/campaigns/<pk>/audience/): campaigns.change_campaign.

Addresses and names are masked without leads.view_personal_data, as in the segment editor.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin.panels import Panel

from campaigns.audience import AudienceError, audience_summary, left_out_sample
from campaigns.eligibility import REASONS
from campaigns.models import AudienceSource, Campaign, CampaignRecipient
from leads.privacy import can_view_personal_data, mask_email

MAX_SOURCES = 30  # a form posting more is not the editor's
ID_FIELDS = ("segment", "saved_filter", "tag", "event", "whitepaper")
COUNT_PERMISSIONS = ("campaigns.add_campaign", "campaigns.change_campaign")
PAGE_PERMISSION = "campaigns.change_campaign"

# What each reason means, in the marketer's words (the Audience page).
EXPLANATIONS = {
    "no_address": "Their address is empty or not an address a message can go to.",
    "test_or_competitor": "Marked as test data or as a competitor in the lead store.",
    "excluded": "In one of the audiences this campaign leaves out.",
    "do_not_contact": "Marked “do not contact” on their person page.",
    "unsubscribed": "Unsubscribed from all campaign email (the suppression list).",
    "suppressed": "On the suppression list: a hard bounce, a spam complaint, imported or added by hand.",
    "no_consent": "Their country's consent policy asks for opt-in (or they said no), and they have not given it.",
    "topic": "Left this kind of email in the preference centre.",
    "fatigue": "Already got as many marketing emails as the fatigue limit allows in its period.",
}


def _can_count(user) -> bool:
    return any(user.has_perm(permission) for permission in COUNT_PERMISSIONS)


def person_rows(people, user) -> list[dict]:
    """People as the user may see them: initials and masked addresses without the personal-data right."""
    show = can_view_personal_data(user)
    rows = []
    for person in people:
        name = f"{person.first_name} {person.last_name}".strip()
        if not show:
            name = " ".join(f"{part[:1]}." for part in name.split())
        rows.append(
            {
                "name": name or "(no name)",
                "email": person.email if show else mask_email(person.email),
                "company": person.company.name if person.company_id else "",
                "country": person.country,
                "grade": person.grade,
            }
        )
    return rows


def _posted_id(data, key: str, field: str, number: int) -> int | None:
    value = (data.get(key) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise AudienceError(field, "not one of the choices", number=number)
    return int(value)


def posted_sources(data) -> list[AudienceSource]:
    """The audience rows of a posted campaign form (InlinePanel prefix "audience"), unsaved; deleted and
    empty rows left out. Raises AudienceError naming the field of a malformed one."""
    try:
        total = min(int(data.get("audience-TOTAL_FORMS", 0)), MAX_SOURCES)
    except (TypeError, ValueError):
        total = 0
    sources = []
    for index in range(total):
        prefix = f"audience-{index}-"
        kind = (data.get(prefix + "kind") or "").strip()
        if data.get(prefix + "DELETE") or not kind:
            continue
        number = len(sources) + 1
        if kind not in AudienceSource.Kind.values:
            raise AudienceError("kind", "not one of the choices", number=number)
        source = AudienceSource(kind=kind, exclude=data.get(prefix + "exclude") in ("on", "true", "1"))
        for field in ID_FIELDS:
            setattr(source, f"{field}_id", _posted_id(data, prefix + field, field, number))
        sources.append(source)
    return sources


def _summary_context(summary, user, *, error: str = "", has_sources: bool = True) -> dict:
    return {
        "summary": summary,
        "error": error,
        "has_sources": has_sources,
        "sample": person_rows(summary.sample, user) if summary else [],
    }


@require_POST
def audience_count(request):
    """The campaign editor posts its form here when the audience changes: the count and who is left out."""
    if not _can_count(request.user):
        raise PermissionDenied
    campaign = None
    campaign_id = request.GET.get("campaign", "")
    if campaign_id:
        if not campaign_id.isdigit() or len(campaign_id) > 18:
            raise Http404
        campaign = get_object_or_404(Campaign, pk=int(campaign_id))
    topic = (request.POST.get("topic") or "").strip()
    context = {}
    try:
        sources = posted_sources(request.POST)
        if topic and not topic.isdigit():
            raise AudienceError("topic", "not one of the choices")
        summary = audience_summary(
            campaign,
            sources=sources,
            topic_id=int(topic) if topic else 0,
            creator=(campaign.created_by if campaign and campaign.created_by_id else request.user),
        )
        context = _summary_context(summary, request.user, has_sources=bool(sources))
    except AudienceError as error:
        context = _summary_context(None, request.user, error=str(error))
    return TemplateResponse(request, "campaigns/audience/summary.html", context)


class CampaignAudiencePanel(Panel):
    """The live count of the campaign's audience: put it next to InlinePanel("audience").

    The page is rendered without counting (at 160k people the count took 2.6 s of every edit page's load):
    the panel says the count is on its way and campaigns/audience_count.js asks `audience_count` for it
    as soon as the page is shown, then after every change to the audience."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "campaigns/audience/panel.html"

        class Media:
            js = ["core/live_count.js", "campaigns/audience_count.js"]
            css = {"all": ["campaigns/audience_count.css"]}

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            pk = getattr(self.instance, "pk", None)
            self.count_url = reverse("campaigns_audience_count") + (f"?campaign={pk}" if pk else "")
            self.page_url = reverse("campaigns_audience", args=[pk]) if pk else ""
            # A saved campaign has an audience worth counting at once; a new one waits for its first part.
            self.count_on_load = bool(pk)


@require_GET
def audience_page(request, pk: int):
    """A campaign's audience now: how many get it, how many are left out for each reason and why, a few
    of each. After recording, the counts recorded at the time too."""
    if not request.user.has_perm(PAGE_PERMISSION):
        raise PermissionDenied
    campaign = get_object_or_404(Campaign, pk=pk)
    error, summary, reasons = "", None, []
    try:
        summary = audience_summary(campaign)
    except AudienceError as message:
        error = str(message)
    if summary is not None:
        for reason, label, count in summary.left_out_rows():
            people = left_out_sample(campaign, reason, size=5)
            reasons.append(
                {
                    "reason": reason,
                    "label": label,
                    "count": count,
                    "explanation": EXPLANATIONS.get(reason, ""),
                    "people": person_rows(people, request.user),
                }
            )
    labels = dict(CampaignRecipient.LeftOut.choices)
    left_out = campaign.left_out if isinstance(campaign.left_out, dict) else {}
    recorded = [(labels[reason], left_out[reason]) for reason in REASONS if left_out.get(reason)]
    return TemplateResponse(
        request,
        "campaigns/audience/page.html",
        {
            "campaign": campaign,
            "error": error,
            "summary": summary,
            "reasons": reasons,
            "sample": person_rows(summary.sample, request.user) if summary else [],
            "recorded": recorded,
            "page_title": f"Audience: {campaign.name}",
            "header_title": "Audience",
            "header_icon": "group",
        },
    )


def admin_urls() -> list:
    """Registered by campaigns/wagtail_hooks.py (register_admin_urls)."""
    return [
        path("campaigns/audience/count/", audience_count, name="campaigns_audience_count"),
        path("campaigns/<int:pk>/audience/", audience_page, name="campaigns_audience"),
    ]
