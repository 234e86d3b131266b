"""Admin screens that show personal data: masked for users without the personal-data permission,
and every CSV/XLSX export written to Wagtail's audit log (Reports > Site history and the sales
workspace's audit log) with who ran it, which filters and how many rows.

Shared by the lead store, forms, events and the sales workspace.
"""

import logging

from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.log_actions import log

from leads.privacy import can_view_personal_data

logger = logging.getLogger(__name__)

# The action's name predates this module (forms had it first); log entries already carry it.
EXPORT_ACTION = "leadforms.export"


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
        return Column(
            name,
            label=column.label,
            sort_key=column.sort_key,
            accessor=lambda instance: self.mask(name, getattr(instance, name, "")),
        )

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
    log(
        model(pk=0),
        EXPORT_ACTION,
        user=request.user,
        title=label[:255],
        data={"format": spreadsheet_format, "rows": rows, "filters": filters, "masked": masked},
    )
    logger.info(
        "%s exported %s (%s, %s rows, filters %s)", request.user, model._meta.label, spreadsheet_format, rows, filters
    )


def register_export_action(actions):
    actions.register_action(EXPORT_ACTION, "Export", "Exported a listing (CSV/XLSX)")
