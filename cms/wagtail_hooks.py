"""Wagtail hooks of the content app."""

from wagtail import hooks

from cms.personalisation import page_view_record


@hooks.register("before_serve_page")
def record_page_view(page, request, serve_args, serve_kwargs):
    # What a visitor reads (and the campaign they came from) feeds their segments; no database write per view.
    page_view_record(page, request)
