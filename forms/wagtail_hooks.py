"""Admin for gated forms. Each area registers its own viewsets in its module; this file loads them."""

from urllib.parse import urlencode

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from forms import admin_imports, admin_views  # noqa: F401 - importing registers their hooks
from forms.models import LeadFormPage


def form_lead_list_button(page, user, *, priority):
    """"Lead list": the people who filled in this form (the sales workspace's people list filtered by it;
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
