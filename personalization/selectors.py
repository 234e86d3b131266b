"""Reads for personalisation: the audience of a segment being edited, variant statistics, API access."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Sum

from .rule_queries import people_matching
from .rules import ParsedRule, parse_rule

SAMPLE_SIZE = 8
# What the sample shows (views.audience_sample): no wider rows than that through the window.
SAMPLE_FIELDS = ("first_name", "last_name", "email", "grade", "stage", "fit_score", "interest_score", "company__name")


@dataclass
class Audience:
    count: int
    sample: list
    errors: dict  # rule number -> {field: message}


def segment_audience(rules: list[dict], match: str, *, sample_size: int = SAMPLE_SIZE) -> Audience:
    """Known people matching rules as typed in the editor (not yet saved): one COUNT, one sample query.
    (Not one query with a window count over the matches: PostgreSQL then buffers every match and plans
    worse; measured 18 s against 0.5 s + 1.4 s for "downloaded topic:ai in 30 days" at 20M interactions.)"""
    parsed: list[ParsedRule] = []
    errors = {}
    for number, rule in enumerate(rules, start=1):
        try:
            parsed.append(
                parse_rule(
                    rule.get("fact", ""),
                    rule.get("operator", ""),
                    rule.get("value", ""),
                    bool(rule.get("negate")),
                    rule.get("times"),
                    rule.get("days"),
                )
            )
        except ValidationError as error:
            errors[number] = {field: " ".join(messages) for field, messages in error.message_dict.items()}
    if errors or not parsed:
        return Audience(0, [], errors)
    people = people_matching(parsed, "any" if match == "any" else "all")
    try:
        count = people.count()
        sample = (
            list(
                people.select_related("company")
                .only(*SAMPLE_FIELDS)
                .order_by("-fit_score", "-interest_score", "pk")[:sample_size]
            )
            if count
            else []
        )
    except DatabaseError:  # e.g. SQLite's expression limit with very many rules and values
        return Audience(0, [], {"all": {"rules": "Too many rules and values to count at once: simplify them."}})
    return Audience(count, sample, errors)


def variant_statistics(*, page_id=None, since=None):
    """Totals per (page, block, variant) with rates, busiest first."""
    from .models import VariantStat

    rows = VariantStat.objects.all()
    if page_id:
        rows = rows.filter(page_id=page_id)
    if since:
        rows = rows.filter(day__gte=since)
    return (
        rows.values("page_id", "block", "segment_id")
        .annotate(impressions=Sum("impressions"), clicks=Sum("clicks"), conversions=Sum("conversions"))
        .order_by("page_id", "block", "-impressions")
    )


def wants_all_variants(request) -> bool:
    """?variants=all from a caller holding one of PERSONALIZATION_API_TOKENS (Authorization: Bearer ...)."""
    if request is None or request.GET.get("variants") != "all":
        return False
    return api_token_valid(request)


def api_token_valid(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    token = token.strip().encode()
    return any(hmac.compare_digest(token, allowed.encode()) for allowed in settings.PERSONALIZATION_API_TOKENS)
