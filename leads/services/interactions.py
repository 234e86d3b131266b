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
