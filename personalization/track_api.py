"""POST /api/v1/track: a headless front end reports page views and custom events of one visitor.

Thin: the body is read and checked here (422 naming the field, `events[3].name`), the limits counted,
and personalization.services.tracking decides what is recorded. The body is parsed by hand, as the
forms' submissions are, so that its errors name list items the way a front-end developer writes them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, field_validator, model_validator
from pydantic import ValidationError as SchemaError

from core.edge import ErrorsOut, RowId

from .services.tracking import events_track, track_rate_limited

router = Router(tags=["tracking"])

MAX_EVENTS = 100
MAX_BODY_BYTES = 1024 * 1024  # 100 events at their largest fit; more is not a front end's batch
MAX_PROPERTIES = 20
MAX_AGE = timedelta(hours=24)  # a batch kept offline longer is stale; the visit it belonged to is long over
CLOCK_SKEW = timedelta(minutes=5)  # a visitor's clock may run a little fast

# Text without control characters (NUL, escapes, line breaks): nothing a page or an event carries.
PLAIN = r"^[^\x00-\x1f\x7f-\x9f]*$"
Text = Annotated[str, StringConstraints(max_length=255, pattern=PLAIN)]
PropertyName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
# Numbers within what a JSON reader in any language keeps exactly (2**53). The float's bounds are
# exclusive: a whole number just past them would otherwise round onto them and pass as a float.
PropertyValue = (
    Annotated[str, StringConstraints(max_length=255, pattern=PLAIN)]
    | Annotated[int, Field(ge=-(2**53), le=2**53)]
    | Annotated[float, Field(gt=-(2**53), lt=2**53, allow_inf_nan=False)]
    | bool
    | None
)
PROPERTY_VALUE_PROBLEM = "must be text (at most 255 characters, no control characters), a number, true, false or null"


# The body's models are pydantic's own, strict (no "7" for 7): ninja's Schema hands its validator a Python
# object, where strict mode would refuse even a time written as JSON text.
class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: uuid.UUID | None = Field(
        None,
        description="Your id for the event (a UUID): a batch sent again after a lost answer is recorded once",
    )
    at: AwareDatetime | None = Field(
        None,
        description="When it happened, with its offset; at most 24 hours ago and not in the future. "
        "Leave it out for now",
    )

    @field_validator("at")
    @classmethod
    def _recent(cls, at):
        now = timezone.now()
        if at is not None and at > now + CLOCK_SKEW:
            raise ValueError("is in the future (more than 5 minutes ahead of the server's clock)")
        if at is not None and at < now - MAX_AGE:
            raise ValueError("is more than 24 hours ago: events that old are not taken")
        return at


class PageViewIn(EventIn):
    type: Literal["page_view"]
    path: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^/[^\x00-\x1f\x7f-\x9f?#]*$")] = (
        Field(description="The page's path, e.g. /pricing/ (no query string: UTM parameters have fields of their own)")
    )
    title: Text = ""
    referrer: Annotated[str, StringConstraints(max_length=2000, pattern=PLAIN)] = Field(
        "", description="The page the visitor came from (document.referrer); only its host is kept"
    )
    page_id: RowId | None = Field(None, description="The page's id in the content API, if the page is one of ours")
    utm_source: Text = ""
    utm_medium: Text = ""
    utm_campaign: Text = ""
    utm_term: Text = ""
    utm_content: Text = ""


class CustomEventIn(EventIn):
    type: Literal["custom_event"]
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = Field(
        description="What happened, in lower-case letters, digits and underscores: trial_started"
    )
    properties: dict[PropertyName, PropertyValue] = Field(
        default_factory=dict,
        max_length=MAX_PROPERTIES,
        description="At most 20 flat values (text up to 255 characters, numbers, true/false, null)",
    )


Event = Annotated[PageViewIn | CustomEventIn, Field(discriminator="type")]


class TrackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    visitor_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = Field(
        description="The visitor's id from GET /api/v1/personalization/visitor (the sp_vid cookie's value)"
    )
    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS)

    @model_validator(mode="after")
    def _ids_once(self):
        seen: dict[uuid.UUID, int] = {}
        for index, event in enumerate(self.events):
            if event.id is not None and event.id in seen:
                raise ValueError(f"events[{index}].id: the same id as events[{seen[event.id]}]")
            if event.id is not None:
                seen[event.id] = index
        return self


class TrackOut(Schema):
    recorded: int = Field(description="Events kept for the lead store (written within seconds)")
    reason: str | None = Field(
        description="Why nothing was recorded: robot, no_consent, global_privacy_control, buffer_unavailable, "
        "recording_off; null when recorded"
    )


EXAMPLE_VISITOR = "v_3nDq8Zr0aXbT5mWc1yHk2LpE"
EXAMPLES = {
    "page views": {
        "summary": "Two page views, the second from a campaign",
        "value": {
            "visitor_id": EXAMPLE_VISITOR,
            "events": [
                {"type": "page_view", "path": "/whitepapers/state-of-revops-2026/", "title": "State of RevOps 2026"},
                {
                    "type": "page_view",
                    "path": "/pricing/",
                    "title": "Pricing",
                    "referrer": "https://news.example/article",
                    "utm_source": "newsletter",
                    "utm_campaign": "q4",
                },
            ],
        },
    },
    "custom event": {
        "summary": "A custom event with properties, sent with an id so a retry is recorded once",
        "value": {
            "visitor_id": EXAMPLE_VISITOR,
            "events": [
                {
                    "type": "custom_event",
                    "id": "3f2b8c1e-7d4a-4f6b-9a0e-5c1d2e3f4a5b",
                    "name": "trial_started",
                    "properties": {"plan": "team", "seats": 5},
                }
            ],
        },
    },
}


def _inline(schema: dict, definitions: dict | None = None):
    """The body's JSON schema with its $defs written in place: an OpenAPI document resolves "#/..."
    from its own root, where pydantic's $defs are not."""
    definitions = schema.pop("$defs", {}) if definitions is None else definitions
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(dict(definitions[ref.removeprefix("#/$defs/")]), definitions)
        # The discriminator's mapping names $defs too; the branches' own `type` constants say the same.
        return {
            key: _inline(value, definitions) if key != "discriminator" else {"propertyName": value["propertyName"]}
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


TRACK_SCHEMA = _inline(TrackIn.model_json_schema())


@router.post(
    "",
    response={202: TrackOut, 400: ErrorsOut, 413: ErrorsOut, 422: ErrorsOut, 429: ErrorsOut},
    summary="Record page views and custom events of a visitor",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TRACK_SCHEMA, "examples": EXAMPLES}},
        }
    },
)
def track(request):
    """Up to 100 events of one visitor, written to the lead store in batches within seconds (202).

    Under the site's consent rules: without consent (opt-in mode), with Global Privacy Control or from
    a crawler the call is accepted and records nothing (`recorded` 0, `reason` says why). Bad input is
    a 422 naming the field (`events[3].name`); too many events for a visitor or an address, a 429."""
    if _declared_length(request) > MAX_BODY_BYTES:
        return Status(413, {"errors": {"__all__": [f"The body is larger than {MAX_BODY_BYTES} bytes."]}})
    if not request.body:
        message = "The body is empty: send a JSON object with visitor_id and events."
        return Status(422, {"errors": {"__all__": [message]}})
    try:
        body = TrackIn.model_validate_json(request.body)
    except SchemaError as error:
        return Status(422, {"errors": schema_errors(error)})
    limited = track_rate_limited(request, body.visitor_id, len(body.events))
    if limited is not None:
        return Status(
            429, {"errors": {"__all__": [f"Too many events from this {limited}; try again in a few minutes."]}}
        )
    tracked = events_track(request, body.visitor_id, body.events, now=timezone.now())
    return Status(202, {"recorded": tracked.recorded, "reason": tracked.reason})


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


TAGS = {"page_view", "custom_event"}
PATTERN_PROBLEMS = {
    "visitor_id": "must be the visitor id the personalisation API handed out (8 to 64 letters, digits, _ or -)",
    "path": "must be a path starting with / (no query string, no control characters), e.g. /pricing/",
    "name": "must be lower-case letters, digits and underscores, starting with a letter, e.g. trial_started",
    "[key]": "property names are letters, digits and underscores, starting with a letter (at most 40)",
    "": "must not contain control characters (NUL, line breaks, escapes)",
}
# How pydantic names the branches of PropertyValue in an error's location.
VALUE_BRANCHES = {"str", "constrained-str", "int", "constrained-int", "float", "constrained-float", "bool", "none"}


def schema_errors(error: SchemaError) -> dict[str, list[str]]:
    """pydantic's errors named as a client writes the field: events[3].name, events[0].properties.plan."""
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        loc = list(problem.get("loc", ()))
        message = problem.get("msg", "Invalid value").removeprefix("Value error, ")
        if problem.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc.append("type")
            message = "must be page_view or custom_event"
        if problem.get("type") == "string_pattern_mismatch":  # the pattern itself says little to a person
            named = [part for part in loc if isinstance(part, str)]
            message = PATTERN_PROBLEMS.get(named[-1] if named else "", PATTERN_PROBLEMS[""])
        if loc and loc[-1] in VALUE_BRANCHES:  # a property value no branch of the union took: one message
            loc, message = loc[:-1], PROPERTY_VALUE_PROBLEM
        if ": " in message and message.startswith("events["):  # a check across events names its own field
            name, message = message.split(": ", 1)
        else:
            name = _field_name(loc)
        if message not in errors.get(name, ()):
            errors.setdefault(name, []).append(message)
    return errors


def _field_name(loc: list) -> str:
    name = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            name += f"[{part}]"
        elif part in TAGS and position and isinstance(loc[position - 1], int):
            continue  # the union's branch, which the client did not write
        elif part == "[key]":
            continue
        else:
            name += f".{part}" if name else str(part)
    return name or "__all__"
