"""Exports of the sales workspace's lists (CSV/XLSX, streamed or in the background).

- columns.py: what each list can export, how each column is read, which columns are personal data
- writers.py: the CSV and XLSX writers (streamed, formula-injection safe, a BOM for Excel)
- services.py: choosing the rows (sales.selectors.list_queryset), exporting in the request or as a job
- storage.py: the private folder the jobs write to; tasks.py: the background task
- views.py: the screens (URL namespace `sales_exports`); templates under sales/templates/sales/exports/

Other screens link here with `export_button(request, list_name)` (the listing's header) or include
"sales/exports/_one_click.html" with list_name, params (the list's query string) and title.
"""


def export_button(request, list_name: str, title: str | None = None):
    """The listing's "Export" header button (to the export form, with the listing's filters), or None
    when the user may not export. `title` names the file (a saved filter's name, say)."""
    from django.http import QueryDict
    from django.urls import reverse
    from wagtail.admin.widgets import HeaderButton

    from sales.access import can_export
    from sales.exports.spec import ExportInputError, filter_params

    if not can_export(request.user):
        return None
    try:
        query = filter_params(request.GET).copy()
    except ExportInputError:
        query = QueryDict(mutable=True)
    query["list"] = list_name
    if title:
        query["title"] = title
    return HeaderButton(
        "Export",
        url=f"{reverse('sales_exports:new')}?{query.urlencode()}",
        icon_name="download",
        attrs={"data-sales-export": list_name},
    )
