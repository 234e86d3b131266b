"""Admin views of events: listings and editors of the Events menu, bulk actions, the door (check-in,
ticket scan, walk-ins) and "Register someone".

Thin: they read the request, call events.services / events.selectors and render. Who may do what:
- the door needs "Can check people in at the door" (events.check_in_registration, on Event);
- "Register someone" needs "Can add registration" (events.add_registration): give it to the sales
  reps' group. The generic "add" form for registrations stays off (see EditOnlyPolicy);
- approve, reject and cancel need "Can change registration".
Emails of registrants are masked for anybody without leads.view_personal_data, as in the other listings.
"""

import logging
from collections import Counter
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button, ListingButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView

from leads.admin_privacy import PersonalDataIndexView
from leads.privacy import can_view_personal_data, mask_email

from . import links, services
from .forms import (
    LANDING_DRAFT,
    LANDING_PUBLISH,
    RegisterSomeoneForm,
    RejectForm,
    ScanForm,
    WalkInForm,
    existing_landing_page,
    landing_page_choice,
)
from .models import Event, Registration
from .permissions import can_publish_pages
from .selectors import CHECK_IN_RESULTS, registrations_search, status_counts

logger = logging.getLogger(__name__)

CHECK_IN_PERMISSION = "events.check_in_registration"
REGISTER_SOMEONE_PERMISSION = "events.add_registration"
MAX_QUERY_LENGTH = 200


def can_check_in(user) -> bool:
    return bool(user and user.is_active and user.has_perm(CHECK_IN_PERMISSION))


def can_register_someone(user) -> bool:
    return bool(user and user.is_active and user.has_perm(REGISTER_SOMEONE_PERMISSION))


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


# --- Events ----------------------------------------------------------------------------------
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


EVENT_COLUMNS = [
    "title",
    Column("type", label="Type", accessor="get_type_display", sort_key="type"),
    Column("local_start", label="Starts (local time)", sort_key="starts_at",
           accessor=lambda event: f"{event.local_start:%d %b %Y, %H:%M} ({event.time_zone})"),
    Column("current_status", label="Status", accessor=lambda event: Event.Status(event.current_status).label),
    Column("seats", label="Seats taken", accessor=seats_cell),
    Column("registration_count", label="Registrations", sort_key="registration_count", accessor=registrations_cell),
    Column("landing_page", label="Landing page", accessor=landing_page_cell),
]


def events_for_listing(request):
    # One query for the page of events: their registrations counted and their page joined in.
    return Event.objects.select_related("landing_page").annotate(
        registration_count=Count("registrations", filter=~Q(registrations__status=Registration.Status.CANCELLED)))


def event_buttons(event: Event, user, *, door_button=Button) -> list:
    buttons = []
    if can_check_in(user):
        buttons.append(door_button("Check-in", url=event_admin_url("check_in", event.pk), icon_name="tick",
                                   priority=5))
    if can_register_someone(user):
        buttons.append(Button("Register someone", url=event_admin_url("register_someone", event.pk),
                              icon_name="user", priority=6))
    return buttons


class EventIndexView(SnippetIndexView):
    def get_list_more_buttons(self, instance):
        # The door is what people look for on the day: a button of its own in the row, not in the menu.
        return [*super().get_list_more_buttons(instance),
                *event_buttons(instance, self.request.user, door_button=ListingButton)]


class EventEditView(SnippetEditView):
    @cached_property
    def header_more_buttons(self):
        buttons = [*super().header_more_buttons, *event_buttons(self.object, self.request.user)]
        page = existing_landing_page(self.object)
        if page is not None:
            buttons.append(Button("Edit the landing page", url=page_edit_url(page), icon_name="doc-empty",
                                  priority=7))
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
    except Exception as error:  # noqa: BLE001 - the event is saved; say why its page is missing, don't 500
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


# --- Registrations -----------------------------------------------------------------------------
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
    Column("registered_at", label="Registered", sort_key="registered_at",
           accessor=lambda registration: f"{timezone.localtime(registration.registered_at):%Y-%m-%d %H:%M}"),
    Column("checked_in", label="Checked in", accessor=checked_in_text, sort_key="checked_in_at"),
    Column("invited_by", label="Invited by", accessor=user_cell("invited_by")),
]
REGISTRATION_EXPORT = ["event", "first_name", "last_name", "email", "company", "job_title", "get_status_display",
                       "get_source_display", "registered_at", "decided_at", "rejection_reason", "cancelled_at",
                       "checked_in_at", "checked_in_by", "registered_by", "invited_by"]
REGISTRATION_EXPORT_HEADINGS = {"get_status_display": "Status", "get_source_display": "Source",
                                "checked_in_at": "Checked in at", "checked_in_by": "Checked in by"}


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


# --- Bulk actions --------------------------------------------------------------------------
class EventsBulkAction(SnippetBulkAction):
    """A bulk action on selected snippets of one model, safe against hand-made ids."""

    permission_action = "change"

    @classmethod
    def get_queryset(cls, model, object_ids):
        ids = [int(pk) for pk in object_ids if str(pk).isascii() and str(pk).isdigit() and len(str(pk)) < 19]
        objects = list(cls.base_queryset(model).filter(pk__in=ids))
        if not objects:
            raise Http404("None of the selected items exist.")
        return objects

    @classmethod
    def base_queryset(cls, model):
        return model.objects.all()

    def check_perm(self, obj):
        return self.permission_policy.user_has_permission_for_instance(self.request.user, self.permission_action,
                                                                       obj)

    def object_context(self, obj):
        return {**super().object_context(obj), "label": self.label_for(obj)}

    def label_for(self, obj) -> str:
        return str(obj)


class LandingPagesBulkAction(EventsBulkAction):
    display_name = "Generate landing pages"
    action_type = "generate_landing_pages"
    aria_label = "Generate landing pages (drafts) for the selected events"
    template_name = "events/admin/bulk_landing_pages.html"
    models = [Event]
    action_priority = 40
    publish = False

    @classmethod
    def execute_action(cls, objects, self=None, **kwargs):
        try:
            with transaction.atomic():  # a failure rolls back to here, not the whole bulk action
                self.results = services.landing_pages_generate(objects, publish=cls.publish, user=self.request.user)
        except Exception as error:  # noqa: BLE001 - the events are fine; say why no page came, don't 500
            logger.exception("Generating landing pages failed")
            self.results = None
            messages.error(self.request, f"The landing pages could not be generated: {error}")
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        if self.results is None:
            return None
        done = Counter(what for _event, _page, what in self.results)
        parts = [f"{done[what]} {label}" for what, label in (("created", "created"), ("updated", "updated"),
                                                            ("unchanged", "already up to date")) if done[what]]
        pages = "landing page" if len(self.results) == 1 else "landing pages"
        summary = ", ".join(parts) or "none changed"
        return f"{len(self.results)} {pages}: {summary}" + (" and published." if self.publish else
                                                            " (drafts for review).")


class PublishLandingPagesBulkAction(LandingPagesBulkAction):
    display_name = "Generate and publish landing pages"
    action_type = "publish_landing_pages"
    aria_label = "Generate and publish landing pages for the selected events"
    action_priority = 41
    publish = True

    def check_perm(self, obj):
        # Publishing the pages is publishing pages: people who may not are shown these as off limits.
        return can_publish_pages(self.request.user) and super().check_perm(obj)


class RegistrationsBulkAction(EventsBulkAction):
    models = [Registration]
    template_name = "events/admin/bulk_registrations.html"
    verb = ""
    button_label = ""
    button_class = ""

    @classmethod
    def base_queryset(cls, model):
        return model.objects.select_related("event")

    def get_all_objects_in_listing_query(self, parent_id):
        """"Select all in listing" means what the listing shows: Wagtail's default is every row of the
        model (approving the pending of one event would approve every event's). The bulk-action URL
        carries the listing's query string (event, status, source, q), so the same filters apply."""
        viewset = Registration.snippet_viewset
        registrations = Registration.objects.all()
        filterset = RegistrationFilterSet(self.request.GET, queryset=registrations, request=self.request)
        registrations = filterset.qs if filterset.is_valid() else registrations.none()
        query = " ".join(self.request.GET.get("q", "").replace("\x00", "").split())[:100]
        for word in query.split(" ")[:4] if query else ():
            condition = Q()
            for name in viewset.search_fields:
                condition |= Q(**{f"{name}__icontains": word})
            registrations = registrations.filter(condition)
        return registrations.values_list("pk", flat=True)

    def label_for(self, obj) -> str:
        return f"{shown_name(obj, self.request.user)} at {obj.event.title}"

    @classmethod
    def execute_action(cls, objects, self=None, **kwargs):
        # In registration order (the queryset's): the earliest pending registrations get the last seats.
        self.outcomes = Counter(self.decide(registration) for registration in objects)
        return len(objects), 0

    def decide(self, registration) -> str:
        raise NotImplementedError

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not self.outcomes:
            return None
        return ", ".join(f"{count} {outcome}" for outcome, count in self.outcomes.most_common()) + "."


class ApproveBulkAction(RegistrationsBulkAction):
    display_name = "Approve"
    action_type = "approve"
    aria_label = "Approve the selected registrations"
    action_priority = 10
    verb = "approve"
    button_label = "Yes, approve"

    def decide(self, registration) -> str:
        if registration.status != Registration.Status.PENDING:
            return "left as they were (not pending)"
        registration = services.registration_approve(registration, user=self.request.user)
        return "waitlisted (event full)" if registration.status == Registration.Status.WAITLISTED else "approved"


class RejectBulkAction(RegistrationsBulkAction):
    display_name = "Reject"
    action_type = "reject"
    aria_label = "Reject the selected registrations"
    action_priority = 20
    form_class = RejectForm
    verb = "reject"
    button_label = "Yes, reject"

    def decide(self, registration) -> str:
        if registration.status not in Registration.ACTIVE:
            return f"left as they were ({registration.get_status_display().lower()})"
        services.registration_reject(registration, user=self.request.user,
                                     reason=self.cleaned_form.cleaned_data["reason"])
        return "rejected"


class CancelBulkAction(RegistrationsBulkAction):
    display_name = "Cancel"
    action_type = "cancel"
    aria_label = "Cancel the selected registrations"
    action_priority = 30
    classes = {"serious"}
    verb = "cancel"
    button_label = "Yes, cancel them"
    button_class = "serious"

    def decide(self, registration) -> str:
        _registration, changed = services.registration_cancel(registration, user=self.request.user)
        return "cancelled" if changed else "left as they were (not active)"


BULK_ACTIONS = [LandingPagesBulkAction, PublishLandingPagesBulkAction, ApproveBulkAction, RejectBulkAction,
                CancelBulkAction]


# --- The door and "Register someone" --------------------------------------------------------
class EventAdminView(WagtailAdminTemplateMixin, TemplateView):
    """Base of the per-event screens: the permission on every request, the event from the URL."""

    permission = ""
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.has_perm(self.permission)):
            if request.htmx:  # htmx would otherwise swap the dashboard it is redirected to into the row
                return HttpResponse("You may not do this.", status=403)
            raise PermissionDenied  # Wagtail's admin turns it into its "permission denied" redirect
        self.event = get_object_or_404(Event, pk=kwargs["event_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.event)

    def get_breadcrumbs_items(self):
        return [*super().get_breadcrumbs_items(),
                {"url": event_admin_url("list"), "label": "Events"},
                {"url": event_admin_url("edit", self.event.pk), "label": self.event.title},
                {"url": "", "label": self.page_title}]


def event_when(event: Event) -> str:
    """When it starts, on the event's own clock (the admin's time zone may be another)."""
    return f"{event.local_start:%a %d %b %Y, %H:%M} ({event.time_zone})"


def counters(event: Event) -> dict:
    counts = status_counts(event)
    attended = counts[Registration.Status.ATTENDED]
    return {"checked_in": attended, "expected": counts[Registration.Status.APPROVED] + attended,
            "pending": counts[Registration.Status.PENDING], "waitlisted": counts[Registration.Status.WAITLISTED]}


def door_row(registration: Registration, event: Event, user, outcome: str = "") -> dict:
    """What a result line at the door shows. outcome: "", checked_in, already or not_admitted."""
    return {"registration": registration, "name": shown_name(registration, user),
            "email": shown_email(registration.email, user), "outcome": outcome,
            "checked_in": checked_in_text(registration, event),
            "action_url": event_admin_url("check_in_registration", event.pk, registration.pk)}


def door_fragment(request, template: str, context: dict) -> HttpResponse:
    """The changed part of the door screen for htmx, with the counters swapped in out of band."""
    html = render_to_string(template, context, request=request)
    html += render_to_string("events/admin/_counters.html", {**context, "oob_counters": True}, request=request)
    return HttpResponse(html)


class CheckInView(EventAdminView):
    """The door: search as you type, one tap to check in, the scanner, walk-ins."""

    permission = CHECK_IN_PERMISSION
    page_title = "Check-in"
    template_name = "events/admin/check_in.html"
    results_template_name = "events/admin/_check_in_results.html"

    def get(self, request, *args, **kwargs):
        # NUL characters are refused by PostgreSQL: a pasted one would otherwise be a server error.
        query = request.GET.get("q", "").replace("\x00", "")[:MAX_QUERY_LENGTH]
        found = registrations_search(self.event, query, full_emails=can_view_personal_data(self.request.user))
        rows = [door_row(registration, self.event, request.user) for registration in found]
        if request.htmx and request.htmx.target == "check-in-results":
            # Counters too: other doors may have checked people in since the page opened.
            return door_fragment(request, self.results_template_name, self.door_context(query=query, rows=rows))
        return self.render_to_response(self.get_context_data(query=query, rows=rows))

    def door_context(self, **kwargs) -> dict:
        pk = self.event.pk
        return {
            "event": self.event, "event_when": event_when(self.event), "counters": counters(self.event),
            "check_in_url": event_admin_url("check_in", pk), "scan_url": event_admin_url("check_in_scan", pk),
            "walk_in_url": event_admin_url("walk_in", pk), "result_limit": CHECK_IN_RESULTS, **kwargs,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**self.door_context(**kwargs))
        context.setdefault("walk_in_form", WalkInForm())
        context["decision"] = self.decision_row()
        return context

    def decision_row(self):
        """After a refused check-in without JavaScript: the registration to let in anyway (or not)."""
        value = self.request.GET.get("confirm", "")
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            return None
        registration = (Registration.objects.select_related("event", "checked_in_by")
                        .filter(event=self.event, pk=int(value)).first())
        if registration is None or registration.checked_in_at is not None:
            return None
        return door_row(registration, self.event, self.request.user, "not_admitted")


class DoorActionView(CheckInView):
    """A POST at the door. htmx gets the changed part of the screen back; without JavaScript a message
    and a redirect to the door screen (with ?confirm= when staff must decide on letting someone in)."""

    http_method_names = ["post"]

    def back(self, *, registration=None, query=""):
        params = {"q": query[:MAX_QUERY_LENGTH]} if query else {}
        if registration is not None:
            params["confirm"] = registration.pk
        url = event_admin_url("check_in", self.event.pk)
        return redirect(f"{url}?{urlencode(params)}" if params else url)

    def check_in(self, registration, *, let_in_anyway=False) -> dict:
        try:
            result = services.registration_check_in(registration, user=self.request.user,
                                                    let_in_anyway=let_in_anyway)
        except services.NotAdmitted as refusal:
            return door_row(refusal.registration, self.event, self.request.user, "not_admitted")
        outcome = "already" if result.already else "checked_in"
        return door_row(result.registration, self.event, self.request.user, outcome)

    def tell(self, row: dict) -> None:
        """The outcome as an admin message, for the screen without JavaScript."""
        name, outcome = row["name"], row["outcome"]
        if outcome == "checked_in":
            messages.success(self.request, f"{name} is checked in.")
        elif outcome == "already":
            messages.warning(self.request, f"{name}: already checked in at {row['checked_in']}.")
        else:
            messages.warning(self.request, f"{name} is not admitted: {row['registration'].get_status_display()}. "
                                           "Let them in anyway, or not.")

    def partial(self, template: str, **context):
        return door_fragment(self.request, template, self.door_context(**context))


class CheckInRegistrationView(DoorActionView):
    def post(self, request, *args, **kwargs):
        registration = get_object_or_404(Registration.objects.select_related("event", "checked_in_by"),
                                         pk=kwargs["registration_id"], event=self.event)
        row = self.check_in(registration, let_in_anyway=request.POST.get("let_in_anyway") == "1")
        if request.htmx:
            return self.partial("events/admin/_check_in_row.html", row=row, query=request.POST.get("q", "")[:100])
        self.tell(row)
        refused = row["registration"] if row["outcome"] == "not_admitted" else None
        return self.back(registration=refused, query=request.POST.get("q", ""))


class ScanView(DoorActionView):
    """A scanned ticket: the signed token names the registration; a forged, retired or foreign ticket
    gets a clear refusal (never an error page)."""

    def post(self, request, *args, **kwargs):
        form = ScanForm(request.POST)
        row, problem = None, ""
        if not form.is_valid():
            problem = "This is not a ticket of ours: check it was scanned whole."
        else:
            try:
                registration = links.registration_from_token(form.cleaned_data["ticket"], links.TICKET_SALT)
            except links.BadLink:
                problem = ("This ticket is not valid: it may be forged, cut short, or replaced by a newer one "
                           "(after a cancellation). Ask for their latest ticket email, or search their name.")
            else:
                if registration.event_id != self.event.pk:
                    problem = f"This ticket is for another event: {registration.event}."
                else:
                    row = self.check_in(registration)
        if request.htmx:
            return self.partial("events/admin/_scan_result.html", row=row, problem=problem)
        if problem:
            messages.error(request, problem)
            return self.back()
        self.tell(row)
        return self.back(registration=row["registration"] if row["outcome"] == "not_admitted" else None)


class WalkInView(DoorActionView):
    """Someone who did not register: registered on the spot and let in."""

    def post(self, request, *args, **kwargs):
        form = WalkInForm(request.POST)
        row = None
        if form.is_valid():
            try:
                outcome = services.registration_on_behalf(self.event, fields=form.fields_for_service(),
                                                          user=request.user, source=Registration.Source.WALK_IN)
            except ValueError as error:
                form.service_error(error)
            except services.RegistrationClosed as closed:
                form.add_error(None, closed.message)
            else:
                row = self.check_in(outcome.registration, let_in_anyway=True)
        if request.htmx:
            return self.partial("events/admin/_walk_in.html", row=row,
                                walk_in_form=WalkInForm() if row is not None else form)
        if row is None:
            return self.render_to_response(self.get_context_data(walk_in_form=form, query="", rows=[]), status=400)
        self.tell(row)
        return self.back()


def invite_link(event: Event, request) -> str:
    """The user's personal invite link: registrations through it record them as the inviter."""
    page = existing_landing_page(event)
    if page is None or not page.live:
        return ""
    url = page.get_full_url(request)
    return f"{url}?{urlencode({'invite': links.invite_token(request.user)})}" if url else ""


class RegisterSomeoneView(EventAdminView):
    """Sales registers a customer (source "Registered by sales"; approval is already given)."""

    permission = REGISTER_SOMEONE_PERMISSION
    page_title = "Register someone"
    template_name = "events/admin/register_someone.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RegisterSomeoneForm())
        context.update(event=self.event, event_when=event_when(self.event),
                       invite_link=invite_link(self.event, self.request),
                       closed_reason=self.event.registration_closed_reason())
        return context

    def post(self, request, *args, **kwargs):
        form = RegisterSomeoneForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            outcome = services.registration_on_behalf(self.event, fields=form.fields_for_service(), user=request.user)
        except ValueError as error:
            form.service_error(error)
        except services.RegistrationClosed as closed:
            form.add_error(None, closed.message)
        else:
            registration = outcome.registration
            result = {"registration": registration, "created": outcome.created,
                      # Only for a registration made here: an existing one's ticket (with its
                      # cancellation link) is its owner's, not for whoever types their address.
                      "ticket_url": links.ticket_url(registration) if outcome.created else "",
                      "name": shown_name(registration, request.user)}
            # A fresh form: the next customer is usually right behind.
            return self.render_to_response(self.get_context_data(result=result))
        return self.render_to_response(self.get_context_data(form=form), status=400)
