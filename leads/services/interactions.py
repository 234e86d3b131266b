"""Interactions recorded outside a form fill: a gated download by a known person, a page view."""

from django.db import transaction
from django.utils import timezone

from leads.cleaning import clean_text
from leads.models import Interaction, Person

from .capture import topics_text
from .identity import valid_visitor_id
from .lifecycle import stage_rules_apply
from .scoring import person_rescore


def interaction_record(
    *,
    type: str,
    person: Person | None = None,
    visitor_id: str = "",
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    object_topics=(),
    properties: dict | None = None,
    occurred_at=None,
    rescore: bool = True,
) -> Interaction:
    """Record what a person (or an anonymous visitor) did. A known person is rescored and the stage
    rules run, so whatever raised the score (a check-in, a re-download) can make them an MQL."""
    with transaction.atomic():
        interaction = Interaction.objects.create(
            type=clean_text(type, 40)[0],
            occurred_at=occurred_at or timezone.now(),
            person=person,
            visitor_id=valid_visitor_id(clean_text(visitor_id, 64)[0]),
            object_type=clean_text(object_type, 40)[0],
            object_id=clean_text(object_id, 64)[0],
            object_label=clean_text(object_label, 255)[0],
            object_topics=topics_text(object_topics),
            properties=properties or {},
        )
        if person is not None and rescore:
            person_rescore(person)
            stage_rules_apply(person)
    return interaction


def interactions_record_many(rows: list[dict]) -> set[int]:
    """Record many interactions at once for a batch writer (campaign email's opens and clicks), without
    rescoring: the caller rescores the people returned once for its batch (people_rescore, then
    people_stage_rules_apply). Each row is Interaction's fields with an `event_id`: a row whose event id
    is stored already is left alone, so a batch written twice counts once."""
    interactions = [
        Interaction(
            type=clean_text(row["type"], 40)[0],
            occurred_at=row["occurred_at"],
            person_id=row.get("person_id"),
            object_type=clean_text(row.get("object_type", ""), 40)[0],
            object_id=clean_text(row.get("object_id", ""), 64)[0],
            object_label=clean_text(row.get("object_label", ""), 255)[0],
            object_topics=topics_text(row.get("object_topics", ())),
            properties=row.get("properties") or {},
            event_id=row["event_id"],
        )
        for row in rows
    ]
    Interaction.objects.bulk_create(interactions, batch_size=1000, ignore_conflicts=True)
    return {row.person_id for row in interactions if row.person_id}
