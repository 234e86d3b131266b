"""What an export asks for, checked: which list, its filters, its name, the columns, the format, masked or
not (ExportSpec), and the rows it will hold (`export_rows`, always sales.selectors.list_queryset for the
exporting user: their scope, the list's filters, the search; never a filter of our own).

Bad input is an ExportInputError naming its field; an export refuses a filter the listing would only
leave out, so a file never holds more than was asked for.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import slugify

from leads.models import Company, Lead, Person
from leads.privacy import can_view_personal_data
from sales.exports import columns as registry
from sales.filters import FILTERSETS
from sales.selectors import list_filter_errors, list_queryset

LISTS = ("people", "companies", "leads", "gated")
MODELS = {"people": Person, "companies": Company, "leads": Lead, "gated": Person}
# Query-string keys that are the export's or the listing's own, not the list's filters.
CONTROL_KEYS = frozenset(
    {
        "list",
        "title",
        "format",
        "file_format",
        "columns",
        "mask_personal_data",
        "params",
        "use_default_columns",
        "csrfmiddlewaretoken",
        "p",
        "page",
        "ordering",
        "export",
        "per_page",
        "after",
        "before",
        "_w_filter_fragment",
        "_",
    }
)
MAX_PARAMS_LENGTH = 4000
MAX_TITLE_LENGTH = 100
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportInputError(ValueError):
    """Bad input for an export, naming the field it came from."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ExportRefused(PermissionError):
    pass


def count_cap() -> int:
    """Rows counted for the export form ("more than 100,000" beyond)."""
    return int(getattr(settings, "SALES_EXPORT_COUNT_CAP", 100_000))


@dataclass(frozen=True)
class ExportSpec:
    """One export as asked: which list, its filters, its name, the columns, the format, masked or not."""

    list_name: str
    params: QueryDict
    title: str
    columns: tuple[str, ...]
    file_format: str
    masked: bool

    @property
    def query_string(self) -> str:
        return self.params.urlencode(safe=":,")  # source=content:42 reads as it is written


def clean_list_name(value) -> str:
    value = (value or "people").strip() if isinstance(value, str) else "people"
    if value not in LISTS:
        raise ExportInputError("list", f"there is no list called {value[:40]!r}; choose one of {', '.join(LISTS)}.")
    return value


def filter_params(data) -> QueryDict:
    """The list's filters from a QueryDict (a request's GET) or a query string, without the export's and
    the listing's own keys (paging, sorting) and without empty values."""
    if isinstance(data, str) or data is None:
        text = data or ""
        if len(text) > MAX_PARAMS_LENGTH:
            raise ExportInputError("params", f"the filters are longer than {MAX_PARAMS_LENGTH} characters.")
        data = QueryDict(text)
    params = QueryDict(mutable=True)
    for key, values in data.lists():
        if key in CONTROL_KEYS:
            continue
        kept = [value for value in values if value.strip()]
        if kept:
            params.setlist(key, kept)
    if len(params.urlencode()) > MAX_PARAMS_LENGTH:
        raise ExportInputError("params", f"the filters are longer than {MAX_PARAMS_LENGTH} characters.")
    params._mutable = False
    return params


def clean_title(value, list_name: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", " ", value if isinstance(value, str) else "").strip()
    return " ".join(text.split())[:MAX_TITLE_LENGTH] or registry.TITLES[list_name]


def file_name_for(title: str, list_name: str, file_format: str, day=None) -> str:
    """ "Whitepaper: State of RevOps" -> whitepaper-state-of-revops-2026-12-01.csv."""
    day = day or timezone.localdate()
    slug = slugify(title)[:80].strip("-") or list_name
    return f"{slug}-{day:%Y-%m-%d}.{file_format}"


def rows_of(list_name: str) -> str:
    return registry.ROWS_OF.get(list_name, list_name)


def filterset_for(list_name: str, params, user=None):
    model = MODELS[list_name]
    return FILTERSETS[rows_of(list_name)](data=params, queryset=model.objects.none(), user=user)


def filter_errors(list_name: str, params, user=None) -> list[str]:
    """What is wrong with the filters, field by field ("Stage: Select a valid choice..."); empty when fine.

    The listing leaves a bad filter out and shows the rest; an export refuses it, so a file never holds
    more than was asked for (sales.selectors.list_filter_errors)."""
    errors = list_filter_errors(rows_of(list_name), user=user, params=params)
    if not errors:
        return []
    fields = filterset_for(list_name, params, user).form.fields
    return [
        f"{fields[name].label if name in fields and fields[name].label else name}: {' '.join(messages)}"
        for name, messages in errors.items()
    ]


def export_rows(list_name: str, *, user, params):
    """The rows of the list as `user` may see them (scope, filters, search): sales.selectors decides."""
    return list_queryset(rows_of(list_name), user=user, params=params)


def count_rows(queryset, cap: int) -> int:
    """Rows up to cap + 1 (a count that stays cheap at a million rows: it stops early)."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def spec_for(
    user, *, list_name: str, params, title: str, columns, file_format: str, mask: bool, queryset=None
) -> ExportSpec:
    """Check an export request; the columns default to the list's defaults. Raises ExportInputError."""
    list_name = clean_list_name(list_name)
    if file_format not in CONTENT_TYPES:
        raise ExportInputError("format", "choose CSV or Excel (XLSX).")
    params = params if isinstance(params, QueryDict) and not params._mutable else filter_params(params)
    errors = filter_errors(list_name, params, user)
    if errors:
        raise ExportInputError("filters", "; ".join(errors))
    queryset = export_rows(list_name, user=user, params=params) if queryset is None else queryset
    offered = {column.key for column in registry.columns_for(list_name, queryset)}
    if columns is None:
        columns = registry.default_keys(list_name, queryset)
    unknown = [key for key in columns if key not in offered]
    if unknown:
        raise ExportInputError("columns", f"this list has no column {unknown[0][:40]!r}.")
    if not columns:
        raise ExportInputError("columns", "choose at least one column.")
    order = [column.key for column in registry.columns_for(list_name, queryset)]
    return ExportSpec(
        list_name=list_name,
        params=params,
        title=clean_title(title, list_name),
        columns=tuple(sorted(set(columns), key=order.index)),
        file_format=file_format,
        masked=bool(mask) or not can_view_personal_data(user),
    )
