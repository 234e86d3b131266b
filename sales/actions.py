"""Sales actions on people: accept, reject with a reason, reassign, mark opportunity or customer; one at a
time from the profile, or in bulk from the people list. Thin: validate, call a service, redirect."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from leads.models import Person, Stage
from leads.services import sales_accept, sales_mark, sales_reject
from sales.access import visible_people


class SalesFeedbackForm(forms.Form):
    ACTIONS = [
        ("accept", "Accept (sales qualified)"),
        ("reject", "Reject (back to nurture, with the score penalty and cool-down)"),
        ("opportunity", "Mark as opportunity"),
        ("customer", "Mark as customer"),
        ("disqualified", "Disqualify"),
        ("lead", "Recycle to lead"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Required when rejecting; kept in the stage history")

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", "Give a reason for the rejection: it goes back to marketing.")
        return data


class SalesFeedbackView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Accept, reject, or move a person along the funnel; every move lands in the stage history."""

    form_class = SalesFeedbackForm
    template_name = "sales/sales_feedback.html"
    # Set here, not left to the viewset: without a policy the mixin would let everyone through.
    permission_policy = ModelPermissionPolicy(Person)
    permission_required = "change"
    page_title = _("Sales feedback")
    header_icon = "user"

    def setup(self, request, *args, pk, **kwargs):
        super().setup(request, *args, **kwargs)
        # Somebody else's person is a 404, exactly like an id that does not exist.
        self.person = get_object_or_404(visible_people(request.user), pk=pk)

    def get_page_subtitle(self):
        return str(self.person)

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)

    def form_valid(self, form):
        action, reason, user = form.cleaned_data["action"], form.cleaned_data["reason"].strip(), self.request.user
        if action == "accept":
            sales_accept(self.person, actor=user, note=reason)
        elif action == "reject":
            sales_reject(self.person, actor=user, reason=reason)
        else:
            sales_mark(self.person, Stage(action), actor=user, reason=reason)
        self.person.refresh_from_db()
        messages.success(self.request, f"{self.person}: now {self.person.get_stage_display()}.")
        return redirect(reverse("leads_person:inspect", args=[self.person.pk]))


def person_urls(viewset):
    """The person viewset's extra URLs for sales actions."""
    from django.urls import path

    return [path("sales-feedback/<int:pk>/", viewset.construct_view(SalesFeedbackView), name="sales_feedback")]
