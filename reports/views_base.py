"""What every report screen does the same way: check who may see it, read the period and filters
(a wrong one answers 400 naming the field, never a 500), render the page, or give one of its tables
as CSV (audit-logged, formula cells neutralised).

A report is a ReportView subclass with `title`, `template_name` and `report(request, period, filters)`,
which returns the template context and puts every table it shows in `tables`.
"""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views import View

from core.read_replica import reading_from_replica
from core.spreadsheets import SafeCsvWriter
from sales.audit import record_export

from . import access
from .filters import FILTER_NAMES, ReportFilters, filters_from_request
from .models import PersonJourney
from .periods import PRESETS, ReportInputError, period_from_request


class ReportView(View):
    title = "Report"
    template_name = "reports/report.html"
    default_period = "30d"
    uses_filters = True  # people-based reports take the journey filters; content reports don't
    content_report = False  # editors may see it (reports.view_content_reports)

    def has_permission(self, user) -> bool:
        if self.content_report:
            return access.can_see_content_reports(user)
        return access.can_see_reports(user)

    def report(self, request, period, filters) -> dict:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        if not self.has_permission(request.user):
            raise PermissionDenied
        try:
            period = period_from_request(request.GET, default=self.default_period)
            filters = filters_from_request(request.GET) if self.uses_filters else ReportFilters()
            # The figures come from the read replica when there is one (as far behind as its lag). The rest
            # of the page (the digest toggle the user just pressed) is read from the primary, and the CSV's
            # audit entry is written there: writes never go to the replica.
            with reading_from_replica():
                context = self.report(request, period, filters)
        except ReportInputError as error:
            return render(
                request,
                "reports/input_error.html",
                {"title": self.title, "header_title": self.title, "error": error},
                status=400,
            )
        tables = context.get("tables", [])
        if request.GET.get("format") == "csv":
            return self.csv_response(request, tables, period)
        context.update(
            {
                "title": self.title,
                "header_title": self.title,
                "period": period,
                "filters": filters,
                "presets": PRESETS,
                "uses_filters": self.uses_filters,
                "filter_names": FILTER_NAMES,
                # A report's own choices (channel quality's rows and order, ...) travel with the period
                # form and the CSV links: `extra_query` in its context.
                "query": {**period.query(), **filters.query(), **context.get("extra_query", {})},
                "sees_everybody": access.sees_everybody(request.user),
            }
        )
        return render(request, self.template_name, context)

    def csv_response(self, request, tables, period):
        wanted = request.GET.get("table") or (tables[0].name if tables else "")
        table = next((t for t in tables if t.name == wanted), None)
        if table is None:
            return render(
                request,
                "reports/input_error.html",
                {
                    "title": self.title,
                    "header_title": self.title,
                    "error": ReportInputError("table", f"must be one of {', '.join(t.name for t in tables)}"),
                },
                status=400,
            )
        stream = io.StringIO()
        writer = SafeCsvWriter(stream)
        rows = list(table.csv_rows())
        writer.writerows(rows)
        params = request.GET.urlencode()
        record_export(
            request.user,
            model=PersonJourney,
            list_title=f"Report: {self.title} - {table.title}",
            file_format="csv",
            rows=len(rows) - 1,
            params=params,
            masked=False,  # aggregate reports hold no personal data
        )
        name = f"{slugify(self.title)}-{table.name}-{period.start}-{period.end}.csv"
        response = HttpResponse("\ufeff" + stream.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
