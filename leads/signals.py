"""Signals other apps listen to. The lead store imports nothing of theirs (DESIGN.md), so it says
what changed and lets them react: personalisation refreshes what it cached about a visitor.

Both are sent after the surrounding transaction commits, so a listener reads committed rows
(page_views_written is the exception: see there).
"""

from django.db import transaction
from django.dispatch import Signal

# A visitor id was linked to a person (form fill, import with a visitor id, tracked link).
# Arguments: visitor_id (str), person_id (int), at (datetime).
visitor_identified = Signal()

# Facts about people changed: attributes, scores, grade or stage.
# Argument: person_ids (list of ints), or None for "everybody" (a full rescore).
people_changed = Signal()

# The page-view writer stored a batch (leads.behaviour). Sent INSIDE the batch's transaction, unlike
# the two above: a rollup kept from it (reports) commits with the views or not at all. A receiver must
# not raise (wrap its work in a savepoint).
# Arguments: views (list of (visitor_id, occurred_at) of the batch's page views; "" for no visitor id);
# inserted_table: on PostgreSQL, the name of a temporary table that holds, while the signal is sent, the
# page views with a visitor id this batch inserted (id, visitor_id, occurred_at, person_id),
# without those an earlier, interrupted flush had stored; None elsewhere.
page_views_written = Signal()


def send_after_commit(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))


# "What are the industries called?" The lead store keeps a company's industry as it came (a slug such
# as `banking`, or free text); the names live in a taxonomy another app owns (cms's Industry snippet).
# No arguments. A receiver returns {slug: name}. Read through leads.industries, which caches the answer.
industry_names_requested = Signal()
