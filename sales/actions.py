"""Sales actions on people: accept, reject with a reason, reassign, mark opportunity or customer; one at a
time from the profile (here), or in bulk from the people list (sales/bulk_actions.py). Thin: validate,
call a service (sales/services.py), say what happened, redirect."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from leads.models import Person, Stage
from leads.privacy import can_view_personal_data, mask_email
from sales import services
from sales.access import can_see_person, can_work_leads, visible_people


def person_label(person: Person, user) -> str:
    """A person as messages and page titles name them: the name, else the email (masked without the right).
    Never str(person), which carries the email in full."""
    name = f"{person.first_name} {person.last_name}".strip()
    if name:
        return name
    return person.email if can_view_personal_data(user) else mask_email(person.email)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        team = getattr(getattr(user, "sales_rep", None), "team", "")
        return f"{services.user_label(user)} ({team})" if team else services.user_label(user)


def owner_field(user, **kwargs):
    return OwnerChoiceField(
        queryset=services.reassign_targets(user),
        empty_label="Choose the new owner",
        help_text="Active sales reps you may hand people to",
        **kwargs,
    )


class SalesFeedbackForm(forms.Form):
    ACTIONS = [
        ("accept", "Accept (sales qualified)"),
        ("reject", "Reject (back to nurture, with the score penalty and cool-down)"),
        ("reassign", "Reassign to another owner"),
        ("opportunity", "Mark as opportunity"),
        ("customer", "Mark as customer"),
        ("disqualified", "Disqualify"),
        ("lead", "Recycle to lead"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)  # replaced per user
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        required=False,
        label="Reason or note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when rejecting (it goes back to marketing); kept in the stage history",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = owner_field(user, required=False, label="New owner (when reassigning)")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give a reason for the rejection: it goes back to marketing.")
        if action == "reassign" and not data.get("owner") and "owner" not in self.errors:
            self.add_error("owner", "Choose whom to hand this person to.")
        return data


def outcome_messages(request, outcome: services.Outcome):
    """One line per person: "Jane Doe: now Sales qualified (SQL)." or why nothing changed."""
    user = request.user
    for person in outcome.changed:
        messages.success(request, f"{person_label(person, user)}: {outcome.result}.")
    for person, why in outcome.skipped:
        messages.warning(request, f"{person_label(person, user)}: {why}; nothing changed.")


class SalesFeedbackView(WagtailAdminTemplateMixin, FormView):
    """Accept, reject, reassign, or move a person along the funnel; every move lands in the stage history
    with who made it."""

    form_class = SalesFeedbackForm
    template_name = "sales/sales_feedback.html"
    page_title = _("Sales feedback")
    header_icon = "user"

    def dispatch(self, request, *args, pk, **kwargs):
        # The right first, then the scope: people without it are refused whoever the person is.
        if not can_work_leads(request.user):
            raise PermissionDenied
        # Somebody else's person is a 404, exactly like an id that does not exist.
        self.person = (
            visible_people(request.user, Person.objects.select_related("owner", "company")).filter(pk=pk).first()
        )
        if self.person is None:
            raise Http404("No such person.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_page_subtitle(self):
        return person_label(self.person, self.request.user)

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("leads_person:index"), "label": "People"},
            {"url": reverse("leads_person:inspect", args=[self.person.pk]), "label": self.get_page_subtitle()},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, person_label=self.get_page_subtitle(), **kwargs)

    def form_valid(self, form):
        data, user, people = form.cleaned_data, self.request.user, [self.person]
        action, reason = data["action"], data["reason"].strip()
        if action == "accept":
            outcome = services.people_accept(people, actor=user, note=reason)
        elif action == "reject":
            outcome = services.people_reject(people, actor=user, reason=reason)
        elif action == "reassign":
            outcome = services.people_reassign(people, actor=user, owner=data["owner"], note=reason)
        else:
            outcome = services.people_mark(people, Stage(action), actor=user, reason=reason)
        outcome_messages(self.request, outcome)
        if not can_see_person(user, self.person):  # handed to someone outside the user's view
            return redirect(reverse("leads_person:index"))
        return redirect(reverse("leads_person:inspect", args=[self.person.pk]))


def person_urls(viewset):
    """The person viewset's extra URLs for sales actions."""
    from django.urls import path

    return [path("sales-feedback/<int:pk>/", viewset.construct_view(SalesFeedbackView), name="sales_feedback")]
