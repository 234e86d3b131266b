"""The Outbox in the admin: every email the product sent or will send, read-only, with "Send again"
for failed ones.

Who sees what:
- the listing and each email: "Can view outgoing email" (outbox.view_outgoingemail);
- "Send again": "Can send a failed email again" (outbox.send_again_outgoingemail), POST only;
- addresses (recipients, and those quoted in a server's error) are masked, and bodies (a form
  notification holds every answer) hidden, for anybody without leads.view_personal_data.
Nobody adds, edits or deletes an email by hand: it is a record of what was sent.
"""

import re

import django_filters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from leads.admin_privacy import PersonalDataIndexView, PersonalDataInspectView, PersonalDataMixin
from leads.privacy import hide, mask_email

from . import kinds
from .models import OutgoingEmail
from .services import outbox_send_again

SEND_AGAIN_ACTION = "outbox.send_again"
ADDRESS = re.compile(r"[^\s<>'\",;:(){}\[\]]+@[^\s<>'\",;:(){}\[\]]+")


def mask_addresses(value) -> str:
    """["ana@x.de", "bo@y.de"] or "ana@x.de, bo@y.de" -> "a***@x.de, b***@y.de"."""
    addresses = value if isinstance(value, list | tuple) else [a for a in str(value or "").split(", ") if a]
    return ", ".join(mask_email(address) if "@" in address else address for address in addresses)


def mask_addresses_in(text) -> str:
    """A server's error quotes the refused address: "{'ana@x.de': (550, ...)}" -> "{'a***@x.de': (550, ...)}"."""
    return ADDRESS.sub(lambda match: mask_email(match.group(0)), str(text or ""))


class OutboxPolicy(ModelPermissionPolicy):
    """Viewed, and failed ones sent again; never added, edited or deleted through the admin."""

    WRITE_ACTIONS = {"add", "change", "delete"}

    def user_has_permission(self, user, action):
        return action not in self.WRITE_ACTIONS and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, set(actions) - self.WRITE_ACTIONS)


def can_send_again(user) -> bool:
    return OutboxPolicy(OutgoingEmail).user_has_permission(user, "send_again")


def send_again_url(email: OutgoingEmail) -> str:
    return reverse("outbox:send_again", args=[email.pk])


class OutgoingEmailFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=OutgoingEmail.Status.choices)
    # The kinds the installed apps registered (read when the filter is built, after every ready()).
    kind = django_filters.ChoiceFilter(choices=kinds.choices)

    class Meta:
        model = OutgoingEmail
        fields = ["status", "kind"]


class OutboxIndexView(PersonalDataIndexView):
    masked_fields = {"to_addresses": mask_addresses, "last_error": mask_addresses_in}

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status == OutgoingEmail.Status.FAILED and can_send_again(self.request.user):
            buttons.append(Button("Send again", url=send_again_url(instance), icon_name="resubmit", priority=5))
        return buttons


class OutboxInspectView(PersonalDataInspectView):
    masked_fields = {"recipients": mask_addresses, "last_error": mask_addresses_in, "text": hide, "html": hide}

    def get_kind_display_value(self):
        return self.object.kind_label

    def get_about_display_value(self):
        email = self.object
        if email.about_type_id is None:
            return "-"
        about = email.about
        what = email.about_type.name.capitalize()
        return f"{what}: {about}" if about is not None else f"{what} #{email.about_id} (no longer exists)"

    def get_recipients_display_value(self):
        return self.object.to_addresses or "(filled in when it is sent)"  # masked by get_field_display_value

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.object.status == OutgoingEmail.Status.FAILED and can_send_again(self.request.user):
            buttons.append(Button("Send again", url=send_again_url(self.object), icon_name="resubmit", priority=5))
        return buttons


class SendAgainView(PersonalDataMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: what will be sent again, with a button; POST: put it back in the queue."""

    masked_fields = {"recipients": mask_addresses, "last_error": mask_addresses_in}
    template_name = "outbox/send_again.html"
    page_title = "Send again"
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        if not can_send_again(request.user):
            raise PermissionDenied  # Wagtail's admin turns it into its "permission denied" redirect
        self.object = get_object_or_404(OutgoingEmail, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    def inspect_url(self):
        return reverse("outbox:inspect", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        email = self.object
        context.update(
            {
                "email": email,
                "to": self.mask("recipients", email.to_addresses),
                "last_error": self.mask("last_error", email.last_error),
                "is_failed": email.status == OutgoingEmail.Status.FAILED,
                "inspect_url": self.inspect_url(),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        if outbox_send_again(self.object.pk):
            log(self.object, SEND_AGAIN_ACTION, user=request.user)
            messages.success(request, f"{self.object.kind_label} #{self.object.pk} is queued to be sent again.")
        else:
            self.object.refresh_from_db()
            messages.warning(request, f"Not sent again: it is {self.object.get_status_display().lower()} now.")
        return redirect(self.inspect_url())
