"""Reads for personalisation: the audience of a segment being edited, variant statistics, API access."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import Sum

from .rule_queries import people_matching
from .rules import ParsedRule, parse_rule

SAMPLE_SIZE = 8
# What the sample shows (views.audience_sample): nothing wider is read.
SAMPLE_FIELDS = ("first_name", "last_name", "email", "grade", "stage", "fit_score", "interest_score", "company__name")


@dataclass
class Audience:
    count: int
    sample: list
    errors: dict  # rule number -> {field: message}


def segment_audience(rules: list[dict], match: str, *, sample_size: int = SAMPLE_SIZE) -> Audience:
    """Known people matching rules as typed in the editor (not yet saved): how many, and the best-scored
    few (see count_and_best)."""
    people, errors = matching_people(rules, match)
    if people is None:
        return Audience(0, [], errors)
    try:
        count, sample = count_and_best(people, sample_size)
    except DatabaseError:  # e.g. SQLite's expression limit with very many rules and values
        return Audience(0, [], {"all": {"rules": "Too many rules and values to count at once: simplify them."}})
    return Audience(count, sample, errors)


def matching_people(rules: list[dict], match: str):
    """(queryset of the people the typed rules match, errors per rule number); no queryset when a rule
    is refused or there is none."""
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
        return None, errors
    return people_matching(parsed, "any" if match == "any" else "all"), errors


def audience_statement(people, size: int = SAMPLE_SIZE) -> tuple[str, list]:
    """(SQL, params) of count_and_best's one statement: rows of (count of all, id, fit, interest)."""
    sql, params = people.order_by().values_list("pk", "fit_score", "interest_score").query.sql_with_params()
    return (
        f"WITH matched AS MATERIALIZED ({sql}) SELECT (SELECT COUNT(*) FROM matched), m.* FROM matched m"
        " ORDER BY 3 DESC, 4 DESC, 2 LIMIT %s",
        [*params, size],
    )


# Memory for the audience statement's hash tables on PostgreSQL. Rules under "any" or "not" are hashed
# subplans (a set of person ids tested per person); one that does not fit work_mem (4 MB by default,
# about 100,000 ids) is not hashed but scanned once per person: at 1M people, "not opened an email in
# 30 days" with four other rules took over 40 s at 4 MB and 7 s at 64 MB (on a loaded machine). And no
# JIT: a five-rule statement costs enough to be compiled, which took 0.47 s of its 5 s, every time.
AUDIENCE_WORK_MEM = "64MB"


def _with_room(sql: str) -> str:
    """The statement preceded by its SET LOCALs, sent together: one round trip, and the settings end
    with the statement's implicit transaction (or, inside a transaction, with that). Only with
    client-side parameter binding (Django's default for psycopg), which allows several statements."""
    if connection.vendor != "postgresql" or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
        return sql
    return f"SET LOCAL work_mem = '{AUDIENCE_WORK_MEM}'; SET LOCAL jit = off; {sql}"


def count_and_best(people, size: int) -> tuple[int, list]:
    """The number of people in `people` and the `size` best-scored of them, evaluating its conditions
    once: they are kept (id and scores only) in a materialised CTE that gives both the count and the
    top. A COUNT and a sample query read the interactions of behaviour rules twice; a window count
    over the matches buffers every whole row and loses parallel plans (at 1M people / 20M interactions,
    "downloaded topic:ai in 30 days": COUNT 1.1 s + sample 2.6 s, window 18 s, this 0.8 s). The few
    people are then read by id."""
    from leads.models import Person

    sql, params = audience_statement(people, size)
    with connection.cursor() as cursor:
        cursor.execute(_with_room(sql), params)
        while cursor.description is None and cursor.nextset():  # past the SET to the rows
            pass
        rows = cursor.fetchall()
    if not rows:
        return 0, []
    ids = [row[1] for row in rows]
    found = Person.objects.select_related("company").only(*SAMPLE_FIELDS).in_bulk(ids)
    return rows[0][0], [found[pk] for pk in ids if pk in found]


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
