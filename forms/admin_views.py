"""Admin for consent policies, consent records, rejected submissions and webhook receipts ("Forms & consent").

Policies are edited here; records, rejections and receipts are evidence, viewed and exported, never edited
(RecordOnlyPolicy, as in the lead store). Personal data (emails, IP addresses, visitor ids, raw bodies) is
masked for anybody without `leads.view_personal_data`, in listings, inspect views and exports alike, and every
export is written to Wagtail's audit log (Reports > Site history) with who ran it and which filters.
"""

from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from forms.models import ConsentPolicy, ConsentRecord, RejectedSubmission, WebhookReceipt
from leads.admin_privacy import PersonalDataIndexView, PersonalDataInspectView
from leads.privacy import can_view_personal_data, hide, mask_email, mask_identifier, mask_ip
from leads.wagtail_hooks import record_only

# --- Viewsets -------------------------------------------------------------------------------


class ConsentPolicyViewSet(ModelViewSet):
    model = ConsentPolicy
    url_prefix = "forms/consent-policies"
    url_namespace = "leadforms_consent_policy"
    icon = "success"
    menu_label = "Consent policies"
    add_to_admin_menu = False
    list_display = ["__str__", "show_checkbox", "opt_in_required", "double_opt_in", "version", "updated_at"]
    list_filter = ["show_checkbox", "opt_in_required", "double_opt_in"]
    search_fields = ["country", "text"]
    # clean() checks the country code and the text; its errors appear on those fields.
    form_fields = ["country", "show_checkbox", "opt_in_required", "double_opt_in", "text"]


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
    list_display = [
        "recorded_at",
        "email",
        "granted",
        "confirmation",
        "country",
        "policy_country",
        "version",
        "channel",
        "form_title",
    ]
    list_filter = ["granted", "confirmation", "country", "channel", "recorded_at"]
    search_fields = ["email"]
    list_export = [
        "recorded_at",
        "email",
        "visitor_id",
        "ip_address",
        "country",
        "policy_country",
        "checkbox_shown",
        "granted",
        "confirmation",
        "confirms",
        "text",
        "version",
        "form_title",
        "channel",
        "lead",
    ]
    export_filename = "consent-records"
    inspect_view_enabled = True
    inspect_view_fields = [
        "recorded_at",
        "granted",
        "confirmation",
        "confirms",
        "email",
        "visitor_id",
        "ip_address",
        "country",
        "policy_country",
        "checkbox_shown",
        "text",
        "version",
        "form_page",
        "form_title",
        "channel",
        "lead",
    ]
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
    inspect_view_fields = [
        "received_at",
        "reason",
        "channel",
        "form_page",
        "detail",
        "email",
        "ip_address",
        "payload_excerpt",
    ]
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


def register_forms_consent_viewsets():
    return FormsConsentViewSetGroup()


def form_submissions_need_personal_data_permission(user, editable_forms):
    """Wagtail's own form-submission listing (the Forms menu) shows personal data: only for leads.view_personal_data."""
    return editable_forms if can_view_personal_data(user) else editable_forms.none()
