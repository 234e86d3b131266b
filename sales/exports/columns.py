"""What an export can hold: the columns of each list, how each is read and whether it is personal data.

A column names the database values it needs (`values_list` paths or annotations, never model
instances: a million rows are a million tuples, not a million objects) and how to turn them into one
cell. Email, phone, IP address and visitor id are personal data: masked with leads.privacy's masks
unless the exporting user may see personal data and did not ask for a masked file.

The lists: "people", "companies", "leads", and "gated" (a gated-content lead list: people, with the
moment they converted when the list's filters name a `source`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Aggregate, CharField, F, OuterRef, Subquery
from django.db.models import Value as V

from leads.industries import IndustryNamer
from leads.models import EMPLOYEE_BANDS, FUNDING_STAGES, Consent, Interaction, Lead, PersonTag, Seniority, Stage
from leads.privacy import mask_email, mask_identifier, mask_ip, mask_phone
from sales.scores import whole_points

TEXT, NUMBER, MOMENT, SAFE = "text", "number", "moment", "safe"


def url_without_query(url) -> str:
    return str(url or "").split("?", 1)[0].split("#", 1)[0]


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    fields: tuple[str, ...]
    # (*values) -> the cell; None: the one value as the database gives it.
    read: Callable | None = None
    # () -> a `read`, made when an export starts: for readings that look things up once per file
    # (industries' names, which can change between two exports).
    reader: Callable | None = None
    # Personal data: the mask applied to the cell when the export is masked.
    mask: Callable | None = None
    default: bool = True
    # Expressions to annotate, by name, built when needed ({name: () -> expression}).
    annotations: dict = field(default_factory=dict)
    # An annotation the list's rows must already carry (list_queryset adds `converted_at` for a source).
    needs: str = ""
    # What the cell holds, for the writers: TEXT (escaped against formulas), NUMBER, MOMENT (a datetime),
    # or SAFE (text of our own making that cannot start a formula: "PID-42").
    kind: str = "text"
    # A lookup of the one value ({"mql": "Marketing qualified (MQL)"}); values not in it stay as they are.
    labels: dict | None = None
    # Text put before the one value when there is one ("PID-" + 42).
    prefix: str = ""

    @property
    def personal(self) -> bool:
        return self.mask is not None


YES_NO = {True: "yes", False: "no"}


def _person_name(first, last, username):
    return f"{first or ''} {last or ''}".strip() or username


def _flag_codes(flags):
    if not flags:
        return ""
    return ", ".join(str(flag.get("code", flag)) if isinstance(flag, dict) else str(flag) for flag in flags)


def _score(fit, interest):
    return whole_points((fit or 0) + (interest or 0))


def _industry_names():
    return IndustryNamer().__getitem__  # "banking" -> "Banking & Financial Services", each value named once


def _last_activity():
    # One index probe per person (leads_interaction_person_time), newest first.
    return Subquery(
        Interaction.objects.filter(person=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    )


class _Joined(Aggregate):
    """Texts joined by a separator: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


TAG_SEPARATOR = "\x1f"  # no tag name holds a control character (leads.services.tags)


def _tag_names(person: str = "pk"):
    # One probe of the person+tag index per person; the names are sorted in Python (_tag_list), as
    # SQLite cannot order inside GROUP_CONCAT.
    return lambda: Subquery(
        PersonTag.objects.filter(person_id=OuterRef(person))
        .order_by()
        .values("person_id")
        .annotate(names=_Joined("tag__name", V(TAG_SEPARATOR)))
        .values("names")[:1]
    )


def _tag_list(names) -> str:
    """ "called-q4, VIP": the tags by name."""
    return ", ".join(sorted(names.split(TAG_SEPARATOR), key=str.casefold)) if names else ""


def _owner(prefix: str = "") -> Column:
    return Column(
        "owner",
        "Owner",
        (f"{prefix}owner__first_name", f"{prefix}owner__last_name", f"{prefix}owner__username"),
        read=_person_name,
    )


PEOPLE = [
    Column("pid", "PID", ("id",), prefix="PID-", kind=SAFE),
    Column("first_name", "First name", ("first_name",)),
    Column("last_name", "Last name", ("last_name",)),
    Column("email", "Email", ("email",), mask=mask_email),
    Column("phone", "Phone", ("phone",), mask=mask_phone),
    Column("job_title", "Job title", ("job_title",)),
    Column("seniority", "Seniority", ("seniority",), labels=dict(Seniority.choices)),
    Column("country", "Country", ("country",)),
    Column("cid", "CID", ("company_id",), prefix="CID-", kind=SAFE, default=False),
    Column("company", "Company", ("company__name",)),
    Column("industry", "Industry", ("company__industry",), reader=_industry_names),
    Column("company_size", "Company size", ("company__employee_band",), labels=dict(EMPLOYEE_BANDS)),
    Column("stage", "Stage", ("stage",), labels=dict(Stage.choices)),
    Column("stage_changed", "Stage since", ("stage_changed_at",), default=False, kind=MOMENT),
    Column("grade", "Grade", ("grade",)),
    Column("fit", "Fit", ("fit_score",), kind=NUMBER),
    Column("interest", "Interest", ("interest_score",), read=whole_points, kind=NUMBER),
    Column("score", "Score (fit + interest)", ("fit_score", "interest_score"), read=_score, kind=NUMBER),
    _owner(),
    Column("consent", "Consent", ("consent",), labels=dict(Consent.choices)),
    Column("do_not_contact", "Do not contact", ("do_not_contact",), labels=YES_NO),
    Column("tags", "Tags", ("export_tags",), read=_tag_list, annotations={"export_tags": _tag_names()}),
    Column("created", "Created", ("created_at",), kind=MOMENT),
    Column("converted", "Converted", ("converted_at",), needs="converted_at", kind=MOMENT),
    Column(
        "last_activity",
        "Last activity",
        ("export_last_activity",),
        default=False,
        kind=MOMENT,
        annotations={"export_last_activity": _last_activity},
    ),
]

COMPANIES = [
    Column("cid", "CID", ("id",), prefix="CID-", kind=SAFE),
    Column("name", "Name", ("name",)),
    Column("industry", "Industry", ("industry",), reader=_industry_names),
    Column("company_size", "Company size", ("employee_band",), labels=dict(EMPLOYEE_BANDS)),
    Column("employees", "Employees", ("employee_count",), kind=NUMBER),
    Column("country", "Country", ("country",)),
    Column("funding_stage", "Funding stage", ("funding_stage",), labels=dict(FUNDING_STAGES)),
    Column("key_account", "Key account", ("is_key_account",), labels=YES_NO),
    _owner(),
    Column("group", "Group", ("parent__name",), default=False),
    Column("created", "Created", ("created_at",), kind=MOMENT),
]

LEADS = [
    Column("lid", "LID", ("id",), prefix="LID-", kind=SAFE),
    Column("received", "Received", ("received_at",), kind=MOMENT),
    Column("source", "Source", ("source",), labels=dict(Lead.Source.choices)),
    Column("origin_type", "Origin type", ("origin_type",), labels=dict(Lead.OriginType.choices)),
    Column("origin", "Origin", ("origin_label",)),
    Column("origin_id", "Origin id", ("origin_id",), default=False),
    Column("pid", "PID", ("person_id",), prefix="PID-", kind=SAFE),
    Column("email", "Email", ("person__email",), mask=mask_email),
    Column("first_name", "First name", ("person__first_name",)),
    Column("last_name", "Last name", ("person__last_name",)),
    Column("company", "Company", ("person__company__name",)),
    Column("stage", "Stage", ("person__stage",), labels=dict(Stage.choices)),
    Column("grade", "Grade", ("person__grade",)),
    _owner("person__"),
    Column(
        "tags",
        "Tags",
        ("export_tags",),
        read=_tag_list,
        default=False,
        annotations={"export_tags": _tag_names("person_id")},
    ),
    Column("verdict", "Verdict", ("verdict",), labels=dict(Lead.Verdict.choices)),
    Column("flags", "Flags", ("flags",), read=_flag_codes),
    Column("status", "Status", ("status",), labels=dict(Lead.Status.choices), default=False),
    Column("utm_source", "UTM source", ("utm_source",)),
    Column("utm_medium", "UTM medium", ("utm_medium",)),
    Column("utm_campaign", "UTM campaign", ("utm_campaign",)),
    Column("utm_term", "UTM term", ("utm_term",), default=False),
    Column("utm_content", "UTM content", ("utm_content",), default=False),
    # A URL's query string can carry ?email=...: masked files keep the page, not the parameters.
    Column("landing_page", "Landing page", ("landing_page",), mask=url_without_query, default=False),
    Column("referrer", "Referrer", ("referrer",), mask=url_without_query, default=False),
    Column("ip_address", "IP address", ("ip_address",), mask=mask_ip, default=False),
    Column("visitor_id", "Visitor id", ("visitor_id",), mask=mask_identifier, default=False),
]

REGISTRY: dict[str, list[Column]] = {"people": PEOPLE, "companies": COMPANIES, "leads": LEADS, "gated": PEOPLE}
# Which of sales.selectors.list_queryset's lists gives an export's rows.
ROWS_OF = {"gated": "people"}
# An export without a title of its own (a saved filter's or a lead list's) is named after its list.
TITLES = {"people": "People", "companies": "Companies", "leads": "Leads", "gated": "Lead list"}
# What a list without filters holds, in words: "None: everybody you may see".
EVERY_ROW = {
    "people": "everybody",
    "companies": "every company",
    "leads": "every lead",
    "gated": "everybody on the list",
}


def columns_for(list_name: str, queryset=None) -> list[Column]:
    """The columns a list offers; those needing an annotation only where the rows carry it."""
    available = set(queryset.query.annotations) if queryset is not None else set()
    return [column for column in REGISTRY[list_name] if not column.needs or column.needs in available]


def default_keys(list_name: str, queryset=None) -> list[str]:
    return [column.key for column in columns_for(list_name, queryset) if column.default]


def choose(list_name: str, keys, queryset=None) -> list[Column]:
    """The columns with these keys, in the registry's order; unknown keys are ignored."""
    wanted = set(keys)
    return [column for column in columns_for(list_name, queryset) if column.key in wanted]


@dataclass
class RowPlan:
    """How to read the rows: which values to fetch (the primary key first), which annotations to add,
    and `rows(page)`, turning a page of fetched tuples into the cells the writer wants."""

    headings: list[str]
    fields: list[str]
    annotations: dict
    rows: Callable
    source: str = ""


def plan(
    columns: list[Column],
    *,
    masked: bool,
    converters: dict[str, Callable | None],
    inline_text: frozenset | None = None,
    moment_text: Callable | None = None,
) -> RowPlan:
    """Compose each column's reading, mask and the writer's converter for its kind (writers.cell_converters)
    into one function over a page of rows.

    This is the export's hot loop (25 cells x 1,000,000 rows), so the function is generated once per
    export as plain Python, `[[v[1], t(v[2]), m0(v[3]), ...] for v in page]`: a cell that needs no work
    costs an index, not a call. Only integers and the names bound below go into the source; nothing
    the user sent does. With `inline_text` (the characters a formula starts with), text that needs no
    escaping skips the converter's call too. With `moment_text` (expression -> an expression giving the
    moment as text, see services.LocalTimeText), the database writes dates and times itself.
    """
    fields: list[str] = ["pk"]
    annotations: dict = {}
    names: dict = {"S": inline_text or frozenset()}

    def index(name):
        name = "pk" if name == "id" else name  # fetched once
        if name not in fields:
            fields.append(name)
        return fields.index(name)

    def bind(prefix, function):
        name = f"{prefix}{len(names)}"
        names[name] = function
        return name

    cells = []
    for column in columns:
        for name, make in column.annotations.items():
            annotations.setdefault(name, make())
        kind, names_fetched = column.kind, column.fields
        if kind == MOMENT and moment_text is not None and len(column.fields) == 1:
            (source,) = column.fields
            kind, names_fetched = SAFE, (f"export_text_{column.key}",)
            annotations.setdefault(names_fetched[0], moment_text(F(source)))
        arguments = ", ".join(f"v[{index(name)}]" for name in names_fetched)
        read = column.read if column.read is not None else column.reader() if column.reader is not None else None
        plain = read is None and column.labels is None and not column.prefix
        if column.labels is not None:
            table = bind("labels", {key: str(label) for key, label in column.labels.items()})
            expression = f"{table}.get({arguments}, {arguments})"
        elif column.prefix:
            expression = f"({bind('prefix', column.prefix)} + str({arguments}) if {arguments} is not None else None)"
        elif read is not None:
            expression = f"{bind('read', read)}({arguments})"
        else:
            expression = arguments
        if masked and column.mask is not None:
            expression = f"{bind('mask', column.mask)}({expression})"
        convert = converters.get(kind)
        if convert is not None:
            function = bind("convert", convert)
            if kind == TEXT and inline_text:
                # Empty, or text not starting with a formula character: as it is. Anything else: the converter.
                # A database text column holds str or None; what a read or a mask returns is checked.
                is_text = "" if plain and not (masked and column.mask) else "x.__class__ is str and "
                expression = f"(x if not (x := {expression}) or ({is_text}x[0] not in S) else {function}(x))"
            else:
                expression = f"{function}({expression})"
        cells.append(expression)
    source = f"def rows(page):\n    return [[{', '.join(cells)}] for v in page]\n"
    exec(compile(source, "<sales export row plan>", "exec"), names)  # see the docstring
    return RowPlan([column.heading for column in columns], fields, annotations, names["rows"], source)
