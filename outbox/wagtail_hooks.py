"""The Outbox menu item: every email the product sends, newest first (see outbox.admin_views)."""

from django.urls import path
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from .admin_views import (
    SEND_AGAIN_ACTION,
    OutboxIndexView,
    OutboxInspectView,
    OutboxPolicy,
    OutgoingEmailFilterSet,
    SendAgainView,
)
from .models import OutgoingEmail

register_permission_policy(OutgoingEmail, OutboxPolicy(OutgoingEmail), exact_class=True)


class OutgoingEmailViewSet(ModelViewSet):
    model = OutgoingEmail
    url_prefix = "outbox"
    url_namespace = "outbox"
    icon = "mail"
    menu_label = "Outbox"
    menu_order = 850
    add_to_admin_menu = True
    index_view_class = OutboxIndexView
    inspect_view_class = OutboxInspectView
    inspect_view_enabled = True
    list_display = [
        "headline",
        "kind_label",
        "to_addresses",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    filterset_class = OutgoingEmailFilterSet
    search_fields = ["subject"]
    search_backend_name = None  # database lookups: no search index to keep up to date for a log
    inspect_view_fields = [
        "kind",
        "about",
        "key",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "recipients",
        "from_email",
        "subject",
        "text",
        "html",
    ]
    form_fields = ["subject"]  # never used: OutboxPolicy allows no add or edit

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("send-again/<int:pk>/", SendAgainView.as_view(), name="send_again")]


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return OutgoingEmailViewSet()


@hooks.register("register_log_actions")
def register_send_again_action(actions):
    actions.register_action(SEND_AGAIN_ACTION, "Send again", "Put a failed email back in the queue")
