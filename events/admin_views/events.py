"""The events listing and editor (Events → Events).

The listing puts upcoming events first, the soonest at the top, then the past ones (latest first), and
on a phone shows each event as a card: title, date, status and the main action, legible (events.css).
Door staff and salespeople see it too, for the published events, with the buttons they may use: the
door where people are expected, "Register someone" while registration is open."""

import logging

import django_filters
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column
from wagtail.admin.widgets.button import Button, ListingButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView

from .. import services
from ..forms import LANDING_DRAFT, LANDING_PUBLISH, existing_landing_page, landing_page_choice
from ..models import Event, Registration
from ..permissions import (
    can_check_in,
    can_register_someone,
    events_visible_to,
    sees_every_event,
    sees_published_events,
)
from ..selectors import events_soonest_first
from .common import event_admin_url, page_edit_url, registrations_url
from .door import check_in_offered
from .register import register_someone_offered

logger = logging.getLogger(__name__)


class EventPermissionPolicy(ModelPermissionPolicy):
    """Door staff and salespeople see the events listing, for the published events, without a right on
    events as such: the door's right and "Register someone"'s bring it (events.permissions). Anything
    more (editing, deleting, adding) is the model permissions' as usual."""

    def user_has_permission(self, user, action):
        return super().user_has_permission(user, action) or (action == "view" and sees_published_events(user))

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "view":
            return events_visible_to(user).filter(pk=instance.pk).exists()
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if set(actions) == {"view"}:
            return events_visible_to(user)
        return super().instances_user_has_any_permission_for(user, actions)


class LabelledColumn(Column):
    """A cell that carries its column's name, shown before the value where the table becomes cards."""

    cell_template_name = "events/admin/_labelled_cell.html"


def local_start_cell(event: Event) -> str:
    return f"{event.local_start:%a %d %b %Y, %H:%M} ({event.time_zone})"


def status_cell(event: Event):
    status = event.current_status
    return format_html(
        '<span class="sp-events__status sp-events__status--{}">{}</span>', status, Event.Status(status).label
    )


def landing_page_cell(event: Event):
    page = getattr(event, "landing_page", None)
    if page is None:
        return "—"
    state = "live" if page.live else "draft"
    return format_html('<a href="{}">Edit page</a> ({})', page_edit_url(page), state)


def seats_cell(event: Event) -> str:
    return f"{event.seats_taken} / {event.capacity}" if event.capacity is not None else f"{event.seats_taken} / ∞"


def registrations_cell(event: Event):
    return format_html('<a href="{}">{}</a>', registrations_url(event=event.pk), event.registration_count)


# Title, then when and where it stands: on a phone these are the card's first lines.
EVENT_COLUMNS = [
    "title",
    LabelledColumn(
        "local_start",
        label="Starts (local time)",
        sort_key="starts_at",
        accessor=local_start_cell,
        classname="sp-events__when",
    ),
    LabelledColumn("current_status", label="Status", accessor=status_cell, classname="sp-events__state"),
    LabelledColumn("type", label="Type", accessor="get_type_display", sort_key="type"),
    LabelledColumn("seats", label="Seats taken", accessor=seats_cell),
    LabelledColumn(
        "registration_count", label="Registrations", sort_key="registration_count", accessor=registrations_cell
    ),
    LabelledColumn("landing_page", label="Landing page", accessor=landing_page_cell),
]


class EventFilterSet(WagtailFilterSet):
    when = django_filters.ChoiceFilter(
        label="When",
        method="filter_when",
        empty_label="Upcoming and past",
        choices=[("upcoming", "Upcoming (and live)"), ("past", "Past")],
    )

    class Meta:
        model = Event
        fields = ["type", "status"]

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(ends_at__gt=now) if value == "upcoming" else queryset.filter(ends_at__lte=now)


def events_for_listing(request):
    """The events this user may see, soonest first; one query for the page of events: their registrations
    counted and their page joined in. A column's sort (?ordering=) replaces the order."""
    events = (
        events_visible_to(request.user)
        .select_related("landing_page")
        .annotate(
            registration_count=Count("registrations", filter=~Q(registrations__status=Registration.Status.CANCELLED))
        )
    )
    return events_soonest_first(events)


def event_buttons(event: Event, user, *, main_button=Button) -> list:
    """The door and "Register someone", where this user may use them and the event wants them. The first
    of them is the row's main action (main_button): the door for door staff, "Register someone" for sales."""
    offered = []
    if can_check_in(user) and check_in_offered(event):
        offered.append(("Check-in", event_admin_url("check_in", event.pk), "check", 5))
    if can_register_someone(user) and register_someone_offered(event):
        offered.append(("Register someone", event_admin_url("register_someone", event.pk), "user", 6))
    return [
        (main_button if number == 0 else Button)(label, url=url, icon_name=icon, priority=priority)
        for number, (label, url, icon, priority) in enumerate(offered)
    ]


class EventIndexView(SnippetIndexView):
    table_classname = "listing sp-events"

    @cached_property
    def columns(self):
        user = self.request.user
        columns = super().columns
        if not self.permission_policy.user_has_permission(user, "change"):
            # Nothing to tick for: every bulk action changes events.
            columns = [column for column in columns if not isinstance(column, BulkActionsCheckboxColumn)]
        if not sees_every_event(user):
            # Door staff and salespeople: no page editor to go to.
            columns = [column for column in columns if column.name != "landing_page"]
        if not user.has_perm("events.view_registration") and not user.has_perm("events.change_registration"):
            # The count without the link to a listing they may not open.
            columns = [
                LabelledColumn("registration_count", label="Registrations", sort_key="registration_count")
                if column.name == "registration_count"
                else column
                for column in columns
            ]
        return columns

    def get_list_more_buttons(self, instance):
        # What people come here for (the door on the day, "Register someone" for sales): a button of its
        # own in the row, not in the menu.
        return [
            *super().get_list_more_buttons(instance),
            *event_buttons(instance, self.request.user, main_button=ListingButton),
        ]


class EventEditView(SnippetEditView):
    @cached_property
    def header_more_buttons(self):
        buttons = [*super().header_more_buttons, *event_buttons(self.object, self.request.user)]
        page = existing_landing_page(self.object)
        if page is not None:
            buttons.append(Button("Edit the landing page", url=page_edit_url(page), icon_name="doc-empty", priority=7))
        return buttons


def event_admin_saved(request, event: Event, *, previous: dict | None) -> None:
    """After the event form saved: the services act on what changed, then the landing page as chosen."""
    # Read before the page is made: the choices offered depend on whether the event had one.
    choice = landing_page_choice(request.POST, event, request.user)
    services.event_saved(event, previous=previous, user=request.user)
    if choice not in (LANDING_DRAFT, LANDING_PUBLISH):
        return
    publish = choice == LANDING_PUBLISH
    try:
        with transaction.atomic():  # a failure rolls back to here, not the request's transaction
            results = services.landing_pages_generate([event], publish=publish, user=request.user)
    except Exception as error:  # the event is saved; say why its page is missing, don't 500
        logger.exception("Generating the landing page of event %s failed", event.pk)
        messages.error(request, f"The event is saved, but its landing page could not be generated: {error}")
        return
    for _event, page, what in results:
        if publish:
            text = "Its landing page is live." if what == "created" else "Its landing page is published."
        else:
            text = "Its landing page is ready as a draft for review."
        buttons = [messages.button(page_edit_url(page), "Edit the landing page")]
        if publish and page.url:
            buttons.append(messages.button(page.url, "View it", new_window=True))
        messages.success(request, text, buttons=buttons)
