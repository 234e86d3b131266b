"""The lead store's operations screens in the Wagtail admin: interactions, scoring rules, tags (leads.tag_admin),
sales reps (routing), CRM deliveries. People, companies and leads are listed by the sales workspace (sales/)."""

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from leads import admin_privacy
from leads.models import CrmDelivery, CrmDeliveryAttempt, Interaction, SalesRep, ScoringRule
from leads.tag_admin import TagViewSet


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
    items = (
        InteractionViewSet,
        ScoringRuleViewSet,
        TagViewSet,
        SalesRepViewSet,
        CrmDeliveryViewSet,
        CrmDeliveryAttemptViewSet,
    )


@hooks.register("register_admin_viewset")
def register_lead_store_viewsets():
    return LeadStoreViewSetGroup()


hooks.register("register_log_actions", admin_privacy.register_export_action)
