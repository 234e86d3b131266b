"""The sales workspace in the Wagtail admin: the "Sales" menu.

People, companies and leads are the lead store's models, listed here scoped to what the user may see
(sales.access), with personal data masked (leads.privacy). The other screens (lead lists of gated
content, saved filters, exports, the audit log) live in their own modules and register themselves.
"""

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from leads.models import Company, Lead, Person
from leads.wagtail_hooks import record_only
from sales import actions, audit, profile  # noqa: F401  (audit registers its log actions)
from sales.listing import CompanyIndexView, LeadIndexView, PeopleIndexView


class PersonViewSet(ModelViewSet):
    model = Person
    index_view_class = PeopleIndexView
    inspect_view_class = profile.PersonProfileView
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

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), *actions.person_urls(self), *profile.person_urls(self)]


class CompanyViewSet(ModelViewSet):
    model = Company
    index_view_class = CompanyIndexView
    inspect_view_class = profile.CompanyProfileView
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
    index_view_class = LeadIndexView
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


# Each screen of the workspace, in menu order. Modules add theirs here (one name each).
SALES_MENU = [PersonViewSet, CompanyViewSet, LeadViewSet]


class SalesViewSetGroup(ViewSetGroup):
    menu_label = "Sales"
    menu_icon = "group"
    menu_order = 240  # just before the Lead store
    items = tuple(SALES_MENU)


@hooks.register("register_admin_viewset")
def register_sales_viewsets():
    return SalesViewSetGroup()
