"""Admin for consent policies, consent records, rejected submissions and webhook receipts ("Forms & consent").

Policies are edited here; records, rejections and receipts are evidence, viewed and exported, never edited
(RecordOnlyPolicy, as in the lead store). Personal data (emails, IP addresses, visitor ids, raw bodies) is
masked for anybody without `leads.view_person`, in listings, inspect views and exports alike, and every
export is written to Wagtail's audit log (Reports > Site history) with who ran it and which filters.
"""

import logging
from ipaddress import ip_address as parse_ip
from ipaddress import ip_network

from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from forms.models import ConsentPolicy, ConsentRecord, RejectedSubmission, WebhookReceipt
from leads.wagtail_hooks import record_only

logger = logging.getLogger(__name__)

PERSONAL_DATA_PERMISSION = "leads.view_person"
EXPORT_ACTION = "leadforms.export"
HIDDEN = "(hidden: needs permission to view personal data)"


def can_view_personal_data(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION))


def mask_email(value) -> str:
    """jane.doe@example.com -> j***@example.com; anything without an @ keeps only its first character."""
    text = str(value or "")
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return text[0] + "***"
    return f"{local[:1]}***@{domain}"


def mask_ip(value) -> str:
    """203.0.113.77 -> 203.0.113.x; 2001:db8:1:2::5 -> 2001:db8:1::x (the host part goes)."""
    text = str(value or "")
    if not text:
        return ""
    try:
        address = parse_ip(text)
    except ValueError:
        return "x"
    if address.version == 4:
        return ".".join(text.split(".")[:3]) + ".x"
    return str(ip_network(f"{address}/48", strict=False).network_address).removesuffix("::") + "::x"


def mask_identifier(value) -> str:
    text = str(value or "")
    return f"{text[:4]}***" if text else ""


def hide(value) -> str:
    return HIDDEN if value else ""


class PersonalDataMixin:
    """Masks `masked_fields` ({field: mask function}) for users without the personal-data permission."""

    masked_fields: dict = {}

    @cached_property
    def shows_personal_data(self) -> bool:
        return can_view_personal_data(self.request.user)

    def mask(self, field_name, value):
        if self.shows_personal_data or field_name not in self.masked_fields:
            return value
        return self.masked_fields[field_name](value)


class PersonalDataIndexView(PersonalDataMixin, IndexView):
    """Listing and CSV/XLSX export with personal data masked, and every export audit-logged."""

    @cached_property
    def columns(self):
        columns = super().columns
        if self.shows_personal_data:
            return columns
        return [self._masked_column(column) if column.name in self.masked_fields else column for column in columns]

    def _masked_column(self, column):
        name = column.name
        return Column(name, label=column.label, sort_key=column.sort_key,
                      accessor=lambda instance: self.mask(name, getattr(instance, name, "")))

    def get_list_buttons(self, instance):
        buttons = super().get_list_buttons(instance)
        if not self.shows_personal_data:  # the row menu's label is str(instance), which may hold an email
            for button in buttons:
                attrs = getattr(button, "attrs", None)
                if isinstance(attrs, dict) and "aria-label" in attrs:
                    attrs["aria-label"] = f"More options for {self.model._meta.verbose_name} {instance.pk}"
        return buttons

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        for name in row:
            row[name] = self.mask(name, row[name])
        return row

    def as_spreadsheet(self, queryset, spreadsheet_format):
        export_log(self.request, self.model, spreadsheet_format, queryset, masked=not self.shows_personal_data)
        return super().as_spreadsheet(queryset, spreadsheet_format)


class PersonalDataInspectView(PersonalDataMixin, InspectView):
    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        return self.mask(field_name, value)

    def get_page_subtitle(self):
        if self.shows_personal_data:
            return super().get_page_subtitle()
        return f"{self.model._meta.verbose_name.capitalize()} {self.object.pk}"


def export_log(request, model, spreadsheet_format, queryset, *, masked: bool):
    """One audit-log entry per export: who, what, in which format, how many rows, with which filters.

    Wagtail's log needs an instance; an export concerns the whole model, so the entry is made against an
    unsaved stand-in with id 0 (the site history shows it under the model's name, without a link).
    """
    filters = {key: values for key, values in request.GET.lists() if key != "export"}
    rows = queryset.count() if hasattr(queryset, "count") else len(queryset)
    label = f"{model._meta.verbose_name_plural.capitalize()}: {spreadsheet_format.upper()} export of {rows} rows"
    log(model(pk=0), EXPORT_ACTION, user=request.user, title=label[:255],
        data={"format": spreadsheet_format, "rows": rows, "filters": filters, "masked": masked})
    logger.info("%s exported %s (%s, %s rows, filters %s)", request.user, model._meta.label, spreadsheet_format,
                rows, filters)


@hooks.register("register_log_actions")
def register_export_action(actions):
    actions.register_action(EXPORT_ACTION, "Export", "Exported a listing (CSV/XLSX)")


# --- Viewsets -------------------------------------------------------------------------------


class ConsentPolicyViewSet(ModelViewSet):
    model = ConsentPolicy
    url_prefix = "forms/consent-policies"
    url_namespace = "leadforms_consent_policy"
    icon = "success"
    menu_label = "Consent policies"
    add_to_admin_menu = False
    list_display = ["__str__", "show_checkbox", "opt_in_required", "version", "updated_at"]
    list_filter = ["show_checkbox", "opt_in_required"]
    search_fields = ["country", "text"]
    # clean() checks the country code and the text; its errors appear on those fields.
    form_fields = ["country", "show_checkbox", "opt_in_required", "text"]


class ConsentRecordIndexView(PersonalDataIndexView):
    masked_fields = {"email": mask_email, "ip_address": mask_ip, "visitor_id": mask_identifier}


class ConsentRecordInspectView(PersonalDataInspectView):
    masked_fields = ConsentRecordIndexView.masked_fields


class ConsentRecordViewSet(ModelViewSet):
    model = ConsentRecord
    index_view_class = ConsentRecordIndexView
    inspect_view_class = ConsentRecordInspectView
    url_prefix = "forms/consent-records"
    url_namespace = "leadforms_consent_record"
    icon = "history"
    menu_label = "Consent records"
    add_to_admin_menu = False
    list_display = ["recorded_at", "email", "granted", "country", "policy_country", "version", "channel",
                    "form_title"]
    list_filter = ["granted", "country", "channel", "recorded_at"]
    search_fields = ["email"]
    list_export = ["recorded_at", "email", "visitor_id", "ip_address", "country", "policy_country",
                   "checkbox_shown", "granted", "text", "version", "form_title", "channel", "lead"]
    export_filename = "consent-records"
    inspect_view_enabled = True
    inspect_view_fields = ["recorded_at", "granted", "email", "visitor_id", "ip_address", "country",
                           "policy_country", "checkbox_shown", "text", "version", "form_page", "form_title",
                           "channel", "lead"]
    permission_policy = record_only(ConsentRecord)
    form_fields = ["form_title"]  # never reachable (record only); ModelViewSet needs a form definition


class RejectedSubmissionIndexView(PersonalDataIndexView):
    masked_fields = {"email": mask_email, "ip_address": mask_ip, "payload_excerpt": hide}


class RejectedSubmissionInspectView(PersonalDataInspectView):
    masked_fields = RejectedSubmissionIndexView.masked_fields


class RejectedSubmissionViewSet(ModelViewSet):
    model = RejectedSubmission
    index_view_class = RejectedSubmissionIndexView
    inspect_view_class = RejectedSubmissionInspectView
    url_prefix = "forms/rejected-submissions"
    url_namespace = "leadforms_rejected_submission"
    icon = "warning"
    menu_label = "Rejected submissions"
    add_to_admin_menu = False
    list_display = ["__str__", "reason", "channel", "form_page", "email", "ip_address", "received_at"]
    list_filter = ["reason", "channel", "received_at"]
    search_fields = ["detail", "email"]
    inspect_view_enabled = True
    inspect_view_fields = ["received_at", "reason", "channel", "form_page", "detail", "email", "ip_address",
                           "payload_excerpt"]
    permission_policy = record_only(RejectedSubmission)
    form_fields = ["detail"]  # never reachable (record only)


class WebhookReceiptViewSet(ModelViewSet):
    model = WebhookReceipt
    url_prefix = "forms/webhook-receipts"
    url_namespace = "leadforms_webhook_receipt"
    icon = "link"
    menu_label = "Webhook receipts"
    add_to_admin_menu = False
    list_display = ["__str__", "form_id", "lead", "duplicates", "received_at", "last_duplicate_at"]
    list_filter = ["provider", "received_at"]
    search_fields = ["provider_lead_id", "form_id"]
    inspect_view_enabled = True
    permission_policy = record_only(WebhookReceipt)
    form_fields = ["form_id"]  # never reachable (record only)


class FormsConsentViewSetGroup(ViewSetGroup):
    menu_label = "Forms & consent"
    menu_icon = "form"
    menu_order = 260
    items = (ConsentPolicyViewSet, ConsentRecordViewSet, RejectedSubmissionViewSet, WebhookReceiptViewSet)


@hooks.register("register_admin_viewset")
def register_forms_consent_viewsets():
    return FormsConsentViewSetGroup()


@hooks.register("filter_form_submissions_for_user")
def form_submissions_need_personal_data_permission(user, editable_forms):
    """Wagtail's own form-submission listing (the Forms menu) shows personal data: only for leads.view_person."""
    return editable_forms if can_view_personal_data(user) else editable_forms.none()
