"""The touches of a person: what marketing did that the person answered, in time order.

Four kinds count (issue 18 item 5):
- a visit: each day the person's browser viewed pages (reports.models.DailyVisitor, one row per visitor
  id per day), with that day's first attribution (channel, source, campaign). A day is one visit: the
  simplest reading that the rollup answers without scanning page views; two visits on one day from
  different campaigns count as the day's first.
- a form fill: a form submission or a gated download (Interaction form_submit / content_download), with
  the attribution its lead carried (UTM and referrer) and the form or content item as its content.
- an event attended (Interaction event_attended; its object is the event). Channel "Events".
- an email click (Interaction email_click; its object is the campaign email). Channel Email.

Email opens, registrations without attendance, page views inside a visit, tags and calls are not touches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from leads.models import Interaction, Lead

from ..channels import EMAIL, channel_of
from ..models import DailyVisitor

VISIT = "visit"
FORM_FILL = "form_fill"
EVENT = "event"
EMAIL_CLICK = "email_click"

KIND_LABELS = {VISIT: "Visit", FORM_FILL: "Form fill", EVENT: "Event attended", EMAIL_CLICK: "Email click"}
# Equal times are ordered by kind (a visit leads to the form it shows) and then by their row, so the
# order, and with it every model's shares, never depends on how the database returned the rows.
KIND_ORDER = {VISIT: 0, FORM_FILL: 1, EMAIL_CLICK: 2, EVENT: 3}
EVENTS_CHANNEL = "Events"  # what an attended event counts under in the channel table
FORM_TYPES = (Interaction.Type.FORM_SUBMIT, Interaction.Type.CONTENT_DOWNLOAD)
TOUCH_TYPES = (*FORM_TYPES, Interaction.Type.EVENT_ATTENDED, Interaction.Type.EMAIL_CLICK)


@dataclass(frozen=True, slots=True)
class Touch:
    at: object  # aware datetime
    kind: str
    row: int  # the DailyVisitor or Interaction id: the tie-breaker for equal times
    channel: str
    campaign: tuple[str, str] | None = None  # (key, label)
    content: tuple[str, str] | None = None
    event: tuple[str, str] | None = None

    @property
    def order(self):
        return (self.at, KIND_ORDER[self.kind], self.row)


def referrer_domain(referrer: str) -> str:
    """The host of a referrer URL (or of a bare host), lower-case, without www."""
    referrer = (referrer or "").strip()
    if not referrer:
        return ""
    host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    return host.removeprefix("www.")[:253]


def _utm_campaign(name: str):
    name = (name or "").strip()
    return (f"utm:{name.lower()}", name) if name else None


def _object(object_type: str, object_id: str, label: str, fallback: str):
    if not object_id and not label:
        return None
    return (f"{object_type}:{object_id}", label or f"{fallback} {object_id}")


def touches_of(person_ids, until) -> dict[int, list[Touch]]:
    """Each person's touches before `until` (aware datetime), in time order."""
    found = defaultdict(list)
    person_ids = list(person_ids)
    if not person_ids:
        return found
    visits = DailyVisitor.objects.filter(person_id__in=person_ids, first_at__lt=until).values_list(
        "id", "person_id", "first_at", "channel", "campaign"
    )
    for row, person_id, at, channel, campaign in visits:
        found[person_id].append(Touch(at, VISIT, row, channel, _utm_campaign(campaign)))
    interactions = list(
        Interaction.objects.filter(person_id__in=person_ids, type__in=TOUCH_TYPES, occurred_at__lt=until).values_list(
            "id",
            "person_id",
            "type",
            "occurred_at",
            "object_type",
            "object_id",
            "object_label",
            "properties",
            "lead_id",
        )
    )
    # The leads' attribution in a second look-up by primary key: joining leads in the first one made
    # PostgreSQL hash the whole lead table for every batch.
    lead_ids = {values[-1] for values in interactions if values[-1] is not None}
    leads = {
        lead_id: rest
        for lead_id, *rest in Lead.objects.filter(pk__in=lead_ids).values_list(
            "id", "utm_source", "utm_medium", "utm_campaign", "referrer"
        )
    }
    for *values, lead_id in interactions:
        found[values[1]].append(_interaction_touch(*values, leads.get(lead_id)))
    for touches in found.values():
        touches.sort(key=lambda touch: touch.order)
    return found


def _interaction_touch(row, person_id, kind, at, object_type, object_id, label, properties, lead):
    if kind == Interaction.Type.EVENT_ATTENDED:
        return Touch(at, EVENT, row, EVENTS_CHANNEL, event=_object("event", object_id, label, "Event"))
    if kind == Interaction.Type.EMAIL_CLICK:
        email = (f"email:{object_id}", f"Email: {label or object_id}") if object_id or label else None
        return Touch(at, EMAIL_CLICK, row, EMAIL, campaign=email)
    if lead is not None:
        source, medium, campaign, referrer = lead
    else:  # no lead: the UTM the interaction kept
        properties = properties if isinstance(properties, dict) else {}
        source, medium, campaign = (
            str(properties.get(f"utm_{part}") or "") for part in ("source", "medium", "campaign")
        )
        referrer = ""
    channel = channel_of(source=source or "", medium=medium or "", referrer_domain=referrer_domain(referrer or ""))
    content = _object(object_type or "form", object_id, label, (object_type or "form").capitalize())
    return Touch(at, FORM_FILL, row, channel, _utm_campaign(campaign or ""), content=content)
