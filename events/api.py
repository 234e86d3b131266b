"""Headless events: the listing, one event with its registration form, and registering.

Registering runs the same journey as the landing page (forms' validation, consent, spam rules,
lead capture), then the same registration service, so the seat rules cannot drift apart.
"""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from core.edge import PARAMETER_ERRORS, ErrorsOut, RowId
from forms.api.forms import SubmissionIn, _visitor, definition_for, submission_take

from . import links
from .models import Event, Registration
from .representation import SPEAKER_PHOTO, event_representation, registration_forms, with_details
from .selectors import (
    events_past,
    events_upcoming,
    registration_asset,
    registration_for_person,
    registration_form_for,
)
from .services import RegistrationClosed, registration_from_lead

router = Router(tags=["events"])
MAX_PAGE = 100


class EventListIn(Schema):
    when: str = Field("upcoming", pattern="^(upcoming|past)$")
    type: str = Field("", pattern="^(|in_person|conference|webinar)$")
    topic: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=100_000)


class EventListOut(Schema):
    count: int
    items: list[dict[str, Any]]


class RegistrationIn(SubmissionIn):
    invite: str = Field("", max_length=200, description="A salesperson's personal invite token (?invite=)")


class RegistrationOut(Schema):
    status: str = Field(description="approved, pending, waitlisted, rejected, attended (an existing registration)")
    created: bool = Field(description="False: this address was already registered; nothing changed")
    message: str
    lead_id: str | None
    visitor_id: str
    ticket_url: str | None = Field(description="The ticket with its QR code (approved registrations)")
    cancel_url: str = Field(description="A signed link to cancel the registration")


def _events():
    return Event.objects.exclude(status=Event.Status.DRAFT).prefetch_related("topics")


@router.get("", response={200: EventListOut, **PARAMETER_ERRORS}, summary="Upcoming or past events")
def events_list(request, filters: Query[EventListIn]):
    events = (events_past() if filters.when == "past" else events_upcoming()).prefetch_related("topics")
    if filters.type:
        events = events.filter(type=filters.type)
    if filters.topic:
        events = events.filter(tagged_topics__tag__slug=filters.topic).distinct()
    if filters.city:
        events = events.filter(city__iexact=filters.city)
    page = list(
        with_details(events, SPEAKER_PHOTO).select_related("landing_page", "registration_form")[
            filters.offset : filters.offset + filters.limit
        ]
    )
    forms = registration_forms(page)
    return {"count": events.count(), "items": [event_representation(event, form=forms[event.pk]) for event in page]}


@router.get(
    "/{event_id}",
    response={200: dict[str, Any], 404: ErrorsOut, **PARAMETER_ERRORS},
    summary="An event, for this visitor",
)
def event_detail(request, response: HttpResponse, event_id: RowId, visitor_id: str = "", country: str = ""):
    """The event, its registration form for this visitor, and their registration if they have one."""
    # This visitor's form and registration: no shared cache may keep them, nor the browser reuse them.
    patch_cache_control(response, private=True, no_store=True)
    event = get_object_or_404(with_details(_events(), SPEAKER_PHOTO).select_related("landing_page"), pk=event_id)
    visitor, _ = _visitor(request, visitor_id, country)
    form_page = registration_form_for(event)
    data = event_representation(event, form=form_page)
    closed = event.registration_closed_reason()
    data["form"] = definition_for(request, form_page, visitor) if form_page is not None and not closed else None
    registration = registration_for_person(event, visitor.person)
    data["my_registration"] = (
        _registration_out(registration, created=False, visitor_id=visitor.visitor_id, lead_id=None)
        if registration
        else None
    )
    return Status(200, data)


@router.post(
    "/{event_id}/registrations",
    response={
        201: RegistrationOut,
        200: RegistrationOut,
        400: ErrorsOut,
        404: ErrorsOut,
        409: ErrorsOut,
        413: ErrorsOut,
        422: ErrorsOut,
        429: ErrorsOut,
    },
    summary="Register for an event",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RegistrationIn.model_json_schema()}},
        }
    },
)
def event_register(request, event_id: RowId):
    """Answers of the registration form (see the event's `form`). 201 with the registration's status
    (approved, pending approval or waitlisted); 200 when the address was already registered; 409
    when registration is closed; 422 with field -> messages for bad answers."""
    event = get_object_or_404(Event.objects.exclude(status=Event.Status.DRAFT), pk=event_id)
    form_page = registration_form_for(event)
    closed = event.registration_closed_reason()
    if closed or form_page is None:
        return Status(409, {"errors": {"__all__": [closed or "This event takes no registrations."]}})
    taken = submission_take(request, form_page, RegistrationIn, confirm=False, asset=registration_asset(event))
    if taken.problem is not None:
        return taken.problem
    if taken.result.lead is None:  # the honeypot: tell a bot nothing
        return Status(
            201,
            {
                "status": "pending",
                "created": True,
                "message": "Thank you.",
                "lead_id": None,
                "visitor_id": taken.visitor.visitor_id,
                "ticket_url": None,
                "cancel_url": "",
            },
        )
    try:
        outcome = registration_from_lead(
            event,
            taken.result.lead,
            source=Registration.Source.API,
            visitor_id=taken.visitor.visitor_id,
            invited_by=links.inviter_from_token(taken.body.invite),
        )
    except (RegistrationClosed, ValueError) as error:
        return Status(409, {"errors": {"__all__": [getattr(error, "message", str(error))]}})
    return Status(
        201 if outcome.created else 200,
        _registration_out(
            outcome.registration,
            created=outcome.created,
            visitor_id=taken.visitor.visitor_id,
            lead_id=taken.result.lead.lid,
        ),
    )


MESSAGES = {
    Registration.Status.APPROVED: "You're registered. We've emailed your ticket.",
    Registration.Status.ATTENDED: "You're registered and checked in.",
    Registration.Status.PENDING: "Thank you: places are confirmed by our team and we'll email you.",
    Registration.Status.WAITLISTED: "The event is full: you're on the waitlist and we'll email you if a seat opens.",
    Registration.Status.REJECTED: "We can't offer you a place at this event.",
    Registration.Status.NO_SHOW: "The event is over.",
}


def _registration_out(registration: Registration, *, created: bool, visitor_id: str, lead_id) -> dict:
    return {
        "status": registration.status,
        "created": created,
        "message": MESSAGES.get(registration.status, ""),
        "lead_id": lead_id,
        "visitor_id": visitor_id,
        "ticket_url": links.ticket_url(registration) if registration.holds_seat else None,
        "cancel_url": links.cancel_url(registration),
    }
