"""The exports screens (URL namespace `sales_exports`, under /admin/sales/exports/).

- new/ ?list=people&<the list's filters>: the form (format, columns, masking), the filters in words and
  the row count; POST answers a small export at once (CSV streamed, XLSX from a temporary file) or
  starts a background job and shows its page.
- <pk>/ and <pk>/progress/ (the htmx fragment polled every second), <pk>/download/, <pk>/retry/.
- the index: the user's own recent exports.

Every view needs "Can export lead lists" (leads.export_people); a job is seen by whoever asked for it
and by administrators, anybody else gets a 404 as for an unknown id. Thin: parse, call
sales.exports.services, render.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from core.admin_menu import PermissionMenuItem
from leads.privacy import can_view_personal_data
from sales.access import EXPORT_PERMISSION, can_export, scope_for
from sales.exports import columns as registry
from sales.exports import services
from sales.models import ExportJob


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format", choices=ExportJob.Format.choices, initial=ExportJob.Format.CSV, widget=forms.RadioSelect
    )
    columns = forms.MultipleChoiceField(
        label="Columns", widget=forms.CheckboxSelectMultiple, error_messages={"required": "Choose at least one column."}
    )
    mask_personal_data = forms.BooleanField(
        label="Mask email addresses and phone numbers",
        required=False,
        help_text="j***@example.com, +49 *** 56: for a file that travels further than you",
    )

    def __init__(self, *args, list_columns, defaults, may_see_personal_data, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [
            (column.key, f"{column.heading} (personal data)" if column.personal else column.heading)
            for column in list_columns
        ]
        self.fields["columns"].initial = defaults
        if not may_see_personal_data:
            field = self.fields["mask_personal_data"]
            field.initial, field.disabled = True, True
            field.help_text = "Always masked: you may not see people's email addresses and phone numbers."


class ExportView(WagtailAdminTemplateMixin, TemplateView):
    """Base: the permission check on every request, and the user's job from the URL where there is one."""

    header_icon = "download"
    page_title = "Exports"

    def dispatch(self, request, *args, **kwargs):
        if not can_export(request.user):
            return permission_denied(request)
        self.job = (
            get_object_or_404(services.jobs_visible_to(request.user), pk=kwargs["pk"]) if "pk" in kwargs else None
        )
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [*super().get_breadcrumbs_items(), {"url": reverse("sales_exports:index"), "label": "Exports"}]
        if self.job:
            items.append({"url": "", "label": self.job.title})
        return items

    def job_context(self):
        job = self.job
        try:
            filters = services.describe_filters(job.list_name, QueryDict(job.params), job.requested_by)
        except Exception:  # noqa: BLE001 - a list's filters changed since: show the query string as it is
            filters = [("Filters", job.params)] if job.params else []
        return {
            "job": job,
            "filters": filters,
            "download_name": services.job_download_name(job),
            "can_retry": job.status == ExportJob.Status.FAILED or services.job_is_stuck(job),
            "is_mine": job.requested_by_id == self.request.user.pk,
        }


class IndexView(ExportView):
    template_name = "sales/exports/index.html"
    page_title = "My exports"

    def get_breadcrumbs_items(self):
        return [*super(ExportView, self).get_breadcrumbs_items(), {"url": "", "label": "My exports"}]

    def get_context_data(self, **kwargs):
        jobs = ExportJob.objects.filter(requested_by=self.request.user).order_by("-created_at", "-pk")
        page = Paginator(jobs, 25).get_page(self.request.GET.get("p"))
        return super().get_context_data(page=page, **kwargs)


class NewExportView(ExportView):
    """GET: the form. POST: a small export answered at once, a big one started as a job (Excel's sheet
    limit is checked by the job, which counts every row; this view only counts up to the inline limit)."""

    template_name = "sales/exports/new.html"
    page_title = "Export"

    def get(self, request, *args, **kwargs):
        return self.answer(request.GET, title=request.GET.get("title"), params=request.GET)

    def post(self, request, *args, **kwargs):
        return self.answer(
            request.POST, title=request.POST.get("title"), params=request.POST.get("params", ""), data=request.POST
        )

    def answer(self, source, *, title, params, data=None):
        try:
            list_name = services.clean_list_name(source.get("list"))
            params = services.filter_params(params)
        except services.ExportInputError as error:
            return self.render_to_response(self.get_context_data(problems=[str(error)]), status=400)
        problems = services.filter_errors(list_name, params, self.request.user)
        queryset = services.export_rows(list_name, user=self.request.user, params=params)
        list_columns = registry.columns_for(list_name, queryset)
        defaults = registry.default_keys(list_name, queryset)
        if data is not None and "columns" not in data and data.get("use_default_columns"):
            data = data.copy()
            data.setlist("columns", defaults)  # the one-click buttons: the list's default columns
        form = ExportForm(
            data,
            list_columns=list_columns,
            defaults=defaults,
            may_see_personal_data=can_view_personal_data(self.request.user),
        )
        context = {
            "list_name": list_name,
            "params": params,
            "title": services.clean_title(title, list_name),
            "form": form,
            "problems": problems,
        }
        if data is None or problems or not form.is_valid():
            return self.render_form(context, queryset, status=400 if data is not None or problems else 200)
        try:
            spec = services.spec_for(
                self.request.user,
                list_name=list_name,
                params=params,
                title=title,
                columns=form.cleaned_data["columns"],
                file_format=form.cleaned_data["format"],
                mask=form.cleaned_data["mask_personal_data"],
                queryset=queryset,
            )
        except services.ExportInputError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.render_form(context, queryset, status=400)
        small, rows = services.export_is_small(queryset)
        if small:
            return self.inline_response(services.export_inline(self.request.user, spec, queryset, rows=rows))
        job = services.export_job_start(self.request.user, spec)
        messages.success(self.request, f"Your export of {job.title} is being prepared: it appears below when ready.")
        return redirect("sales_exports:detail", pk=job.pk)

    def render_form(self, context, queryset, status):
        context["description"] = services.describe_filters(context["list_name"], context["params"], self.request.user)
        context["scope"] = scope_for(self.request.user).label
        cap = services.count_cap()
        context["rows"] = services.count_rows(queryset, cap) if not context["problems"] else None
        context["rows_capped"] = context["rows"] is not None and context["rows"] > cap
        context["cap"] = cap
        context["inline_max"] = services.inline_max_rows()
        context["may_see_personal_data"] = can_view_personal_data(self.request.user)
        context["every_row"] = registry.EVERY_ROW[context["list_name"]]
        return self.render_to_response(self.get_context_data(**context), status=status)

    def inline_response(self, export):
        if export.chunks is not None:
            response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
            response["Content-Disposition"] = content_disposition_header(True, export.filename)
        else:
            response = FileResponse(
                export.file, as_attachment=True, filename=export.filename, content_type=export.content_type
            )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DetailView(ExportView):
    template_name = "sales/exports/detail.html"
    page_title = "Export"

    def get_page_subtitle(self):
        return self.job.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.job_context(), **kwargs)


class ProgressView(DetailView):
    """The progress fragment the detail page polls (htmx) every second while the job runs."""

    template_name = "sales/exports/_progress.html"


class DownloadView(ExportView):
    def get(self, request, *args, **kwargs):
        try:
            handle, name = services.job_download(self.job, request.user)
        except services.ExportRefused as error:
            messages.error(request, str(error))
            return redirect("sales_exports:detail", pk=self.job.pk)
        except FileNotFoundError:
            messages.error(request, "The file of this export is not there any more: run it again.")
            return redirect("sales_exports:detail", pk=self.job.pk)
        response = FileResponse(
            handle, as_attachment=True, filename=name, content_type=services.CONTENT_TYPES[self.job.file_format]
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class RetryView(ExportView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        job = services.export_job_retry(self.job, request.user)
        if job.status == ExportJob.Status.FAILED and job.error:
            messages.error(request, job.error)
        return redirect("sales_exports:detail", pk=job.pk)


class ExportViewSet(ViewSet):
    name = "sales_exports"
    url_prefix = "sales/exports"
    url_namespace = "sales_exports"
    icon = "download"
    menu_icon = "download"
    menu_label = "My exports"
    menu_name = "sales-exports"
    add_to_admin_menu = False
    menu_item_class = PermissionMenuItem.for_viewset(any_of=EXPORT_PERMISSION)

    def get_urlpatterns(self):
        return [
            path("", IndexView.as_view(), name="index"),
            path("new/", NewExportView.as_view(), name="new"),
            path("<int:pk>/", DetailView.as_view(), name="detail"),
            path("<int:pk>/progress/", ProgressView.as_view(), name="progress"),
            path("<int:pk>/download/", DownloadView.as_view(), name="download"),
            path("<int:pk>/retry/", RetryView.as_view(), name="retry"),
        ]
