"""What the Events admin screens share: their URLs, how people and times are shown, and the base of
the per-event screens (the door, "Register someone")."""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from leads.privacy import can_view_personal_data, mask_email

from ..models import Event, Registration
from ..permissions import events_visible_to

MAX_QUERY_LENGTH = 200


def event_admin_url(name: str, *args) -> str:
    return reverse(Event.snippet_viewset.get_url_name(name), args=args)


def registrations_url(**filters) -> str:
    url = reverse(Registration.snippet_viewset.get_url_name("list"))
    return f"{url}?{urlencode(filters)}" if filters else url


def page_edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def shown_email(email: str, user) -> str:
    return email if can_view_personal_data(user) else mask_email(email)


def shown_name(registration: Registration, user) -> str:
    """Their name; the name falls back to the address, which is personal data."""
    name = registration.name
    return shown_email(name, user) if "@" in name else name


def checked_in_text(registration: Registration, event: Event | None = None) -> str:
    """'18:05 by Jane Doe', in the event's time zone (that is the clock at the door)."""
    if registration.checked_in_at is None:
        return ""
    when = timezone.localtime(registration.checked_in_at, (event or registration.event).zone)
    who = get_user_display_name(registration.checked_in_by) if registration.checked_in_by_id else ""
    return f"{when:%H:%M} by {who}" if who else f"{when:%H:%M}"


def event_when(event: Event) -> str:
    """When it starts, on the event's own clock (the admin's time zone may be another)."""
    return f"{event.local_start:%a %d %b %Y, %H:%M} ({event.time_zone})"


class EventAdminView(WagtailAdminTemplateMixin, TemplateView):
    """Base of the per-event screens: the permission on every request, the event from the URL (among the
    events the user may see: a draft is "not found" for door staff and salespeople)."""

    permission = ""
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.has_perm(self.permission)):
            if request.htmx:  # htmx would otherwise swap the dashboard it is redirected to into the row
                return HttpResponse("You may not do this.", status=403)
            raise PermissionDenied  # Wagtail's admin turns it into its "permission denied" redirect
        self.event = get_object_or_404(events_visible_to(request.user), pk=kwargs["event_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.event)

    def get_breadcrumbs_items(self):
        # The event's editor only for those who may edit it: door staff would be turned away there.
        may_edit = self.request.user.has_perm("events.change_event")
        return [
            *super().get_breadcrumbs_items(),
            {"url": event_admin_url("list"), "label": "Events"},
            {"url": event_admin_url("edit", self.event.pk) if may_edit else "", "label": self.event.title},
            {"url": "", "label": self.page_title},
        ]
