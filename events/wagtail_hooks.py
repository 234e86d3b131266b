"""The Events menu of the Wagtail admin: events, registrations (and the approval queue), speakers and
the wording of event emails; the bulk actions; the hooks that act on a saved event.

The views themselves are in the events.admin_views package; the per-event screens (check-in,
"Register someone") are extra URLs of the events viewset: /admin/events/<id>/check-in/ and
/admin/events/<id>/register/.
The season import (events.admin_imports) is mounted here too, under /admin/events/import/.
"""

from urllib.parse import urlencode

from django.urls import include, path, reverse
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.widgets.button import Button
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.admin_menu import PermissionMenuItem

from . import admin_imports
from .admin_views.bulk import BULK_ACTIONS
from .admin_views.common import registrations_url
from .admin_views.door import CheckInRegistrationView, CheckInView, ScanView, WalkInView
from .admin_views.events import (
    EVENT_COLUMNS,
    EventEditView,
    EventFilterSet,
    EventIndexView,
    EventPermissionPolicy,
    event_admin_saved,
    events_for_listing,
)
from .admin_views.register import RegisterSomeoneView
from .admin_views.registrations import (
    REGISTRATION_COLUMNS,
    REGISTRATION_EXPORT,
    REGISTRATION_EXPORT_HEADINGS,
    EditOnlyPolicy,
    RegistrationEditView,
    RegistrationFilterSet,
    RegistrationIndexView,
    registrations_for_listing,
)
from .forms import EventAdminForm, SessionsPanel
from .models import Event, EventEmailTemplate, Registration, Speaker
from .services.emails import PLACEHOLDER_HELP

register_permission_policy(Event, EventPermissionPolicy(Event), exact_class=True)
register_permission_policy(Registration, EditOnlyPolicy(Registration), exact_class=True)
register_permission_policy(EventEmailTemplate, EditOnlyPolicy(EventEmailTemplate), exact_class=True)


def event_lead_list_buttons(event, user, *, priority=8) -> list:
    """ "Lead list": the sales workspace's people list filtered by this event (sales is not imported here:
    the URL is found by its name), for whoever may see people."""
    if not (user.is_active and user.has_perm("leads.view_person")) or not isinstance(event, Event):
        return []
    url = f"{reverse('leads_person:index')}?{urlencode({'source': f'event:{event.pk}'}, safe=':')}"
    return [Button("Lead list", url=url, icon_name="group", priority=priority)]


class EventEditWithLeadListView(EventEditView):
    @cached_property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *event_lead_list_buttons(self.object, self.request.user)]


class EventViewSet(SnippetViewSet):
    model = Event
    icon = "date"
    menu_label = "Events"
    url_prefix = "events"
    index_view_class = EventIndexView
    edit_view_class = EventEditWithLeadListView
    # A copy would carry the seat counter over (it is not a form field): new events start from the form.
    copy_view_enabled = False
    index_template_name = "events/admin/event_index.html"  # the listing's phone layout (events.css)
    list_display = EVENT_COLUMNS
    filterset_class = EventFilterSet
    search_fields = ["title", "city"]
    search_backend_name = None  # database lookups: no search index to keep up to date for a listing
    edit_handler = ObjectList(
        [
            *(
                SessionsPanel("sessions", label="Agenda sessions", heading="Agenda")
                if isinstance(panel, InlinePanel) and panel.relation_name == "sessions"
                else panel
                for panel in Event.panels
            ),
            MultiFieldPanel([FieldPanel("landing_page")], heading="Landing page"),
        ],
        base_form_class=EventAdminForm,
    )

    def get_queryset(self, request):
        return events_for_listing(request)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:event_id>/check-in/", CheckInView.as_view(), name="check_in"),
            path(
                "<int:event_id>/check-in/<int:registration_id>/",
                CheckInRegistrationView.as_view(),
                name="check_in_registration",
            ),
            path("<int:event_id>/check-in/scan/", ScanView.as_view(), name="check_in_scan"),
            path("<int:event_id>/check-in/walk-in/", WalkInView.as_view(), name="walk_in"),
            path("<int:event_id>/register/", RegisterSomeoneView.as_view(), name="register_someone"),
        ]


class RegistrationViewSet(SnippetViewSet):
    model = Registration
    icon = "user"
    menu_label = "Registrations"
    url_prefix = "events/registrations"
    index_view_class = RegistrationIndexView
    edit_view_class = RegistrationEditView
    copy_view_enabled = False
    list_display = REGISTRATION_COLUMNS
    filterset_class = RegistrationFilterSet
    search_fields = ["first_name", "last_name", "email", "company"]
    search_backend_name = None
    list_export = REGISTRATION_EXPORT
    export_headings = REGISTRATION_EXPORT_HEADINGS
    export_filename = "event-registrations"
    panels = [
        FieldRowPanel([FieldPanel("event", read_only=True), FieldPanel("status", read_only=True)]),
        HelpPanel(
            content="<p>Approve, reject or cancel registrations from the listing (select them, then "
            "choose the action): that is what sends their emails and keeps the seats right.</p>"
        ),
        FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
        FieldRowPanel([FieldPanel("company"), FieldPanel("job_title")]),
    ]

    def get_queryset(self, request):
        return registrations_for_listing(request)


class SpeakerViewSet(SnippetViewSet):
    model = Speaker
    icon = "user"
    menu_label = "Speakers"
    url_prefix = "events/speakers"
    list_display = ["name", "job_title", "company"]
    search_fields = ["name", "company"]
    search_backend_name = None


class EventEmailTemplateViewSet(SnippetViewSet):
    model = EventEmailTemplate
    icon = "mail"
    menu_label = "Event emails"
    url_prefix = "events/emails"
    copy_view_enabled = False
    list_display = ["kind", "subject", "is_active"]
    list_filter = ["is_active"]
    panels = [
        FieldPanel("kind", read_only=True),
        FieldPanel("subject"),
        FieldPanel("body"),
        HelpPanel(
            content=f"<p><strong>Placeholders</strong> (write them in double braces, e.g. "
            f"{{{{ first_name }}}}): {PLACEHOLDER_HELP}.</p>",
            heading="Placeholders",
        ),
        FieldPanel("is_active"),
    ]


class EventsViewSetGroup(SnippetViewSetGroup):
    menu_label = "Events"
    menu_icon = "date"
    menu_order = 240
    items = (EventViewSet, RegistrationViewSet, SpeakerViewSet, EventEmailTemplateViewSet)

    def get_submenu_items(self):
        events, registrations, *others = super().get_submenu_items()
        queue = PermissionMenuItem(
            "Approval queue",
            registrations_url(status=Registration.Status.PENDING),
            any_of="events.change_registration",
            name="event-approval-queue",
            icon_name="time",
        )
        items = [events, registrations, queue, *others, admin_imports.import_menu_item()]
        for order, item in enumerate(items, start=1):
            item.order = order
        return items


register_snippet(EventsViewSetGroup)


@hooks.register("register_admin_urls")
def event_import_urls():
    return [path("events/import/", include(admin_imports.urlpatterns))]


for bulk_action in BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


@hooks.register("register_snippet_listing_buttons")
def event_lead_list_listing_button(snippet, user, next_url=None):
    return event_lead_list_buttons(snippet, user)


@hooks.register("before_edit_snippet")
def remember_event_before_edit(request, instance):
    # Runs before the form changes the instance: what event_saved compares the new state with.
    if isinstance(instance, Event):
        request.event_before_edit = {"status": instance.status, "capacity": instance.capacity}


@hooks.register("after_edit_snippet")
def act_on_edited_event(request, instance):
    if isinstance(instance, Event):
        event_admin_saved(request, instance, previous=getattr(request, "event_before_edit", None))


@hooks.register("after_create_snippet")
def act_on_created_event(request, instance):
    if isinstance(instance, Event):
        event_admin_saved(request, instance, previous=None)
