"""A visitor's anonymous story joins the person it turns out to be.

Page views (and custom events) of a browser nobody has identified yet are kept under its visitor id.
When the browser is identified they become the person's, with their original times, so decay scores
them as of when they happened:
- a form fill, an event registration, an import or a webhook carrying the visitor id links the visitor
  to the person (identity.visitor_link, in the lead's processing, which rescores after);
- a tracked link from an email (?sp_t=) identifies the browser for personalisation; its join runs in
  the background (`tracked_link_identified`), rescores and applies the stage rules, because nothing
  else would: no lead is captured.

One browser, two people (a shared computer, a forwarded email): nothing is ever merged automatically,
as docs/lead-store.md says of merges (two identified people are merged only by a person, on purpose).
What was anonymous until the first identification is the first person's; what was recorded for a
person stays theirs; a second identification by a form fill gets its own visitor link and is logged
on `signalpage.identity`, and a tracked link of someone else on a browser already known changes nothing
and is logged too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from leads.models import Interaction, Person, VisitorLink

logger = logging.getLogger("signalpage.identity")


def visitor_history_join(person: Person, visitor_id: str, *, at: datetime) -> int:
    """The visitor's anonymous interactions up to `at` become the person's (their times unchanged);
    returns how many. Uses the (visitor_id, occurred_at) index: a thousand views in a few ms."""
    return Interaction.objects.filter(visitor_id=visitor_id, person__isnull=True, occurred_at__lte=at).update(
        person=person
    )


def shared_browser_log(person: Person, visitor_id: str) -> None:
    """Log a visitor id identified as a second person (called when a new visitor link is made)."""
    others = list(
        VisitorLink.objects.filter(visitor_id=visitor_id).exclude(person=person).values_list("person_id", flat=True)[:5]
    )
    if others:
        logger.info(
            "One browser, two people: visitor %s is now also PID-%s (already %s). Kept apart, not merged: "
            "each keeps what was recorded for them; merge by hand if they are one person.",
            visitor_id,
            person.pk,
            ", ".join(f"PID-{pk}" for pk in others),
        )


def tracked_link_identified(*, person_id: int, visitor_id: str, at: datetime) -> None:
    """A tracked link identified this browser: join its anonymous history in the background (the page
    that was clicked is served without waiting). Enqueued after the request's transaction commits;
    a queue that refuses is logged, never raised into the response."""
    from leads.tasks import visitor_history_join_task

    transaction.on_commit(
        lambda: visitor_history_join_task.enqueue(person_id=person_id, visitor_id=visitor_id, at=at.isoformat()),
        robust=True,
    )


def tracked_link_refused(*, person_id: int, visitor_id: str, known_as: int) -> None:
    logger.info(
        "One browser, two people: a tracked link of PID-%s opened on visitor %s, already PID-%s. Nothing "
        "changed: a link never takes over a browser someone else identified.",
        person_id,
        visitor_id,
        known_as,
    )


def visitor_history_join_now(*, person_id: int, visitor_id: str, at: datetime) -> int:
    """The background half of a tracked link: write the page views still buffered (those before the
    click among them), join, then rescore and apply the stage rules when anything joined."""
    from leads.behaviour import page_views_flush

    from .lifecycle import stage_rules_apply
    from .scoring import person_rescore

    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return 0  # erased or merged away since the click
    page_views_flush()
    with transaction.atomic():
        joined = visitor_history_join(person, visitor_id, at=at)
        if joined:
            person_rescore(person)
            stage_rules_apply(person)
    if joined:
        logger.info("Tracked link: %d interactions of visitor %s joined PID-%s", joined, visitor_id, person_id)
    return joined
