"""Writing down who gets a campaign before anything is sent: one CampaignRecipient per person in the
audience, pending (with the address as it is now) or left out with the reason.

- PostgreSQL: one INSERT ... SELECT over the audience query, ON CONFLICT DO NOTHING (the unique
  (campaign, person) constraint), so 100,000 people are one statement and no row passes through Python.
- Other databases (SQLite in tests and the demo): the same query read in chunks, bulk_create in batches,
  ignoring conflicts.
- Idempotent: a second call adds nobody twice (a person already recorded keeps their row, even when they
  have become eligible or left out since) and adds whoever joined the audience in between.
- One transaction, with the campaign's row locked: two calls at once wait for each other; a refusal
  (nobody eligible) leaves nothing behind.
- A/B: with subject variants, a random sample of `ab_sample_percent` of the eligible (at least one per
  subject) gets in_test=True and the variants 0..n in turn, so their sizes differ by at most one; the rest
  keep variant NULL until the winner is chosen. Drawn once: a second call leaves the sample as it is.
"""

from __future__ import annotations

import random

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count

from campaigns import eligibility
from campaigns.models import Campaign, CampaignRecipient

from .summary import campaign_audience

BATCH = 2000
Status = CampaignRecipient.Status


def recipients_record(campaign: Campaign) -> dict:
    """Record the campaign's recipients; returns {"recipients": eligible recorded, "left_out": {reason:
    count}, "added": rows written by this call, "in_test": A/B sample size}. Sets campaign.recipients_total
    and campaign.left_out. Raises ValueError naming "audience" when nobody in it can be sent the email."""
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk").first()
        people = campaign_audience(campaign).people().order_by()
        with eligibility.without_jit():  # the same CASE as the live count: compiling it costs more than running it
            if connection.vendor == "postgresql":
                added = _insert_select(campaign, people)
            else:
                added = _insert_batches(campaign, people)
        recipients, left_out = _counts(campaign)
        if not recipients:
            raise ValueError(
                "audience: nobody in this campaign's audience can be sent it"
                + (f" ({', '.join(f'{reason}: {n}' for reason, n in left_out.items())} left out)" if left_out else "")
            )
        in_test = _ab_sample(campaign, recipients)
        campaign.recipients_total, campaign.left_out = recipients, left_out
        Campaign.objects.filter(pk=campaign.pk).update(recipients_total=recipients, left_out=left_out)
    return {"recipients": recipients, "left_out": left_out, "added": added, "in_test": in_test}


# The columns this module sets; every other column of the table gets its model default, so a field
# another part of the app adds to CampaignRecipient needs no change here.
OWN_COLUMNS = ("campaign", "person", "email", "status", "left_out_reason")


def _default_columns() -> list[tuple[str, object]]:
    columns = []
    for model_field in CampaignRecipient._meta.concrete_fields:
        if model_field.primary_key or model_field.name in OWN_COLUMNS:
            continue
        value = model_field.get_default()
        columns.append((model_field.column, model_field.get_db_prep_save(value, connection)))
    return columns


def _insert_select(campaign: Campaign, people) -> int:
    try:
        sql, params = people.values_list("pk", "email", "left_out_reason").query.sql_with_params()
    except EmptyResultSet:  # no include at all: nobody to write
        return 0
    defaults = _default_columns()
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    names = ["campaign_id", "person_id", "email", "status", "left_out_reason", *(column for column, _ in defaults)]
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    default_slots = "".join(", %s" for _ in defaults)
    statement = (
        f"INSERT INTO {table} ({quoted}) "
        f"SELECT %s, a.person_id, LEFT(a.email, 254), "
        f"CASE WHEN a.reason = '' THEN %s ELSE %s END, a.reason{default_slots} "
        f"FROM ({sql}) AS a(person_id, email, reason) "
        f"ON CONFLICT (campaign_id, person_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [campaign.pk, Status.PENDING, Status.LEFT_OUT, *(value for _, value in defaults), *params],
        )
        return cursor.rowcount


def _insert_batches(campaign: Campaign, people) -> int:
    batch = []
    rows = people.values_list("pk", "email", "left_out_reason").iterator(chunk_size=BATCH)
    before = CampaignRecipient.objects.filter(campaign=campaign).count()
    for person_id, email, reason in rows:
        batch.append(
            CampaignRecipient(
                campaign_id=campaign.pk,
                person_id=person_id,
                email=(email or "")[:254],
                status=Status.PENDING if reason == eligibility.ELIGIBLE else Status.LEFT_OUT,
                left_out_reason=reason,
            )
        )
        if len(batch) >= BATCH:
            CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
    # bulk_create with ignore_conflicts does not say how many it wrote.
    return CampaignRecipient.objects.filter(campaign=campaign).count() - before


def _counts(campaign: Campaign) -> tuple[int, dict[str, int]]:
    """(recipients who are not left out, {reason: count} of those who are), from the recorded rows."""
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by()
        .values_list("status", "left_out_reason")
        .annotate(n=Count("pk"))
    )
    recipients, by_reason = 0, {}
    for status, reason, n in rows:
        if status == Status.LEFT_OUT:
            by_reason[reason] = by_reason.get(reason, 0) + n
        else:
            recipients += n
    left_out = {str(reason): by_reason[reason] for reason in eligibility.REASONS if by_reason.get(reason)}
    return recipients, left_out


def sample_size(eligible: int, percent: int, subjects: int) -> int:
    """How many of the eligible are in the A/B test: percent of them (rounded), at least one per subject."""
    percent = max(0, min(int(percent or 0), 100))
    wanted = (eligible * percent + 50) // 100
    return min(eligible, max(wanted, subjects))


def _ab_sample(campaign: Campaign, eligible: int) -> int:
    variants = campaign.subject_variants.count()
    if not variants:
        return 0
    recorded = CampaignRecipient.objects.filter(campaign=campaign, in_test=True)
    if recorded.exists():
        return recorded.count()
    subjects = variants + 1  # the campaign's own subject is variant 0
    ids = list(
        CampaignRecipient.objects.filter(campaign=campaign, status=Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = random.SystemRandom().sample(ids, sample_size(len(ids), campaign.ab_sample_percent, subjects))
    for variant in range(subjects):
        group = chosen[variant::subjects]
        for start in range(0, len(group), BATCH):
            CampaignRecipient.objects.filter(pk__in=group[start : start + BATCH]).update(in_test=True, variant=variant)
    return len(chosen)
