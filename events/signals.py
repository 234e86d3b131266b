"""Signals other apps answer. Events own the event records; the landing pages are page types, and
pages belong to cms (DESIGN.md: cms -> events, never the other way), so events ask for them here.
"""

from django.dispatch import Signal

# "Make or refresh the landing pages of these events." Arguments: events (list of Event),
# publish (bool: publish at once rather than leave a draft for review), user (or None).
# A receiver returns a list of (event, page, what_happened) tuples; what_happened is "created",
# "updated" or "unchanged".
landing_pages_requested = Signal()

# An event's details changed (after commit): receivers keep what they derived from it in step.
# Argument: event_ids (list of ints).
events_changed = Signal()
