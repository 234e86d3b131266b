"""The bulk actions of the Events menu: generate (and publish) landing pages for the ticked events, and
approve, reject or cancel the ticked registrations (the approval queue's buttons)."""

import logging
from collections import Counter

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from wagtail.admin import messages
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from .. import services
from ..forms import RejectForm
from ..models import Event, Registration
from ..permissions import can_publish_pages
from .common import shown_name
from .registrations import RegistrationFilterSet

logger = logging.getLogger(__name__)


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
        return self.permission_policy.user_has_permission_for_instance(self.request.user, self.permission_action, obj)

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
        except Exception as error:  # the events are fine; say why no page came, don't 500
            logger.exception("Generating landing pages failed")
            self.results = None
            messages.error(self.request, f"The landing pages could not be generated: {error}")
        return len(objects), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        if self.results is None:
            return None
        done = Counter(what for _event, _page, what in self.results)
        parts = [
            f"{done[what]} {label}"
            for what, label in (("created", "created"), ("updated", "updated"), ("unchanged", "already up to date"))
            if done[what]
        ]
        pages = "landing page" if len(self.results) == 1 else "landing pages"
        summary = ", ".join(parts) or "none changed"
        return f"{len(self.results)} {pages}: {summary}" + (
            " and published." if self.publish else " (drafts for review)."
        )


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
        """ "Select all in listing" means what the listing shows: Wagtail's default is every row of the
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
        services.registration_reject(
            registration, user=self.request.user, reason=self.cleaned_form.cleaned_data["reason"]
        )
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


BULK_ACTIONS = [
    LandingPagesBulkAction,
    PublishLandingPagesBulkAction,
    ApproveBulkAction,
    RejectBulkAction,
    CancelBulkAction,
]
