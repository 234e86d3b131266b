"""The suppression list and the kinds of email in the admin (Campaigns → Suppression list, Email topics).

The list: search by address, filter by reason, add an address by hand, delete a row to allow the address
again (Wagtail's delete asks for confirmation), and import a file of addresses. Addresses are masked for
users without `leads.view_personal_data`, and their edit form never shows the address. Every import is
written to the audit log (Reports → Site history) with who, how many and the result.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from wagtail.admin import messages
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from campaigns.models import EmailTopic, Suppression
from campaigns.suppression import Reason, suppression_key, suppressions_import
from leads.admin_privacy import PersonalDataIndexView
from leads.privacy import mask_email

IMPORT_ACTION = "campaigns.suppressions_import"
IMPORT_MAX_BYTES = 20 * 1024 * 1024


class SuppressionAddForm(forms.ModelForm):
    email_key = forms.CharField(label="Email address", max_length=254)

    class Meta:
        model = Suppression
        fields = ["email_key", "reason", "detail"]

    def clean_email_key(self):
        key = suppression_key(self.cleaned_data.get("email_key") or "")
        if not key:
            raise forms.ValidationError("Enter a valid email address.")
        if Suppression.objects.filter(email_key=key).exists():
            raise forms.ValidationError("This address is already on the suppression list.")
        return key


class SuppressionEditForm(forms.ModelForm):
    class Meta:
        model = Suppression
        fields = ["reason", "detail"]  # never the address: it may be masked for this user


class SuppressionIndexView(PersonalDataIndexView):
    masked_fields = {"email_key": mask_email}


class SuppressionViewSet(ModelViewSet):
    model = Suppression
    index_view_class = SuppressionIndexView
    icon = "cross"
    menu_label = "Suppression list"
    url_prefix = "campaigns/suppressions"
    url_namespace = "campaigns_suppression"
    add_to_admin_menu = False
    list_display = ["email_key", "reason", "detail", "campaign", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email_key"]
    search_backend_name = None  # database lookups: no search index to keep up to date
    list_export = ["email_key", "reason", "detail", "created_at"]
    export_filename = "suppression-list"

    def get_form_class(self, for_update=False):
        return SuppressionEditForm if for_update else SuppressionAddForm

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("import/", self.import_view, name="import")]

    def import_view(self, request):
        return suppressions_import_view(request, self)


class SuppressionImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        required=False,
        help_text='CSV or TXT: one address per line, or a CSV with an "email" column. Up to 20 MB.',
    )
    addresses = forms.CharField(label="Or paste addresses", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.ChoiceField(
        choices=[
            (Reason.IMPORTED, "Imported"),
            (Reason.MANUAL, "Added by hand"),
            (Reason.UNSUBSCRIBED, "Unsubscribed"),
        ],
        initial=Reason.IMPORTED,
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB: split it into parts.")
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not (cleaned.get("addresses") or "").strip() and not self.errors:
            raise forms.ValidationError("Choose a file or paste some addresses.")
        return cleaned


def suppressions_import_view(request, viewset):
    if not viewset.permission_policy.user_has_permission(request.user, "add"):
        raise PermissionDenied
    result = None
    form = SuppressionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["file"] or form.cleaned_data["addresses"]
        result = suppressions_import(source, reason=form.cleaned_data["reason"], by=request.user)
        log(
            Suppression(pk=0),
            IMPORT_ACTION,
            user=request.user,
            title=f"Suppression list: import of {result.lines} lines"[:255],
            data={
                "lines": result.lines,
                "added": result.added,
                "already": result.already,
                "duplicates": result.duplicates,
                "invalid": result.invalid,
                "reason": form.cleaned_data["reason"],
            },
        )
        messages.success(request, f"Import done: {result.summary}.")
    return render(
        request,
        "campaigns/admin/suppression_import.html",
        {"form": form, "result": result, "index_url": viewset.get_url_name("index")},
    )


def register_import_action(actions):
    actions.register_action(IMPORT_ACTION, "Suppression import", "Imported addresses into the suppression list")


class EmailTopicViewSet(ModelViewSet):
    """The kinds of email people choose in the preference centre (newsletters, events, product news)."""

    model = EmailTopic
    icon = "tag"
    menu_label = "Email topics"
    url_prefix = "campaigns/email-topics"
    url_namespace = "campaigns_email_topic"
    add_to_admin_menu = False
    list_display = ["name", "description", "is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    search_backend_name = None
    form_fields = ["name", "description", "is_active", "sort_order"]
