"""The sales workspace in the Wagtail admin: the "Sales" menu.

People, companies and leads are the lead store's models, listed here scoped to what the user may see
(sales.access), with personal data masked (leads.privacy). The other screens (lead lists of gated
content, saved filters, exports, the audit log) live in their own modules; every hook is registered here.
"""

from django.http import Http404
from wagtail import hooks
from wagtail.admin.views.generic import DeleteView, EditView, HistoryView, UsageView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from leads.models import Company, Lead, Person
from leads.wagtail_hooks import record_only
from sales import actions, audit, lead_lists, profile, saved_filters
from sales.access import visible_companies, visible_people
from sales.bulk_actions import BULK_ACTIONS
from sales.bulk_tags import TAG_BULK_ACTIONS
from sales.exports.views import ExportViewSet
from sales.filters import CompanyFilterSet, LeadFilterSet, PeopleFilterSet
from sales.listing import CompanyIndexView, LeadIndexView, PeopleIndexView
from sales.telemarketing_views import TelemarketingViewSet


class ScopedObjectMixin:
    """Edit, delete, history and usage answer 404 for a row outside the user's scope, as the profile does."""

    scope = None  # one of sales.access.visible_*

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        if not type(self).scope(self.request.user, type(instance).objects.filter(pk=instance.pk)).exists():
            raise Http404
        return instance


class PersonEditView(ScopedObjectMixin, EditView):
    scope = visible_people


class PersonDeleteView(ScopedObjectMixin, DeleteView):
    scope = visible_people


class PersonHistoryView(ScopedObjectMixin, HistoryView):
    scope = visible_people


class PersonUsageView(ScopedObjectMixin, UsageView):
    scope = visible_people


class CompanyHistoryView(ScopedObjectMixin, HistoryView):
    scope = visible_companies


class CompanyUsageView(ScopedObjectMixin, UsageView):
    scope = visible_companies


class CompanyEditView(ScopedObjectMixin, EditView):
    scope = visible_companies


class CompanyDeleteView(ScopedObjectMixin, DeleteView):
    scope = visible_companies


class PersonViewSet(ModelViewSet):
    model = Person
    index_view_class = PeopleIndexView
    inspect_view_class = profile.PersonProfileView
    edit_view_class = PersonEditView
    delete_view_class = PersonDeleteView
    history_view_class = PersonHistoryView
    usage_view_class = PersonUsageView
    copy_view_enabled = False  # a copy of a person is a duplicate identity; people come in through capture
    url_prefix = "leads/person"
    url_namespace = "leads_person"
    icon = "user"
    menu_label = "People"
    add_to_admin_menu = False
    # Columns and filters: sales.listing and sales.filters; rows: sales.selectors.list_queryset.
    list_display = [
        "name",
        "company",
        "stage",
        "grade",
        "score",
        "owner",
        "country",
        "last_activity",
        "created_at",
        "converted_at",
        "consent",
    ]  # the last two only on a whitepaper's/event's/form's lead list
    filterset_class = PeopleFilterSet
    search_fields = ["first_name", "last_name", "email", "company__name"]  # searched by sales.selectors.search
    ordering = "-created_at"
    list_per_page = 50
    # No list_export: exports go through sales.exports (the listing's Export button), audit-logged and masked.
    inspect_view_enabled = True
    inspect_view_fields = [
        "email",
        "first_name",
        "last_name",
        "phone",
        "job_title",
        "seniority",
        "country",
        "company",
        "consent",
        "do_not_contact",
        "stage",
        "owner",
        "fit_score",
        "interest_score",
        "grade",
        "score_explanation_html",
        "stage_history_html",
        "created_at",
    ]
    form_fields = [
        "first_name",
        "last_name",
        "phone",
        "job_title",
        "seniority",
        "country",
        "company",
        "consent",
        "do_not_contact",
        "owner",
        "is_test",
        "is_competitor",
    ]

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), *actions.person_urls(self), *profile.person_urls(self)]


class CompanyViewSet(ModelViewSet):
    model = Company
    index_view_class = CompanyIndexView
    inspect_view_class = profile.CompanyProfileView
    edit_view_class = CompanyEditView
    delete_view_class = CompanyDeleteView
    history_view_class = CompanyHistoryView
    usage_view_class = CompanyUsageView
    copy_view_enabled = False
    url_prefix = "leads/company"
    url_namespace = "leads_company"
    icon = "home"
    menu_label = "Companies"
    add_to_admin_menu = False
    list_display = ["name", "industry", "employee_band", "country", "people", "best_grade", "owner"]
    filterset_class = CompanyFilterSet
    search_fields = ["name", "domains__domain"]
    ordering = "name"
    list_per_page = 50
    inspect_view_enabled = True
    form_fields = [
        "name",
        "industry",
        "employee_band",
        "employee_count",
        "country",
        "funding_stage",
        "is_key_account",
        "owner",
        "parent",
    ]


class LeadViewSet(ModelViewSet):
    model = Lead
    index_view_class = LeadIndexView
    inspect_view_class = profile.LeadInspectView
    url_prefix = "leads/lead"
    url_namespace = "leads_lead"
    icon = "form"
    menu_label = "Leads"
    add_to_admin_menu = False
    list_display = ["lid", "person", "origin", "verdict", "flags", "utm_campaign", "received_at"]
    filterset_class = LeadFilterSet
    search_fields = ["person__email", "origin_label", "utm_campaign"]
    ordering = "-received_at"
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = [
        "lid",
        "source",
        "origin_type",
        "origin_label",
        "person",
        "verdict",
        "flag_reasons",
        "status",
        "processing_error",
        "attempts",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referrer",
        "landing_page",
        "visitor_id",
        "received_at",
        "processed_at",
        "raw_payload",
    ]
    permission_policy = record_only(Lead)
    form_fields = ["origin_label"]


# Each screen of the workspace, in menu order. Modules add theirs here (one name each).
SALES_MENU = [
    PersonViewSet,
    CompanyViewSet,
    LeadViewSet,
    audit.AuditLogViewSet,
    lead_lists.LeadListViewSet,
    saved_filters.SavedFilterViewSet,
    ExportViewSet,
    TelemarketingViewSet,  # the call queue: telemarketers (leads.qualify_by_phone) and administrators
]


class SalesViewSetGroup(ViewSetGroup):
    menu_label = "Sales"
    menu_icon = "group"
    menu_order = 240  # just before the Lead store
    items = tuple(SALES_MENU)


@hooks.register("register_admin_viewset")
def register_sales_viewsets():
    return SalesViewSetGroup()


hooks.register("register_log_actions", audit.register_audit_actions)

for bulk_action in [*BULK_ACTIONS, *TAG_BULK_ACTIONS]:
    hooks.register("register_bulk_action", bulk_action)
