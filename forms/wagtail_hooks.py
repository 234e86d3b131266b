"""Admin for gated forms. Each area keeps its viewsets and hook functions in its module; every hook is
registered here."""

from urllib.parse import urlencode

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from forms import admin_imports, admin_views
from forms.models import LeadFormPage


def form_lead_list_button(page, user, *, priority):
    """ "Lead list": the people who filled in this form (the sales workspace's people list filtered by it;
    sales is not imported here, the URL is found by its name), for whoever may see people. A form used as
    a whitepaper's gate records its leads against the whitepaper: that list is on the whitepaper."""
    if not issubclass(page.specific_class or type(page), LeadFormPage):
        return None
    if not (user.is_active and user.has_perm("leads.view_person")):
        return None
    url = f"{reverse('leads_person:index')}?{urlencode({'source': f'form:{page.pk}'}, safe=':')}"
    return Button("Lead list", url=url, icon_name="group", priority=priority)


@hooks.register("register_page_header_buttons")
def form_lead_list_header_button(page, user, view_name=None, next_url=None):
    button = form_lead_list_button(page, user, priority=75)
    return [button] if button else []


@hooks.register("register_page_listing_more_buttons")
def form_lead_list_listing_button(page, user, next_url=None):
    button = form_lead_list_button(page, user, priority=45)
    return [button] if button else []


hooks.register("register_admin_viewset", admin_imports.register_lead_import_viewset)
hooks.register("register_permissions", admin_imports.register_import_permission)
hooks.register("register_log_actions", admin_imports.register_import_log_actions)
hooks.register("register_admin_viewset", admin_views.register_forms_consent_viewsets)
hooks.register("filter_form_submissions_for_user", admin_views.form_submissions_need_personal_data_permission)
