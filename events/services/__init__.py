"""Writes of the events app. Views, the API, the admin and commands call these."""

from .checkin import CheckIn, NotAdmitted, registration_check_in
from .emails import email_queue
from .events import event_cancel, event_saved, landing_pages_generate
from .registrations import (
    RegistrationClosed,
    RegistrationOutcome,
    registration_approve,
    registration_cancel,
    registration_create,
    registration_from_lead,
    registration_on_behalf,
    registration_reject,
    seats_recount,
    waitlist_promote,
)
from .schedule import event_schedule_run

__all__ = [
    "CheckIn",
    "NotAdmitted",
    "RegistrationClosed",
    "RegistrationOutcome",
    "email_queue",
    "event_cancel",
    "event_saved",
    "event_schedule_run",
    "landing_pages_generate",
    "registration_approve",
    "registration_cancel",
    "registration_check_in",
    "registration_create",
    "registration_from_lead",
    "registration_on_behalf",
    "registration_reject",
    "seats_recount",
    "waitlist_promote",
]
