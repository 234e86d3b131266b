"""Personalisation's own views: the CTA click beacon (public), the live audience count and the
variant statistics (admin). Thin: parse, call a selector or service, render."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.models import Page

from leads.privacy import can_view_personal_data, mask_email
from leads.request_facts import client_ip

from . import stats
from .models import Segment
from .selectors import segment_audience, variant_statistics

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


def statistics(request):
    """Impressions, CTA clicks and conversions per variant, with bars to compare them at a glance."""
    if not any(request.user.has_perm(permission) for permission in STATISTICS_PERMISSIONS):
        raise PermissionDenied
    stats.flush()  # this process's latest counts (other processes write theirs every few seconds)
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 3650))
    except ValueError:
        days = 30
    rows = list(variant_statistics(since=timezone.localdate() - timedelta(days=days - 1)))
    pages = dict(Page.objects.filter(pk__in={row["page_id"] for row in rows}).values_list("pk", "title"))
    segments = dict(Segment.objects.filter(pk__in={row["segment_id"] for row in rows}).values_list("pk", "name"))
    peak = max((row["impressions"] for row in rows), default=0) or 1
    for row in rows:
        row["page_title"] = pages.get(row["page_id"], f"Page {row['page_id']} (deleted)")
        row["variant"] = segments.get(row["segment_id"], "Deleted segment") if row["segment_id"] else "Default"
        row["ctr"] = 100 * row["clicks"] / row["impressions"] if row["impressions"] else 0
        row["conversion_rate"] = 100 * row["conversions"] / row["impressions"] if row["impressions"] else 0
        row["bar"] = round(100 * row["impressions"] / peak)
    return TemplateResponse(
        request,
        "personalization/statistics.html",
        {
            # Wagtail's generic base puts header_title in <title> and page_title in the header's heading.
            "rows": rows,
            "days": days,
            "page_title": "Variant statistics",
            "header_title": "Variant statistics",
            "header_icon": "group",
        },
    )
