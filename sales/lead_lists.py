"""Lead lists: every whitepaper, event and form that brought people in, with how many.

`/admin/sales/lead-lists/` (namespace `sales_lead_lists`, in the Sales menu) lists the origins of
leads (Lead.origin_type "content" = a whitepaper, origin_id its page id; "event", the event's pk;
"form", the form page's pk) with the number of people who converted, the first and the latest
conversion. Counts are of the people in the user's scope: a rep sees how many of *their* people took
a whitepaper. One aggregate query (GROUP BY origin_type, origin_id) and one for the labels, whatever
the number of leads.

Each row opens the people list filtered by that source (`/admin/leads/person/?source=content:42`),
which is the lead list proper (who converted, when, their attributes, score, grade, stage, owner and
consent), and offers a one-click CSV/Excel export of it. The admin of the whitepaper, event or form
links to the same list (cms, events and forms wagtail_hooks: "Lead list").

Junk is left out of the counts and the lists (sales.filters: flagged leads, people marked as test data
or competitors) unless the filter `junk=include` is chosen; the links and exports carry it.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BaseColumn, Column, DateColumn, NumberColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.viewsets.base import ViewSet

from core.admin_menu import PermissionMenuItem
from leads.models import Lead
from sales.access import can_export, visible_leads
from sales.filter_fields import JUNK_INCLUDED, junk_filter

VIEW_PERMISSION = "leads.view_person"  # the lists are people lists: who may see people may see them
MAX_LISTS = 500  # origins are whitepapers, events and forms: hundreds at most; past that, search or filter
LABEL_LOOKUP_CHUNK = 500

# What each origin type is, in the business's words.
TYPE_LABELS = {
    Lead.OriginType.CONTENT: "Whitepaper",
    Lead.OriginType.EVENT: "Event",
    Lead.OriginType.FORM: "Form",
}
ORDERINGS = {
    "latest_at": ("latest_at",),
    "-latest_at": ("-latest_at",),
    "first_at": ("first_at",),
    "-first_at": ("-first_at",),
    "people": ("people", "-latest_at"),
    "-people": ("-people", "-latest_at"),
}


def can_see_lead_lists(user) -> bool:
    return bool(user and user.is_active and user.has_perm(VIEW_PERMISSION))


def source_param(origin_type: str, origin_id) -> str:
    """The people list's `source` filter value for one origin: "content:42"."""
    return f"{origin_type}:{origin_id}"


def lead_list_query(origin_type: str, origin_id, *, junk: bool = False) -> str:
    query = {"source": source_param(origin_type, origin_id)}
    if junk:
        query["junk"] = JUNK_INCLUDED
    return urlencode(query, safe=":")


def lead_list_url(origin_type: str, origin_id, *, junk: bool = False) -> str:
    """The lead list of one whitepaper ("content"), event or form: the people list filtered by that source."""
    return f"{reverse('leads_person:index')}?{lead_list_query(origin_type, origin_id, junk=junk)}"


@dataclass
class LeadList:
    """One whitepaper, event or form with the people (in the user's scope) who converted on it."""

    origin_type: str
    origin_id: str
    label: str
    people: int
    first_at: datetime
    latest_at: datetime
    junk: bool = False  # counted with its junk

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.origin_type, self.origin_type)

    @property
    def source(self) -> str:
        return source_param(self.origin_type, self.origin_id)

    @property
    def list_url(self) -> str:
        return lead_list_url(self.origin_type, self.origin_id, junk=self.junk)

    @property
    def export_params(self) -> str:
        return lead_list_query(self.origin_type, self.origin_id, junk=self.junk)

    @property
    def export_title(self) -> str:
        # The export's file name comes from this: "whitepaper-state-of-revops-2026-12-01.csv".
        if self.label.lower().startswith(self.type_label.lower()):
            return self.label
        return f"{self.type_label}: {self.label}"


def lead_lists(
    user, leads=None, *, search: str = "", ordering: str = "-latest_at", limit: int = MAX_LISTS, junk: bool = False
) -> list[LeadList]:
    """The origins of `leads` (default: all) with their converted people in `user`'s scope, newest
    conversion first, junk left out unless `junk`. `search` matches any label an origin's leads carried."""
    leads = Lead.objects.all() if leads is None else leads
    leads = visible_leads(
        user, leads.filter(origin_type__in=list(TYPE_LABELS), person__isnull=False).exclude(origin_id="")
    )
    if not junk:
        leads = leads.exclude(verdict=Lead.Verdict.FLAGGED).filter(person__is_test=False, person__is_competitor=False)
    groups = (
        leads.order_by()
        .values("origin_type", "origin_id")
        .annotate(people=Count("person_id", distinct=True), first_at=Min("received_at"), latest_at=Max("received_at"))
    )
    search = (search or "").strip()
    if search:
        # A condition on the group (HAVING), not on the rows: the counts stay those of every lead.
        groups = groups.annotate(matches=Count("pk", filter=Q(origin_label__icontains=search))).filter(matches__gt=0)
    order = ORDERINGS.get(ordering, ORDERINGS["-latest_at"])
    rows = list(groups.order_by(*order, "origin_type", "origin_id")[:limit])
    labels = _latest_labels(rows)
    return [
        LeadList(
            origin_type=row["origin_type"],
            origin_id=row["origin_id"],
            label=labels.get((row["origin_type"], row["origin_id"]))
            or f"{TYPE_LABELS.get(row['origin_type'], 'Origin')} {row['origin_id']}",
            people=row["people"],
            first_at=row["first_at"],
            latest_at=row["latest_at"],
            junk=junk,
        )
        for row in rows
    ]


def _latest_labels(rows) -> dict[tuple[str, str], str]:
    """Each origin's label as its latest lead carried it (a renamed whitepaper shows its new title).

    The latest conversion time of each origin is known from the aggregate, so the leads at exactly
    those times are few and found through the received_at index, without a subquery per origin.
    """
    wanted = {(row["origin_type"], row["origin_id"]): row["latest_at"] for row in rows}
    times = sorted(set(wanted.values()))
    labels: dict[tuple[str, str], str] = {}
    for start in range(0, len(times), LABEL_LOOKUP_CHUNK):
        found = (
            Lead.objects.filter(received_at__in=times[start : start + LABEL_LOOKUP_CHUNK])
            .exclude(origin_label="")
            .order_by("-pk")
            .values_list("origin_type", "origin_id", "origin_label", "received_at")
        )
        for origin_type, origin_id, label, received_at in found:
            key = (origin_type, origin_id)
            if wanted.get(key) == received_at:
                labels.setdefault(key, label)
    return labels


# --- The screen -----------------------------------------------------------------------------------


class LeadListFilterSet(WagtailFilterSet):
    type = django_filters.ChoiceFilter(
        label="Type", field_name="origin_type", empty_label="All types", choices=list(TYPE_LABELS.items())
    )
    junk = junk_filter()

    class Meta:
        model = Lead
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # lead_lists() counts with or without junk

    @property
    def junk_included(self) -> bool:
        return self.is_valid() and self.form.cleaned_data.get("junk") == JUNK_INCLUDED


class LeadListActionsColumn(BaseColumn):
    """ "Open the list" and the one-click CSV / Excel export of it."""

    cell_template_name = "sales/lead_lists/_actions_cell.html"

    def __init__(self, *args, show_export: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_export = show_export

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = context["request"]
        # Table cells render outside the page's RequestContext: the export forms need the token passed on.
        context.update(
            lead_list=instance,
            show_export=self.show_export,
            csrf_token=get_token(request) if request is not None else "",
        )
        return context


class LeadListsView(BaseListingView):
    page_title = "Lead lists"
    header_icon = "doc-full-inverse"
    template_name = "sales/lead_lists/index.html"
    results_template_name = "sales/lead_lists/index_results.html"
    index_url_name = "sales_lead_lists:index"
    index_results_url_name = "sales_lead_lists:index_results"
    filterset_class = LeadListFilterSet
    is_searchable = True
    default_ordering = "-latest_at"
    paginate_by = None  # one aggregate row per origin, capped at MAX_LISTS
    verbose_name = "lead list"
    verbose_name_plural = "lead lists"

    def dispatch(self, request, *args, **kwargs):
        if not can_see_lead_lists(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def show_export(self) -> bool:
        return can_export(self.request.user)

    @cached_property
    def columns(self):
        return [
            TitleColumn("label", label="Content", get_url=lambda row: row.list_url),
            Column("type_label", label="Type"),
            NumberColumn("people", label="People converted", sort_key="people"),
            DateColumn("first_at", label="First conversion", sort_key="first_at"),
            DateColumn("latest_at", label="Latest conversion", sort_key="latest_at"),
            LeadListActionsColumn("actions", label="Lead list", show_export=self.show_export),
        ]

    def get_valid_orderings(self):
        return list(ORDERINGS)

    def get_queryset(self):
        leads = Lead.objects.all()
        if self.filters and self.filters.is_valid():
            leads = self.filters.filter_queryset(leads)
        return lead_lists(
            self.request.user,
            leads,
            search=self.search_query,
            ordering=self.ordering,
            junk=bool(self.filters and self.filters.junk_included),
        )

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["capped_at"] = MAX_LISTS if len(context["object_list"]) >= MAX_LISTS else None
        return context


class LeadListViewSet(ViewSet):
    name = "sales_lead_lists"
    url_prefix = "sales/lead-lists"
    url_namespace = "sales_lead_lists"
    icon = "doc-full-inverse"
    menu_label = "Lead lists"
    add_to_admin_menu = False
    menu_item_class = PermissionMenuItem.for_viewset(any_of=VIEW_PERMISSION)

    def get_urlpatterns(self):
        return [
            path("", LeadListsView.as_view(), name="index"),
            path("results/", LeadListsView.as_view(results_only=True), name="index_results"),
        ]
