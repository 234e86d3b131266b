"""Forms of the events admin: the event form's landing-page choice, registering someone, the door.

They validate what staff type (the edge); the services still normalise and check the address, and a
service's complaint about it is shown on the email field.
"""

from urllib.parse import unquote

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from .imports import can_publish_pages
from .links import MAX_TOKEN_LENGTH

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


class EventAdminForm(WagtailAdminModelForm):
    """The event form plus one question that is not a field of the event: what to do with its page."""

    landing_page = forms.ChoiceField(
        label="Landing page", choices=NEW_PAGE_CHOICES, widget=forms.RadioSelect,
        help_text="The page visitors register on. Its dates, place, agenda and speakers always come from this event.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["landing_page"]
        field.choices = landing_page_choices(self.instance, self.for_user)
        if existing_landing_page(self.instance) is not None:
            field.initial = LANDING_KEEP
            field.help_text = ("This event has a landing page. Title changes reach it by themselves; publishing "
                               "makes the page's latest draft live.")
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
        max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}),
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
