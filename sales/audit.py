"""The audit trail of the sales workspace: every profile view and every export, in Wagtail's own log
(wagtail.log_actions, the table behind Reports > Site history), read back by the audit-log report.

Entries carry who, when (the log's timestamp), what (the person, or the list's name), the filters
as a query string, the row count and whether personal data was masked.

The report (/admin/sales/audit-log/, namespace `sales_audit`) is for administrators
(`sales.view_audit_log`; superusers too). It reads ModelLogEntry rows whose action is one of
AUDIT_ACTIONS, whichever admin listing wrote them (the sales lists, forms' and events' listings all
log "leadforms.export"). Exporting it is allowed to the same people and is itself an audit entry.
"""

import datetime
import logging
from urllib.parse import urlencode

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CheckboxSelectMultiple
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail.admin.filters import (
    DateRangePickerWidget,
    MultipleUserFilter,
    UserModelMultipleChoiceField,
    WagtailFilterSet,
)
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from core.admin_menu import PermissionMenuItem
from leads.admin_privacy import EXPORT_ACTION
from leads.models import Person
from sales.access import AUDIT_PERMISSION, can_view_audit_log

logger = logging.getLogger(__name__)

PROFILE_VIEW_ACTION = "sales.view_profile"
EXPORT_DOWNLOAD_ACTION = "sales.download_export"
# Every action the audit-log report shows: exports of any admin listing, profile views, downloads.
AUDIT_ACTIONS = [EXPORT_ACTION, PROFILE_VIEW_ACTION, EXPORT_DOWNLOAD_ACTION]
AUDIT_LOG_TITLE = "Audit log"


def record_profile_view(user, person: Person, *, masked: bool):
    # The label is the PID, never the name or email: the log outlives the person's consent.
    log(person, PROFILE_VIEW_ACTION, user=user, title=f"PID-{person.pk}", data={"person": person.pk, "masked": masked})


def record_export(
    user,
    *,
    model,
    list_title: str,
    file_format: str,
    rows: int,
    params: str,
    masked: bool,
    job_id: int | None = None,
    action: str = EXPORT_ACTION,
):
    """One entry per export (and per download of a background export's file)."""
    label = f"{list_title}: {file_format.upper()} export of {rows} rows"
    user = None if isinstance(user, AnonymousUser) else user
    log(
        model(pk=0),
        action,
        user=user,
        title=label[:255],
        data={
            "list": list_title,
            "format": file_format,
            "rows": rows,
            "filters": params,
            "masked": masked,
            "job": job_id,
        },
    )
    logger.info("%s exported %s (%s, %s rows, filters %r)", user, list_title, file_format, rows, params)


def register_audit_actions(actions):
    actions.register_action(PROFILE_VIEW_ACTION, "View profile", "Viewed a person's profile")
    actions.register_action(EXPORT_DOWNLOAD_ACTION, "Download export", "Downloaded an exported list")


# --- Reading an entry back -------------------------------------------------------------------
# Two writers with two shapes: record_export keeps the list's name and the filters as a query string;
# leads.admin_privacy.export_log (Wagtail listings' own exports) keeps the filters as a dict of lists
# and no name (the entry's content type is the listing's model). Both are read here, nowhere else.


def _data(entry) -> dict:
    return entry.data if isinstance(entry.data, dict) else {}


def audit_list_name(entry) -> str:
    """What was exported, by the list's name."""
    name = _data(entry).get("list")
    if name:
        return str(name)
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is not None:
        return str(model._meta.verbose_name_plural).capitalize()
    return entry.label.split(":", 1)[0]


def audit_person_id(entry) -> int | None:
    if entry.action != PROFILE_VIEW_ACTION:
        return None
    value = _data(entry).get("person", entry.object_id)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def audit_what(entry) -> str:
    person_id = audit_person_id(entry)
    if person_id is not None:
        return f"PID-{person_id}"
    if entry.action == PROFILE_VIEW_ACTION:
        return entry.label
    return audit_list_name(entry)


def audit_filters(entry) -> str:
    """The filters as a query string, whichever way they were stored."""
    filters = _data(entry).get("filters")
    if isinstance(filters, dict):
        return urlencode({str(key): value for key, value in filters.items()}, doseq=True)
    return str(filters or "")


def audit_rows(entry):
    rows = _data(entry).get("rows")
    return rows if isinstance(rows, int) else None


def audit_masked(entry):
    masked = _data(entry).get("masked")
    return masked if isinstance(masked, bool) else None


def audit_action_label(entry) -> str:
    try:
        return str(log_registry.get_action_label(entry.action))
    except KeyError:
        return entry.action


def audit_user(entry) -> str:
    return entry.user_display_name if entry.user_id else "system"


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


# --- The report -------------------------------------------------------------------------------


def _audit_entries():
    return ModelLogEntry.objects.filter(action__in=AUDIT_ACTIONS)


class UserIdsField(UserModelMultipleChoiceField):
    """Users by id. An id past the database's integer range is refused as a choice like any unknown one
    (Django would pass it to SQLite's IN (...) and fail with an OverflowError)."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else [value]:
            if not (isinstance(pk, str) and pk.isascii() and pk.isdigit() and int(pk) < 2**63):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class UserIdsFilter(MultipleUserFilter):
    field_class = UserIdsField


class AuditLogFilterSet(WagtailFilterSet):
    action = django_filters.MultipleChoiceFilter(label="Action", widget=CheckboxSelectMultiple)
    user = UserIdsFilter(label="User", widget=CheckboxSelectMultiple)
    timestamp = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = ModelLogEntry
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["action"].extra["choices"] = [
            (action, label) for action, label in log_registry.get_choices() if action in AUDIT_ACTIONS
        ]
        # Only people who appear in the audit trail (the user table may be much longer).
        self.filters["user"].extra["queryset"] = (
            get_user_model()
            .objects.filter(pk__in=_audit_entries().exclude(user_id=None).values("user_id"))
            .order_by("username")
        )


class AuditLogView(ReportView):
    """Who looked at whom and who took which list out of the building, newest first."""

    page_title = AUDIT_LOG_TITLE
    header_icon = "history"
    filterset_class = AuditLogFilterSet
    index_url_name = "sales_audit:index"
    index_results_url_name = "sales_audit:results"
    paginate_by = 50
    export_filename = "audit-log"
    list_export = ["timestamp", "user", "action", "what", "filters", "rows", "masked", "object_id"]
    export_headings = {
        "timestamp": "When (UTC)",
        "user": "Who",
        "action": "Action",
        "what": "What",
        "filters": "Filters",
        "rows": "Rows",
        "masked": "Personal data masked",
        "object_id": "Object id",
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_view_audit_log(request.user):
            raise PermissionDenied  # the admin answers with its usual redirect and message
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.is_export:
            # Straight to the file: the listing's context would count and load every row first.
            return self.as_spreadsheet(self.get_filtered_queryset(), request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return _audit_entries().select_related("user", "content_type").order_by("-timestamp", "-pk")

    def filter_queryset(self, queryset):
        # django-filter applies only the fields that cleaned; a bad date is shown as an error on its
        # field and the other filters still hold (Wagtail's default would drop every filter).
        if self.filters is not None:
            self.filters.is_valid()
            queryset = self.filters.filter_queryset(queryset)
        return queryset

    @cached_property
    def columns(self):
        return [
            DateColumn("timestamp", label="When"),
            Column("user", label="Who", accessor=audit_user),
            Column("action", label="Action", accessor=audit_action_label),
            Column("what", label="What", accessor=self._what_html),
            Column("filters", label="Filters", accessor=audit_filters),
            Column("rows", label="Rows", accessor=lambda entry: "" if audit_rows(entry) is None else audit_rows(entry)),
            Column("masked", label="Masked", accessor=lambda entry: _yes_no(audit_masked(entry))),
        ]

    def _what_html(self, entry):
        person_id = audit_person_id(entry)
        if person_id is not None:
            return format_html('<a href="{}">PID-{}</a>', reverse("leads_person:inspect", args=[person_id]), person_id)
        return audit_what(entry)

    # --- export -----------------------------------------------------------------------------

    def get_filename(self):
        return f"{self.export_filename}-{datetime.date.today():%Y-%m-%d}"

    def to_row_dict(self, item):
        return {
            "timestamp": item.timestamp,
            "user": audit_user(item),
            "action": audit_action_label(item),
            "what": audit_what(item),
            "filters": audit_filters(item),
            "rows": audit_rows(item),
            "masked": _yes_no(audit_masked(item)),
            "object_id": item.object_id,
        }

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        # A BOM first, so Excel reads the file as UTF-8.
        response.streaming_content = _with_bom(response.streaming_content)
        return response

    def as_spreadsheet(self, queryset, spreadsheet_format):
        params = self.request.GET.copy()
        params.pop("export", None)
        record_export(
            self.request.user,
            model=ModelLogEntry,
            list_title=AUDIT_LOG_TITLE,
            file_format=spreadsheet_format,
            rows=queryset.count(),
            params=params.urlencode(),
            masked=False,
        )
        # Streamed in chunks: the log only grows, and the export must not hold it all in memory.
        return super().as_spreadsheet(_Rows(queryset), spreadsheet_format)


class _Rows:
    """A queryset read with .iterator() (constant memory) that still answers `.model` for headings."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.model = queryset.model

    def __iter__(self):
        return self.queryset.iterator(chunk_size=2000)


def _with_bom(content):
    yield "\ufeff"
    yield from content


class AuditLogResultsView(AuditLogView):
    results_only = True


class AuditLogViewSet(ViewSet):
    """The audit log under Sales, shown only to those allowed to read it."""

    name = "sales_audit"
    url_prefix = "sales/audit-log"
    url_namespace = "sales_audit"
    icon = "history"
    menu_label = AUDIT_LOG_TITLE
    menu_item_class = PermissionMenuItem.for_viewset(any_of=AUDIT_PERMISSION)

    def get_urlpatterns(self):
        return [
            path("", AuditLogView.as_view(), name="index"),
            path("results/", AuditLogResultsView.as_view(), name="results"),
        ]


# --- Wagtail's Site history, without the audit trail for those who may not read it ----------------
class SiteHistoryView(LogEntriesView):
    """Wagtail's Site history shows a log entry to anybody with any right on its model: a rep (who may
    view people) would read there who viewed whom, who exported what, and edits labelled with people's
    emails. For users without `sales.view_audit_log` it leaves out the audit trail's actions and the
    entries about people, companies, leads, saved filters and exports; everything else (pages,
    snippets, events...) stays. Mounted over Wagtail's own URL in cms/urls.py."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if can_view_audit_log(self.request.user):
            return queryset
        return queryset.exclude(action__in=AUDIT_ACTIONS).exclude(content_type__in=_private_content_types())


def _private_content_types():
    from django.contrib.contenttypes.models import ContentType

    from leads.models import Company, Interaction, Lead
    from sales.models import ExportJob, SavedFilter

    return list(ContentType.objects.get_for_models(Person, Company, Lead, Interaction, SavedFilter, ExportJob).values())


def site_history_urls():
    """Placed before Wagtail's admin URLs, so these two paths reach SiteHistoryView; names unchanged."""
    from wagtail.admin.auth import require_admin_access

    return [
        path("admin/reports/site-history/", require_admin_access(SiteHistoryView.as_view())),
        path("admin/reports/site-history/results/", require_admin_access(SiteHistoryView.as_view(results_only=True))),
    ]
