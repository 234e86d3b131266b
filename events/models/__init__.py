"""Events, their speakers and agenda, registrations, and the wording of the emails sent about them
(the emails themselves are rows of the product's outbox: outbox.models.OutgoingEmail).

An event is the record marketers fill in; its landing page (a cms page type) is generated from it
and reads the details from here on every view, so the page never holds a stale copy.

Split by what the rows are (each module says more): event.py (the event, its topics and agenda
sessions), speakers.py, registrations.py (people's places at events), emails.py (the wording of
event emails), reminders.py (when reminders go out). Import models from here:
`from events.models import Event`.
"""

from .emails import EmailKind, EventEmailTemplate
from .event import Event, EventSession, EventTopic
from .registrations import Registration, new_secret
from .reminders import validate_offsets
from .speakers import Speaker

__all__ = [
    "EmailKind",
    "Event",
    "EventEmailTemplate",
    "EventSession",
    "EventTopic",
    "Registration",
    "Speaker",
    # Named by the migrations (events.models.new_secret, events.models.validate_offsets).
    "new_secret",
    "validate_offsets",
]
