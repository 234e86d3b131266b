"""Bulk sales actions on the people list: accept, reject (with a reason), reassign, mark opportunity or
customer. Wagtail's bulk actions (the checkboxes and footer of /admin/leads/person/) post here:
/admin/bulk/leads/person/<action>/?id=1&id=2... or ?id=all&<the listing's filters>.

Who is acted on is decided here, never by the ids alone: posted ids are intersected with the user's
scope (somebody else's people are dropped, not named, not counted as theirs), and "select all in
listing" means the rows the listing shows (sales.selectors.list_queryset with the listing's query
string) where Wagtail's default would be every person in the table. The work itself is the same
service as the single action's (sales/services.py); see there for transactions and locking.
Add tags / Remove tags (sales/bulk_tags.py) build on PeopleBulkAction; each action's `user_may` says
who is offered it (the list's footer shows each user only theirs).
"""

from collections import Counter

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.views.bulk_action import BulkAction

from leads.models import Person, Stage
from sales import services
from sales.access import can_work_leads, visible_people
from sales.actions import owner_field, person_label
from sales.selectors import list_filter_errors, list_queryset

# A bulk action runs in the request: past this many people it would outlast it. Narrow the filters.
MAX_PEOPLE = 1000
# Query-string keys of the bulk-action URL that are not the listing's filters.
NOT_FILTERS = {"id", "next", "childOf", "p", "after", "before", "ordering"}


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=services.REASON_MAX,
        required=False,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in each person's stage history",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Goes back to marketing, in each person's stage history",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for the rejection: it goes back to marketing.")
        return reason


class ReassignForm(NoteForm):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"owner": owner_field(user, label="New owner"), **self.fields}


class PeopleBulkAction(BulkAction):
    """A sales action on the people chosen in the people list, within the user's scope."""

    models = [Person]
    template_name = "sales/bulk_actions/confirm.html"
    form_class = NoteForm
    button_label = ""
    button_class = ""
    explanation = ""

    @property
    def max_people(self) -> int:
        """How many people one request acts on at most."""
        return MAX_PEOPLE

    def __init__(self, request, model):
        super().__init__(request, model)
        if self.next_url == request.path:  # Wagtail's default would send us back here, without the ids
            self.next_url = reverse("leads_person:index")
        self.too_many = False
        self.filter_errors = None
        self.left_out = 0

    @classmethod
    def user_may(cls, user) -> bool:
        """Whether the action is offered to and allowed for this user (the list's footer asks too)."""
        return can_work_leads(user)

    def dispatch(self, request, *args, **kwargs):
        if not self.user_may(request.user):
            raise PermissionDenied
        people, _ = self.get_actionable_objects()
        problem = self.problem
        if problem and request.method == "POST":
            messages.error(request, problem)
            return redirect(self.next_url)
        if not people and not problem:
            raise Http404("None of the selected people are yours to act on.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def problem(self) -> str:
        if self.filter_errors:
            fields = ", ".join(sorted(self.filter_errors))
            return f"The listing's filters are not valid ({fields}): correct them before acting on all of it."
        if self.too_many:
            return (
                f"More than {self.max_people:,} people are selected: narrow the filters and act on at most "
                f"{self.max_people:,} at a time."
            )
        return ""

    def get_actionable_objects(self):
        # Wagtail calls this for the page and again for the action; the choice is made once per request.
        return self.chosen

    def selected_people(self):
        """The people chosen, within the user's scope, as a queryset; None when the choice cannot be
        acted on (`problem` says why). Sets `wanted` to how many ids were posted (None: select all)."""
        user = self.request.user
        ids = self.request.GET.getlist("id")
        self.wanted = None
        if "all" in ids:
            params = self.request.GET.copy()
            for key in NOT_FILTERS:
                params.pop(key, None)
            # The listing leaves out a filter it cannot read and shows the rest; acting on more people than
            # were meant is not an option, so a bulk action refuses instead.
            self.filter_errors = list_filter_errors("people", user=user, params=params)
            if self.filter_errors:
                return None
            return list_queryset("people", user=user, params=params)
        if len(ids) > MAX_PEOPLE:
            self.too_many = True
            return None
        wanted = {int(pk) for pk in ids if pk.isascii() and pk.isdigit() and len(pk) < 19}
        self.wanted = len(wanted)
        return visible_people(user, Person.objects.filter(pk__in=wanted))

    @cached_property
    def chosen(self):
        people = self.selected_people()
        if people is None:
            return [], {"items_with_no_access": []}
        objects = list(people.select_related("owner", "company").order_by("pk")[: self.max_people + 1])
        if len(objects) > self.max_people:
            self.too_many = True
            return [], {"items_with_no_access": []}
        if self.wanted is not None:
            # Unknown ids and other people's ids alike: counted, never named.
            self.left_out = self.wanted - len(objects)
        return objects, {"items_with_no_access": []}

    def object_context(self, obj):
        owner = services.user_label(obj.owner) if obj.owner_id else "nobody"
        return {"item": obj, "label": person_label(obj, self.request.user), "owner": owner}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "left_out": self.left_out, "problem": self.problem}

    def execute_action(self, objects, **kwargs):
        self.outcome = self.act(objects, self.cleaned_form.cleaned_data)
        return len(self.outcome.changed), 0

    def act(self, people, data) -> services.Outcome:
        raise NotImplementedError

    def get_success_message(self, num_parent_objects, num_child_objects):
        outcome = self.outcome
        for why, count in Counter(why for _person, why in outcome.skipped).most_common():
            messages.warning(self.request, f"{count} {_people(count)} left as they were: {why}.")
        if not outcome.changed:
            return None
        count = len(outcome.changed)
        return f"{count} {_people(count)} {outcome.result}."


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


class AcceptBulkAction(PeopleBulkAction):
    display_name = "Accept"
    action_type = "accept"
    aria_label = "Accept the selected people (sales qualified)"
    action_priority = 10
    button_label = "Yes, accept"
    explanation = "They become sales qualified (SQL). People already SQL or further on are left as they are."

    def act(self, people, data):
        return services.people_accept(people, actor=self.request.user, note=data["note"])


class RejectBulkAction(PeopleBulkAction):
    display_name = "Reject"
    action_type = "reject"
    aria_label = "Reject the selected people (back to nurture)"
    action_priority = 20
    form_class = RejectForm
    button_label = "Yes, reject"
    button_class = "serious"
    explanation = (
        "They go back to nurture with the configured score penalty and cool-down before they can "
        "become MQL again. Only leads, MQLs and SQLs are rejected; the others are left as they are."
    )

    def act(self, people, data):
        return services.people_reject(people, actor=self.request.user, reason=data["reason"])


class ReassignBulkAction(PeopleBulkAction):
    display_name = "Reassign"
    action_type = "reassign"
    aria_label = "Hand the selected people to another owner"
    action_priority = 30
    form_class = ReassignForm
    button_label = "Reassign"
    explanation = "Their stage stays; each person's stage history records the hand-over and who made it."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def act(self, people, data):
        return services.people_reassign(people, actor=self.request.user, owner=data["owner"], note=data["note"])


class MarkOpportunityBulkAction(PeopleBulkAction):
    display_name = "Mark opportunity"
    action_type = "mark_opportunity"
    aria_label = "Mark the selected people as opportunities"
    action_priority = 40
    stage = Stage.OPPORTUNITY
    button_label = "Yes, mark as opportunity"
    explanation = "They become opportunities. People already opportunities are left as they are."

    def act(self, people, data):
        return services.people_mark(people, self.stage, actor=self.request.user, reason=data["note"])


class MarkCustomerBulkAction(MarkOpportunityBulkAction):
    display_name = "Mark customer"
    action_type = "mark_customer"
    aria_label = "Mark the selected people as customers"
    action_priority = 50
    stage = Stage.CUSTOMER
    button_label = "Yes, mark as customer"
    explanation = "They become customers. People already customers are left as they are."


# Registered by sales/wagtail_hooks.py.
BULK_ACTIONS = [
    AcceptBulkAction,
    RejectBulkAction,
    ReassignBulkAction,
    MarkOpportunityBulkAction,
    MarkCustomerBulkAction,
]
