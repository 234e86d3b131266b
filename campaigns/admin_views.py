"""The campaign editor's screens and their admin URLs (registered in wagtail_hooks)."""

from django.urls import path

from campaigns.views_admin.preview import preview_email, preview_page
from campaigns.views_admin.send_test import send_test


def admin_urls():
    return [
        path("campaigns/<int:pk>/preview/", preview_page, name="campaigns_preview"),
        path("campaigns/<int:pk>/preview/<str:mode>/", preview_email, name="campaigns_preview_email"),
        path("campaigns/<int:pk>/send-test/", send_test, name="campaigns_send_test"),
    ]
