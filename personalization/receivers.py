"""Listening to the lead store: identification and changed people refresh what we cached."""

import logging

from django.dispatch import receiver

from leads.signals import people_changed, visitor_identified

from . import services

logger = logging.getLogger(__name__)


@receiver(visitor_identified)
def _visitor_identified(sender, visitor_id, person_id, at=None, source="lead", **kwargs):
    try:
        services.visitor_identified(visitor_id=visitor_id, person_id=person_id, credit_conversions=source == "lead")
    except Exception:  # the lead is stored and processed; personalisation catches up later
        logger.exception("Could not refresh the personalisation state of visitor %s", visitor_id)


@receiver(people_changed)
def _people_changed(sender, person_ids, **kwargs):
    try:
        services.people_changed(person_ids)
    except Exception:  # as above: a stale cache entry expires on its own
        logger.exception("Could not refresh the personalisation state of %s people", len(person_ids or ()))


def _segments_changed(sender, **kwargs):
    from django.db import transaction

    from .segments import segments_changed

    # At once for this process, and again after commit: a request in between may have cached the
    # version it read before the commit.
    segments_changed()
    transaction.on_commit(segments_changed)


def connect_segment_signals():
    from django.db.models.signals import post_delete, post_save

    from .models import Segment, SegmentRule

    for model in (Segment, SegmentRule):
        post_save.connect(_segments_changed, sender=model, dispatch_uid=f"pz-changed-{model.__name__}")
        post_delete.connect(_segments_changed, sender=model, dispatch_uid=f"pz-deleted-{model.__name__}")


connect_segment_signals()
