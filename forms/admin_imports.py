"""Admin for lead imports (CSV/XLSX upload, mapping, preview, progress, summary).

Every view needs the permission "Can import leads" (leadforms.import_leads); the summary download
is a personal-data export and leaves an entry in Wagtail's log (who, when, which import).
Thin views: parse the request, call forms.imports.services, render.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.log_actions import log

from core.admin_menu import PermissionMenuItem
from forms.imports import services
from forms.imports.mapping import FIELD_LABELS, mapping_choices, template_csv
from forms.imports.parsing import DELIMITER_NAMES, ImportFileError, max_bytes, max_rows
from forms.models import LeadImport
from leads.services.tags import TagError, tag_names_parse

PERMISSION = "leadforms.import_leads"
DOWNLOAD_ACTION = "leadforms.import_summary_download"
START_ACTION = "leadforms.import_start"


def can_import(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (comma, semicolon or tab separated; any common encoding) or Excel .xlsx")
    name = forms.CharField(
        max_length=200,
        required=False,
        help_text="Shown on every lead as its origin, e.g. 'Trade fair Berlin 2026'. Empty: the file name.",
    )
    interaction_type = forms.ChoiceField(
        label="What these people did",
        choices=LeadImport.InteractionType.choices,
        initial=LeadImport.InteractionType.IMPORTED,
    )
    tags = forms.CharField(
        label="Tags for everybody in this file",
        max_length=1000,
        required=False,
        help_text="Comma-separated, e.g. trade-fair, berlin-2026 (a Tags column adds each row's own)",
    )

    def clean_tags(self):
        try:
            return tag_names_parse(self.cleaned_data["tags"])
        except TagError as error:
            raise forms.ValidationError(str(error)) from None


class MappingForm(forms.Form):
    def __init__(self, *args, lead_import: LeadImport, samples: list[list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.columns = []
        for index, header in enumerate(lead_import.headers):
            name = f"column_{index}"
            initial = lead_import.mapping[index] if index < len(lead_import.mapping) else "custom"
            self.fields[name] = forms.ChoiceField(label=header, choices=mapping_choices(), initial=initial)
            self.columns.append((header, samples[index] if index < len(samples) else [], name))

    def rows(self):
        return [(header, sample, self[name]) for header, sample, name in self.columns]

    def mapping(self):
        return [self.cleaned_data[name] for _, _, name in self.columns]


class ImportView(WagtailAdminTemplateMixin, TemplateView):
    """Base: the permission check on every request, and the import from the URL where there is one."""

    header_icon = "upload"
    page_title = "Lead imports"

    def dispatch(self, request, *args, **kwargs):
        if not can_import(request.user):
            return permission_denied(request)
        self.lead_import = get_object_or_404(LeadImport, pk=kwargs["pk"]) if "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.lead_import.name if self.lead_import else ""

    def get_breadcrumbs_items(self):
        items = [*super().get_breadcrumbs_items(), {"url": reverse("lead_imports:index"), "label": "Lead imports"}]
        if self.lead_import:
            items.append({"url": "", "label": self.lead_import.name})
        return items

    def get_context_data(self, **kwargs):
        context = super().get_context_data(lead_import=self.lead_import, **kwargs)
        context["limits"] = {"megabytes": max_bytes() // (1024 * 1024), "rows": max_rows()}
        return context


class IndexView(ImportView):
    template_name = "leadforms/imports/index.html"

    def get_context_data(self, **kwargs):
        imports = LeadImport.objects.select_related("created_by")
        page = Paginator(imports, 25).get_page(self.request.GET.get("p"))
        return super().get_context_data(page=page, **kwargs)


class TemplateDownloadView(ImportView):
    def get(self, request, *args, **kwargs):
        response = HttpResponse("\ufeff" + template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lead-import-template.csv"'
        return response


class UploadView(ImportView):
    template_name = "leadforms/imports/upload.html"
    page_title = "New lead import"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", UploadForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                lead_import = services.import_upload(
                    data["file"],
                    name=data["name"],
                    interaction_type=data["interaction_type"],
                    tags=data["tags"],
                    user=request.user,
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                log(instance=lead_import, action="wagtail.create", user=request.user)
                return redirect("lead_imports:mapping", pk=lead_import.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EditableImportView(ImportView):
    """Mapping and preview exist only before the import starts."""

    def get(self, request, *args, **kwargs):
        if self.lead_import.status not in {LeadImport.Status.MAPPING, LeadImport.Status.READY}:
            return redirect("lead_imports:detail", pk=self.lead_import.pk)
        try:
            return self.render_to_response(self.get_context_data())
        except ImportFileError as error:
            messages.error(request, str(error))
            return redirect("lead_imports:detail", pk=self.lead_import.pk)


class MappingView(EditableImportView):
    template_name = "leadforms/imports/mapping.html"
    page_title = "Map the columns"

    def get_context_data(self, form=None, problems=(), **kwargs):
        form = form or MappingForm(lead_import=self.lead_import, samples=services.sample_values(self.lead_import))
        return super().get_context_data(form=form, problems=problems, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.lead_import.status not in {LeadImport.Status.MAPPING, LeadImport.Status.READY}:
            return redirect("lead_imports:detail", pk=self.lead_import.pk)
        form = MappingForm(request.POST, lead_import=self.lead_import, samples=[])
        problems = []
        if form.is_valid():
            problems = services.import_set_mapping(self.lead_import, form.mapping())
            if not problems:
                return redirect("lead_imports:preview", pk=self.lead_import.pk)
        form = MappingForm(request.POST, lead_import=self.lead_import, samples=services.sample_values(self.lead_import))
        form.is_valid()
        return self.render_to_response(self.get_context_data(form=form, problems=problems), status=400)


class PreviewView(EditableImportView):
    template_name = "leadforms/imports/preview.html"
    page_title = "Check and start"

    def get_context_data(self, **kwargs):
        preview = services.import_preview(self.lead_import)
        headers, mapping = self.lead_import.headers, self.lead_import.mapping
        shown = [
            (header, FIELD_LABELS.get(target, target))
            for header, target in zip(headers, mapping, strict=False)
            if target not in ("ignore", "custom")
        ]
        kept = [header for header, target in zip(headers, mapping, strict=False) if target == "custom"]
        ignored = [header for header, target in zip(headers, mapping, strict=False) if target == "ignore"]
        return super().get_context_data(preview=preview, shown=shown, kept=kept, ignored=ignored, **kwargs)


class StartView(ImportView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        lead_import = self.lead_import
        if lead_import.status == LeadImport.Status.MAPPING:
            messages.error(request, "Check the file first.")
            return redirect("lead_imports:preview", pk=lead_import.pk)
        if lead_import.status in {LeadImport.Status.READY, LeadImport.Status.FAILED}:
            log(
                instance=lead_import,
                action=START_ACTION,
                user=request.user,
                data={"rows": lead_import.total_rows, "resumed_at_row": lead_import.rows_done},
            )
            services.import_start(lead_import, user=request.user)
        return redirect("lead_imports:detail", pk=lead_import.pk)


class DetailView(ImportView):
    template_name = "leadforms/imports/detail.html"
    page_title = "Lead import"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            reasons=services.reason_summary(self.lead_import),
            delimiter_name=DELIMITER_NAMES.get(self.lead_import.delimiter, ""),
            **kwargs,
        )


class ProgressView(DetailView):
    """The progress fragment the detail page polls (htmx) every second while the import runs."""

    template_name = "leadforms/imports/_progress.html"


class SummaryDownloadView(ImportView):
    def get(self, request, *args, **kwargs):
        lead_import = self.lead_import
        if not lead_import.results.exists():
            messages.error(request, "This import has no rows imported yet.")
            return redirect("lead_imports:detail", pk=lead_import.pk)
        # A personal-data export: logged before a byte leaves.
        log(
            instance=lead_import,
            action=DOWNLOAD_ACTION,
            user=request.user,
            data={"rows": lead_import.rows_done, "import": lead_import.name},
        )
        response = StreamingHttpResponse(
            services.summary_csv_chunks(lead_import), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="lead-import-{lead_import.pk}-summary.csv"'
        response["Cache-Control"] = "no-store"
        return response


class LeadImportViewSet(ViewSet):
    name = "lead_imports"
    url_prefix = "lead-imports"
    url_namespace = "lead_imports"
    icon = "upload"
    menu_icon = "upload"
    menu_label = "Import leads"
    menu_name = "lead-imports"
    menu_order = 251  # just after the Lead store
    add_to_admin_menu = True
    menu_item_class = PermissionMenuItem.for_viewset(any_of=PERMISSION)

    @property
    def menu_url(self):
        return reverse("lead_imports:index")

    def get_urlpatterns(self):
        return [
            path("", IndexView.as_view(), name="index"),
            path("template.csv", TemplateDownloadView.as_view(), name="template"),
            path("new/", UploadView.as_view(), name="upload"),
            path("<int:pk>/", DetailView.as_view(), name="detail"),
            path("<int:pk>/mapping/", MappingView.as_view(), name="mapping"),
            path("<int:pk>/preview/", PreviewView.as_view(), name="preview"),
            path("<int:pk>/start/", StartView.as_view(), name="start"),
            path("<int:pk>/progress/", ProgressView.as_view(), name="progress"),
            path("<int:pk>/summary.csv", SummaryDownloadView.as_view(), name="summary"),
        ]


def register_lead_import_viewset():
    return LeadImportViewSet()


def register_import_permission():
    return Permission.objects.filter(content_type__app_label="leadforms", codename="import_leads")


def register_import_log_actions(actions):
    actions.register_action(DOWNLOAD_ACTION, "Download import summary", "Downloaded the import summary (personal data)")
    actions.register_action(START_ACTION, "Start lead import", "Started the lead import")
