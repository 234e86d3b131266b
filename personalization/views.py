"""Personalisation's own views: the CTA click beacon (public), the live audience count (admin),
and the old address of the variant statistics (now in Reports → Content performance). Thin: parse,
call a selector or service, render."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leads.privacy import can_view_personal_data, mask_email
from leads.request_facts import client_ip

from . import stats
from .selectors import segment_audience

MAX_RULES = 30


CLICKS_PER_HOUR = 20  # per address and variant: more is a script replaying a key, not a person clicking


def click_allowed(request, key: str) -> bool:
    """Count a click at most CLICKS_PER_HOUR times per client address and variant (in the cache)."""
    address = client_ip(request) or "-"
    bucket = "pz:clicks:" + hashlib.blake2s(f"{address}|{key}".encode(), digest_size=12).hexdigest()
    cache.add(bucket, 0, 3600)
    try:
        return cache.incr(bucket) <= CLICKS_PER_HOUR
    except ValueError:  # the bucket expired between add and incr
        return True


@csrf_exempt  # a beacon carries no CSRF token; it can only add one click to a variant whose signed key it holds
@require_POST
def variant_click(request):
    key = stats.unsign_key(request.POST.get("variant", ""))
    if key is None:
        return HttpResponseBadRequest("variant: not a variant key handed out by this site")
    if click_allowed(request, key):
        stats.record("clicks", [key])
    return HttpResponse(status=204)  # the same answer when not counted: a replaying script learns nothing


def _can_edit_segments(user) -> bool:
    return user.has_perm("personalization.add_segment") or user.has_perm("personalization.change_segment")


def audience_sample(people, user) -> list[dict]:
    """The sample of matching people as the user may see it: names and emails masked without the
    personal-data permission (leads.view_personal_data); company, grade and stage are what a marketer needs."""
    show = can_view_personal_data(user)
    rows = []
    for p in people:
        name = f"{p.first_name} {p.last_name}".strip()
        if not show:
            name = " ".join(f"{part[:1]}." for part in name.split()) or "(no name)"
        rows.append(
            {
                "name": name or "(no name)",
                "email": p.email if show else mask_email(p.email),
                "company": p.company.name if p.company_id else "",
                "grade": p.grade,
                "stage": p.get_stage_display(),
            }
        )
    return rows


def posted_rules(data) -> list[dict]:
    """The rules of a posted segment form as typed (deleted and empty ones left out), unchecked."""
    try:
        total = min(int(data.get("rules-TOTAL_FORMS", 0)), MAX_RULES)
    except ValueError:
        total = 0
    rules = []
    for index in range(total):
        prefix = f"rules-{index}-"
        if data.get(prefix + "DELETE") or not data.get(prefix + "fact"):
            continue
        rules.append(
            {
                "fact": data.get(prefix + "fact", ""),
                "operator": data.get(prefix + "operator", ""),
                "value": data.get(prefix + "value", "")[:500],
                "negate": data.get(prefix + "negate") in ("on", "true", "1"),
                "times": data.get(prefix + "times", "")[:20],
                "days": data.get(prefix + "days", "")[:20],
            }
        )
    return rules


@require_POST
def audience(request):
    """The segment editor posts its form here after a change to the rules: count and sample of known people."""
    if not _can_edit_segments(request.user):
        raise PermissionDenied
    rules = posted_rules(request.POST)
    result = segment_audience(rules, request.POST.get("match", "all"))
    return TemplateResponse(
        request,
        "personalization/audience.html",
        {"audience": result, "sample": audience_sample(result.sample, request.user), "rule_count": len(rules)},
    )


# Who may read the variant statistics: whoever may see or edit segments. The menu item checks the same.
STATISTICS_PERMISSIONS = (
    "personalization.view_segment",
    "personalization.add_segment",
    "personalization.change_segment",
)


# The old screen's periods, in days, as the reports' presets (anything else becomes a custom period).
DAYS_AS_PRESET = {7: "7d", 30: "30d", 90: "90d", 365: "12m"}


def statistics(request):
    """The variant statistics moved into Reports → Content performance (reports.views_content), with the
    reports' periods: this old address (bookmarks, links in docs) redirects there with the same period."""
    # The report's own readers too (editors: content reports), by name: nothing here imports reports.
    readers = (*STATISTICS_PERMISSIONS, "reports.view_content_reports", "reports.view_reports")
    if not any(request.user.has_perm(permission) for permission in readers):
        raise PermissionDenied
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 3 * 366))
    except ValueError:
        days = 30
    if days in DAYS_AS_PRESET:
        query = {"period": DAYS_AS_PRESET[days]}
    else:
        today = timezone.localdate()
        query = {"period": "custom", "from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
    return redirect(f"{reverse('reports:content')}?{urlencode(query)}#rp-table-variants")
