"""Admin for importing a season of events (CSV or .ics): upload, preview every row, import, result.

Nothing is saved before the marketer confirms the preview. Between the two, the upload waits in a
private folder (events.imports.storage: the "events" folder of the lead imports' private store, never
under MEDIA_ROOT, no URL) under a random name that only this browser session knows; it is deleted once
imported, and uploads nobody imported are purged after a day. The import re-reads the file rather than trusting
anything the browser sends back, so the preview a marketer saw is what runs (duplicates checked again).

Every view needs "Can add event" (events.add_event). Thin views: read the request, call
events.imports, render. Mounted by events/wagtail_hooks.py (register_admin_urls) under
/admin/events/import/; reverse the names as "event_imports:<name>".
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse, reverse_lazy
from django.views.generic import TemplateView
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.models import Page

from core.admin_menu import PermissionMenuItem
from events import imports
from events.models import Event
from events.permissions import IMPORT_PERMISSION, can_import_events, can_publish_pages

SESSION_KEY = "event_imports"
KEEP_IN_SESSION = 5  # uploads per session; older ones are forgotten (and their files purged later)
SKIPPED_SHOWN = 500  # skipped rows listed on the result page (the preview listed them all); keeps sessions small
DRAFT, PUBLISH = "draft", "publish"


class PagesChoiceForm(forms.Form):
    """Drafts or published pages; publishing only for people who may publish pages."""

    pages = forms.ChoiceField(
        label="Landing pages",
        widget=forms.RadioSelect,
        initial=DRAFT,
        choices=[
            (DRAFT, "Generate landing pages as drafts, for an editor to review and publish"),
            (PUBLISH, "Generate landing pages and publish them at once"),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish_pages(user):
            self.fields["pages"].choices = self.fields["pages"].choices[:1]
            self.fields["pages"].help_text = "You may not publish pages: an editor publishes the drafts."

    @property
    def publish(self) -> bool:
        return self.cleaned_data["pages"] == PUBLISH


class UploadForm(PagesChoiceForm):
    file = forms.FileField(
        label="CSV file or calendar (.ics)",
        help_text="CSV: comma or semicolon separated, UTF-8 or Windows encoding. Calendar: an .ics "
        "export from Google, Outlook or Apple Calendar.",
    )
    field_order = ["file", "pages"]


class EventImportView(WagtailAdminTemplateMixin, TemplateView):
    """Base: the permission check on every request, the upload this session holds for the URL's token."""

    header_icon = "upload"
    page_title = "Import events"

    def dispatch(self, request, *args, **kwargs):
        if not can_import_events(request.user):
            raise PermissionDenied
        self.token = kwargs.get("token")
        self.entry = None
        if self.token:
            self.entry = request.session.get(SESSION_KEY, {}).get(self.token)
            if self.entry is None:  # another session's token, or one already imported and forgotten
                raise Http404("No such upload in this session.")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [*super().get_breadcrumbs_items(), {"url": reverse("event_imports:upload"), "label": "Import events"}]
        if self.entry:
            items.append({"url": "", "label": self.entry.get("filename", "")})
        return items

    def get_context_data(self, **kwargs):
        kwargs.update(
            entry=self.entry,
            token=self.token,
            default_time_zone=settings.TIME_ZONE,
            limits={"megabytes": imports.max_bytes() // (1024 * 1024), "rows": imports.max_rows()},
        )
        return super().get_context_data(**kwargs)

    def remember(self, data: dict) -> None:
        uploads = self.request.session.get(SESSION_KEY, {})
        uploads[self.token] = data
        # A session keeps the last few uploads only; dict order is insertion order.
        self.request.session[SESSION_KEY] = dict(list(uploads.items())[-KEEP_IN_SESSION:])

    def read_preview(self) -> imports.ImportPreview:
        return imports.events_from_file(imports.upload_read(self.entry["file"]), self.entry["filename"])


class TemplateDownloadView(EventImportView):
    def get(self, request, *args, **kwargs):
        # A BOM, so Excel opens the umlauts as UTF-8.
        response = HttpResponse("\ufeff" + imports.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="event-import-template.csv"'
        return response


class UploadView(EventImportView):
    template_name = "events/admin_imports/upload.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", UploadForm(user=self.request.user))
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data, filename = imports.read_upload(upload)
                preview = imports.events_from_file(data, filename)  # refuses a file that cannot be imported
            except imports.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                name = imports.upload_keep(data, preview.source)
                self.token = name.split(".", 1)[0]
                self.remember(
                    {"file": name, "filename": filename[:200], "source": preview.source, "publish": form.publish}
                )
                return redirect("event_imports:preview", token=self.token)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PreviewView(EventImportView):
    template_name = "events/admin_imports/preview.html"
    page_title = "Check the events"

    def get(self, request, *args, **kwargs):
        if "result" in self.entry:
            return redirect("event_imports:result", token=self.token)
        try:
            preview = self.read_preview()
        except imports.ImportFileError as error:
            messages.error(request, str(error))
            return redirect("event_imports:upload")
        form = PagesChoiceForm(user=request.user, initial={"pages": PUBLISH if self.entry.get("publish") else DRAFT})
        return self.render_to_response(self.get_context_data(preview=preview, form=form))


class RunView(EventImportView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if "result" in self.entry:  # sent twice (back button, double click): the import already ran
            return redirect("event_imports:result", token=self.token)
        form = PagesChoiceForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(
                request, "Choose how to generate the landing pages (publishing them needs permission to publish pages)."
            )
            return redirect("event_imports:preview", token=self.token)
        try:
            preview = self.read_preview()
            result = imports.events_import(preview, publish=form.publish, user=request.user)
        except imports.ImportFileError as error:
            messages.error(request, str(error))
            return redirect("event_imports:upload")
        imports.upload_delete(self.entry["file"])
        self.remember(
            {
                **self.entry,
                "file": "",
                "publish": result.publish,
                "result": {
                    "created": [event.pk for event in result.created],
                    "pages": [[event.pk, page.pk, what] for event, page, what in result.pages],
                    "skipped": [list(item) for item in result.skipped[:SKIPPED_SHOWN]],
                    "skipped_count": result.skipped_count,
                },
            }
        )
        messages.success(request, f"{result.created_count} events imported, {result.skipped_count} rows skipped.")
        return redirect("event_imports:result", token=self.token)


class ResultView(EventImportView):
    template_name = "events/admin_imports/result.html"
    page_title = "Events imported"

    def get(self, request, *args, **kwargs):
        if "result" not in self.entry:
            return redirect("event_imports:preview", token=self.token)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        result = self.entry["result"]
        page_ids = {event_id: page_id for event_id, page_id, _what in result["pages"]}
        pages = Page.objects.in_bulk(page_ids.values())
        finder = AdminURLFinder(self.request.user)
        rows = []
        for event in Event.objects.filter(pk__in=result["created"]).order_by("starts_at"):
            page = pages.get(page_ids.get(event.pk))
            rows.append(
                {
                    "event": event,
                    "event_edit_url": finder.get_edit_url(event),
                    "page": page,
                    "page_edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]) if page else "",
                    "page_url": page.get_url(self.request) if page and page.live else "",
                }
            )
        skipped_count = result.get("skipped_count", len(result["skipped"]))
        return super().get_context_data(
            rows=rows,
            skipped=result["skipped"],
            skipped_count=skipped_count,
            skipped_more=skipped_count - len(result["skipped"]),
            publish=self.entry.get("publish"),
            **kwargs,
        )


_patterns = [
    path("", UploadView.as_view(), name="upload"),
    path("template.csv", TemplateDownloadView.as_view(), name="template"),
    path("<slug:token>/", PreviewView.as_view(), name="preview"),
    path("<slug:token>/run/", RunView.as_view(), name="run"),
    path("<slug:token>/result/", ResultView.as_view(), name="result"),
]
# The namespace comes with the patterns, so they reverse as "event_imports:..." however they are mounted.
urlpatterns = [path("", include((_patterns, "event_imports")))]


def import_menu_item(order: int = 281) -> PermissionMenuItem:
    """'Import events' for the admin menu (or an Events submenu), shown to people who may add events."""
    return PermissionMenuItem(
        "Import events",
        reverse_lazy("event_imports:upload"),
        any_of=IMPORT_PERMISSION,
        name="event-import",
        icon_name="upload",
        order=order,
    )
