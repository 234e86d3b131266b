"""Forms of the events admin: the event form's landing-page choice, registering someone, the door.

They validate what staff type (the edge); the services still normalise and check the address, and a
service's complaint about it is shown on the email field.
"""

import zoneinfo
from urllib.parse import unquote

from django import forms
from django.conf import settings
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import InlinePanel
from wagtail.admin.panels.base import get_form_for_model

from .links import MAX_TOKEN_LENGTH
from .models.event import TIME_ZONES
from .permissions import can_publish_pages

# What to do with the event's landing page when the event is saved.
LANDING_DRAFT = "draft"
LANDING_PUBLISH = "publish"
LANDING_LATER = "later"
LANDING_KEEP = "keep"

NEW_PAGE_CHOICES = [
    (LANDING_DRAFT, "Generate it as a draft for review"),
    (LANDING_PUBLISH, "Generate and publish it"),
    (LANDING_LATER, "Don't generate it yet"),
]
EXISTING_PAGE_CHOICES = [
    (LANDING_KEEP, "Keep it as it is"),
    (LANDING_PUBLISH, "Publish the page now"),
]


def existing_landing_page(event):
    """The event's generated page, or None (the reverse accessor raises when there is none)."""
    if event is None or not event.pk:
        return None
    return getattr(event, "landing_page", None)


def landing_page_choices(event, user) -> list[tuple[str, str]]:
    """What may be done with the event's page: publishing it is publishing a page, so only for people
    who may publish pages (the others leave a draft for an editor)."""
    choices = EXISTING_PAGE_CHOICES if existing_landing_page(event) is not None else NEW_PAGE_CHOICES
    if not can_publish_pages(user):
        choices = [(value, label) for value, label in choices if value != LANDING_PUBLISH]
    return choices


EVENT_TIMES = ("starts_at", "ends_at", "registration_deadline")
SESSION_TIMES = ("starts_at", "ends_at")


def typed_zone(data, instance_zone: str) -> zoneinfo.ZoneInfo:
    """The time zone the marketer chose on this form (the event's "Time zone" field), else the stored one."""
    name = (data or {}).get("time_zone") or instance_zone
    try:
        return zoneinfo.ZoneInfo(name) if name in TIME_ZONES else zoneinfo.ZoneInfo(instance_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class EventZoneTimesMixin:
    """Times typed on the event form are wall-clock times where the event happens.

    Django reads a typed 18:00 in the admin user's zone; an 18:00 Berlin meetup entered from a UTC
    admin would become 19:00. So the form shows stored times in the event's zone and reads typed
    ones in the zone chosen on the same form (daylight-saving gaps resolve as zoneinfo does)."""

    zone_fields: tuple = ()

    def _event_zone_name(self) -> str:
        return getattr(self.instance, "time_zone", "") or settings.TIME_ZONE

    def show_in_event_zone(self, zone_name: str):
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name in TIME_ZONES else zoneinfo.ZoneInfo("UTC")
        for name in self.zone_fields:
            value = getattr(self.instance, name, None) if self.instance.pk else None
            if value is not None:
                self.initial[name] = timezone.make_naive(value, zone)

    def read_in_event_zone(self, cleaned: dict, zone) -> None:
        current = timezone.get_current_timezone()
        for name in self.zone_fields:
            value = cleaned.get(name)
            if value is not None:
                cleaned[name] = timezone.make_aware(timezone.make_naive(value, current), zone)


class EventSessionAdminForm(EventZoneTimesMixin, WagtailAdminModelForm):
    """An agenda session inside the event form: its times are in the event's zone too."""

    zone_fields = SESSION_TIMES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event = getattr(self.instance, "event", None) if self.instance.event_id else None
        self.show_in_event_zone(event.time_zone if event is not None else settings.TIME_ZONE)

    def clean(self):
        cleaned = super().clean()
        # The event's zone field is posted with the same form data (the session form is a child of it).
        stored = self.instance.event.time_zone if self.instance.event_id else settings.TIME_ZONE
        self.read_in_event_zone(cleaned, typed_zone(self.data, stored))
        return cleaned


class SessionsPanel(InlinePanel):
    """The agenda inside the event form, with session times read in the event's zone."""

    def get_form_options(self):
        options = super().get_form_options()
        formset = options["formsets"][self.relation_name]
        child = self.child_edit_handler.get_form_options()
        formset["form"] = get_form_for_model(
            self.db_field.related_model,
            form_class=EventSessionAdminForm,
            fields=formset["fields"],
            widgets=formset["widgets"],
            defer_required_on_fields=child.get("defer_required_on_fields", []),
        )
        return options


class EventAdminForm(EventZoneTimesMixin, WagtailAdminModelForm):
    """The event form plus one question that is not a field of the event: what to do with its page."""

    zone_fields = EVENT_TIMES

    def clean(self):
        cleaned = super().clean()
        self.read_in_event_zone(cleaned, typed_zone(self.data, self._event_zone_name()))
        return cleaned

    landing_page = forms.ChoiceField(
        label="Landing page",
        choices=NEW_PAGE_CHOICES,
        widget=forms.RadioSelect,
        help_text="The page visitors register on. Its dates, place, agenda and speakers always come from this event.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_in_event_zone(self._event_zone_name())
        field = self.fields["landing_page"]
        field.choices = landing_page_choices(self.instance, self.for_user)
        if existing_landing_page(self.instance) is not None:
            field.initial = LANDING_KEEP
            field.help_text = (
                "This event has a landing page. Title changes reach it by themselves; publishing "
                "makes the page's latest draft live."
            )
        else:
            # A new event usually wants its page; an edit should not make one unasked.
            field.initial = LANDING_DRAFT if not self.instance.pk else LANDING_LATER
        if not can_publish_pages(self.for_user):
            field.help_text += " You may not publish pages: an editor publishes the draft."


def landing_page_choice(data, event, user) -> str:
    """The choice the event form accepted, read back after the save (Wagtail's snippet hooks get the
    request, not the form). Anything not offered to this user for this event counts as "do nothing"."""
    value = str(data.get("landing_page") or "")
    return value if value in {choice for choice, _ in landing_page_choices(event, user)} else ""


class PersonForm(forms.Form):
    """Someone registered by staff: the fields of the default registration form."""

    email = forms.EmailField(label="Work email", max_length=254)
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    company = forms.CharField(max_length=200, required=False)

    def fields_for_service(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}

    def service_error(self, error: ValueError) -> None:
        """registration_on_behalf says "email: <problem>" for an address it refuses: show it on the field."""
        message = str(error)
        field, _, text = message.partition(": ")
        if field in self.fields and text:
            self.add_error(field, text)
        else:
            self.add_error(None, message)


class RegisterSomeoneForm(PersonForm):
    job_title = forms.CharField(max_length=200, required=False)
    field_order = ["email", "first_name", "last_name", "company", "job_title"]


class WalkInForm(PersonForm):
    """At the door: quick, so first name, last name, email, company and nothing else."""

    field_order = ["first_name", "last_name", "email", "company"]


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to them in the “Not approved” email (its {{ rejection_reason }} placeholder). "
        "Leave empty to give no reason.",
    )


class ScanForm(forms.Form):
    """A ticket from the camera scanner, a hand scanner (it types the QR code's link) or pasted by hand."""

    ticket = forms.CharField(label="Ticket link or code", max_length=2000, strip=True)

    def clean_ticket(self):
        value = self.cleaned_data["ticket"]
        # The QR code holds the ticket's address, .../e/tickets/<token>/; the token is what we check.
        marker = "/tickets/"
        if marker in value:
            value = unquote(value.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0])
        if not value or len(value) > MAX_TOKEN_LENGTH:
            raise forms.ValidationError("This is not a ticket of ours.")
        return value
