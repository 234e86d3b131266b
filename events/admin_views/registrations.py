"""The registrations listing (Events → Registrations; the approval queue is it filtered on pending),
its export and the editor for typos. Addresses are masked without leads.view_personal_data."""

from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView

from leads.admin_privacy import PersonalDataIndexView
from leads.privacy import mask_email

from ..models import Registration
from .common import checked_in_text, shown_name


class EditOnlyPolicy(ModelPermissionPolicy):
    """Seen and edited in the admin, never added or deleted through Wagtail's generic views:
    - registrations are records: people register through the landing page, "Register someone" or at
      the door, and leave through cancellation, which frees their seat (a deleted row would keep it);
      "Register someone" checks events.add_registration itself;
    - event emails: one wording per kind, made by the data migration; switched off, not deleted."""

    BLOCKED_ACTIONS = {"add", "delete"}

    def user_has_permission(self, user, action):
        return action not in self.BLOCKED_ACTIONS and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, set(actions) - self.BLOCKED_ACTIONS)


def user_cell(field_name):
    def accessor(registration):
        user = getattr(registration, field_name)
        return get_user_display_name(user) if user is not None else ""

    return accessor


REGISTRATION_COLUMNS = [
    "name",
    "email",
    "company",
    Column("event", label="Event", accessor="event", sort_key="event__starts_at"),
    Column("status", label="Status", accessor="get_status_display", sort_key="status"),
    Column("source", label="Source", accessor="get_source_display", sort_key="source"),
    Column(
        "registered_at",
        label="Registered",
        sort_key="registered_at",
        accessor=lambda registration: f"{timezone.localtime(registration.registered_at):%Y-%m-%d %H:%M}",
    ),
    Column("checked_in", label="Checked in", accessor=checked_in_text, sort_key="checked_in_at"),
    Column("invited_by", label="Invited by", accessor=user_cell("invited_by")),
]
REGISTRATION_EXPORT = [
    "event",
    "first_name",
    "last_name",
    "email",
    "company",
    "job_title",
    "get_status_display",
    "get_source_display",
    "registered_at",
    "decided_at",
    "rejection_reason",
    "cancelled_at",
    "checked_in_at",
    "checked_in_by",
    "registered_by",
    "invited_by",
]
REGISTRATION_EXPORT_HEADINGS = {
    "get_status_display": "Status",
    "get_source_display": "Source",
    "checked_in_at": "Checked in at",
    "checked_in_by": "Checked in by",
}


class RegistrationFilterSet(WagtailFilterSet):
    """The registrations listing's filters (also what "select all in listing" selects from)."""

    class Meta:
        model = Registration
        fields = ["event", "status", "source"]


def registrations_for_listing(request):
    return Registration.objects.select_related("event", "checked_in_by", "invited_by", "registered_by")


def mask_name(value) -> str:
    text = str(value or "")
    return mask_email(text) if "@" in text else text


class RegistrationIndexView(PersonalDataIndexView, SnippetIndexView):
    """Listing and export with the personal-data masking (and export audit log) of leads.admin_privacy."""

    masked_fields = {"email": mask_email, "name": mask_name}
    default_ordering = "-registered_at"  # newest first: the listing is mostly read to see who just came in

    def _masked_column(self, column):
        if isinstance(column, TitleColumn):
            # Keep the link to the registration: mask what the title shows, not the column.
            name = column.name
            column.accessor = lambda instance: self.mask(name, getattr(instance, name, ""))
            return column
        return super()._masked_column(column)


class RegistrationEditView(SnippetEditView):
    """Typos in names, company and job title only: the status changes through the bulk actions."""

    def get_page_subtitle(self):
        return f"{shown_name(self.object, self.request.user)} at {self.object.event.title}"

    def get_success_message(self):
        return f"Registration of {shown_name(self.object, self.request.user)} updated."
