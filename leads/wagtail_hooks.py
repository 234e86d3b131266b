"""The lead store in the Wagtail admin: enough for marketing operations to see what came in and why
it was flagged. The sales workspace (its own issue) builds on these."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.views.generic import InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from leads.models import (
    Company,
    CrmDelivery,
    CrmDeliveryAttempt,
    Interaction,
    Lead,
    Person,
    SalesRep,
    ScoringRule,
)
from leads.views import SalesFeedbackView


class RecordOnlyPolicy(ModelPermissionPolicy):
    """Records of what happened (captured leads, interactions, delivery attempts): viewed and
    exported, never added, edited or deleted by hand. Leads come in through lead_capture."""

    WRITE_ACTIONS = {"add", "change", "delete"}

    def user_has_permission(self, user, action):
        return action not in self.WRITE_ACTIONS and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, set(actions) - self.WRITE_ACTIONS)


def record_only(model):
    policy = RecordOnlyPolicy(model)
    register_permission_policy(model, policy, exact_class=True)
    return policy


class PersonInspectView(InspectView):
    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            url = reverse("leads_person:sales_feedback", args=[self.object.pk])
            buttons.append(HeaderButton("Sales feedback", url=url, icon_name="success"))
        return buttons


class PersonViewSet(ModelViewSet):
    model = Person
    inspect_view_class = PersonInspectView
    url_prefix = "leads/person"
    url_namespace = "leads_person"
    icon = "user"
    menu_label = "People"
    add_to_admin_menu = False
    list_display = ["__str__", "company", "stage", "grade", "fit_score", "interest_score", "owner", "created_at"]
    list_filter = ["stage", "grade", "seniority", "country", "consent", "is_test", "is_competitor",
                   "is_personal_email", "do_not_contact"]
    search_fields = ["email", "first_name", "last_name", "company__name", "job_title"]
    list_export = ["pid", "email", "first_name", "last_name", "company", "job_title", "country", "stage", "grade",
                   "fit_score", "interest_score", "created_at"]
    export_filename = "people"
    inspect_view_enabled = True
    inspect_view_fields = ["email", "first_name", "last_name", "phone", "job_title", "seniority", "country",
                           "company", "consent", "do_not_contact", "stage", "owner", "fit_score", "interest_score",
                           "grade", "score_explanation_html", "stage_history_html", "created_at"]
    form_fields = ["first_name", "last_name", "phone", "job_title", "seniority", "country", "company", "consent",
                   "do_not_contact", "owner", "is_test", "is_competitor"]

    @property
    def sales_feedback_view(self):
        return self.construct_view(SalesFeedbackView)

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(),
                path("sales-feedback/<int:pk>/", self.sales_feedback_view, name="sales_feedback")]


class CompanyViewSet(ModelViewSet):
    model = Company
    url_prefix = "leads/company"
    url_namespace = "leads_company"
    icon = "home"
    menu_label = "Companies"
    add_to_admin_menu = False
    list_display = ["name", "industry", "employee_band", "country", "is_key_account", "owner"]
    list_filter = ["industry", "employee_band", "country", "is_key_account", "funding_stage"]
    search_fields = ["name", "domains__domain"]
    list_export = ["cid", "name", "industry", "employee_band", "country", "is_key_account"]
    export_filename = "companies"
    inspect_view_enabled = True
    form_fields = ["name", "industry", "employee_band", "employee_count", "country", "funding_stage",
                   "is_key_account", "owner", "parent"]


class LeadViewSet(ModelViewSet):
    model = Lead
    url_prefix = "leads/lead"
    url_namespace = "leads_lead"
    icon = "form"
    menu_label = "Leads"
    add_to_admin_menu = False
    list_display = ["__str__", "person", "origin_label", "verdict", "flag_summary", "status", "utm_campaign"]
    list_filter = ["source", "origin_type", "verdict", "status", "utm_campaign", "received_at"]
    search_fields = ["person__email", "origin_label", "utm_campaign"]
    list_export = ["lid", "source", "origin_type", "origin_label", "person", "verdict", "flag_summary", "status",
                   "utm_source", "utm_medium", "utm_campaign", "received_at"]
    export_filename = "leads"
    inspect_view_enabled = True
    inspect_view_fields = ["lid", "source", "origin_type", "origin_label", "person", "verdict", "flag_reasons",
                           "status", "processing_error", "attempts", "utm_source", "utm_medium", "utm_campaign",
                           "referrer", "landing_page", "visitor_id", "received_at", "processed_at", "raw_payload"]
    permission_policy = record_only(Lead)
    form_fields = ["origin_label"]


class InteractionViewSet(ModelViewSet):
    model = Interaction
    url_prefix = "leads/interaction"
    url_namespace = "leads_interaction"
    icon = "history"
    menu_label = "Interactions"
    add_to_admin_menu = False
    list_display = ["type", "person", "object_label", "occurred_at"]
    list_filter = ["type", "object_type", "occurred_at"]
    search_fields = ["person__email", "object_label"]
    inspect_view_enabled = True
    permission_policy = record_only(Interaction)
    form_fields = ["object_label"]


class ScoringRuleViewSet(ModelViewSet):
    model = ScoringRule
    url_prefix = "leads/scoring-rules"
    url_namespace = "leads_scoring_rule"
    icon = "success"
    menu_label = "Scoring rules"
    add_to_admin_menu = False
    list_display = ["name", "kind", "points", "attribute", "interaction_type", "half_life_days", "is_active"]
    list_filter = ["kind", "is_active", "interaction_type"]
    search_fields = ["name"]
    panels = ScoringRule.panels


class SalesRepViewSet(ModelViewSet):
    model = SalesRep
    url_prefix = "leads/sales-reps"
    url_namespace = "leads_sales_rep"
    icon = "user"
    menu_label = "Sales reps (routing)"
    add_to_admin_menu = False
    list_display = ["__str__", "team", "territories", "weight", "is_active", "assigned_count"]
    list_filter = ["team", "is_active"]
    panels = SalesRep.panels


class CrmDeliveryViewSet(ModelViewSet):
    model = CrmDelivery
    url_prefix = "leads/crm-deliveries"
    url_namespace = "leads_crm_delivery"
    icon = "mail"
    menu_label = "CRM deliveries"
    add_to_admin_menu = False
    list_display = ["__str__", "idempotency_key", "attempts", "next_attempt_at", "last_error", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["idempotency_key", "person__email"]
    inspect_view_enabled = True
    form_fields = ["next_attempt_at"]  # an operator may bring a retry forward; nothing else is editable


class CrmDeliveryAttemptViewSet(ModelViewSet):
    model = CrmDeliveryAttempt
    url_prefix = "leads/crm-delivery-attempts"
    url_namespace = "leads_crm_delivery_attempt"
    icon = "list-ul"
    menu_label = "CRM delivery log"
    add_to_admin_menu = False
    list_display = ["delivery", "attempted_at", "status_code", "error", "duration_ms"]
    list_filter = ["status_code"]
    permission_policy = record_only(CrmDeliveryAttempt)
    form_fields = ["error"]


class LeadStoreViewSetGroup(ViewSetGroup):
    menu_label = "Lead store"
    menu_icon = "group"
    menu_order = 250
    items = (PersonViewSet, CompanyViewSet, LeadViewSet, InteractionViewSet, ScoringRuleViewSet, SalesRepViewSet,
             CrmDeliveryViewSet, CrmDeliveryAttemptViewSet)


@hooks.register("register_admin_viewset")
def register_lead_store_viewsets():
    return LeadStoreViewSetGroup()
