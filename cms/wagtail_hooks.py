"""Wagtail hooks of the content app."""

from django.contrib import messages
from wagtail import hooks
from wagtail.admin.widgets.button import Button

from cms.gated_documents import gated_document_protect, moved_message
from cms.models import WhitepaperPage
from cms.page_cache import page_view_record
from sales.lead_lists import can_see_lead_lists, lead_list_url


@hooks.register("before_serve_page")
def record_page_view(page, request, serve_args, serve_kwargs):
    # What a visitor reads (and the campaign they came from) feeds their segments; no database write per view.
    page_view_record(page, request)


def whitepaper_lead_list_button(page, user, *, priority):
    """ "Lead list": who downloaded this whitepaper (the people list filtered by it), for whoever may see people."""
    if issubclass(page.specific_class or type(page), WhitepaperPage) and can_see_lead_lists(user):
        return Button("Lead list", url=lead_list_url("content", page.pk), icon_name="group", priority=priority)
    return None


@hooks.register("register_page_header_buttons")
def whitepaper_lead_list_header_button(page, user, view_name=None, next_url=None):
    button = whitepaper_lead_list_button(page, user, priority=75)
    return [button] if button else []


@hooks.register("register_page_listing_more_buttons")
def whitepaper_lead_list_listing_button(page, user, next_url=None):
    button = whitepaper_lead_list_button(page, user, priority=45)
    return [button] if button else []


@hooks.register("before_publish_page")
def gated_whitepaper_pdf_private(request, page):
    """A gated whitepaper's PDF goes private before the page goes live, and the editor is told so. (The
    page_published signal does the same for publications outside the admin; see cms.gated_documents.)"""
    if isinstance(page, WhitepaperPage):
        moved = gated_document_protect(page)
        if moved is not None:
            messages.info(request, moved_message(moved))
