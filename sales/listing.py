"""The people, companies and leads lists: scoped to what the user may see, masked, fast at a million rows.

The rows come from sales.selectors.list_selection (scope, filters, search, order): the same function
exports and saved filters use. Pages are keyset pages (sales.pagination): no COUNT of the whole table,
no OFFSET. Facts shown per row that live in other tables (last activity, a company's people) are read
for the page's rows only, one query each, so a page of 50 costs what a page of 5 does.

Columns are named in the viewsets' `list_display` (sales/wagtail_hooks.py) and built here.
"""

from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import capfirst
from wagtail.admin.templatetags.wagtailadmin_tags import timesince_simple
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column
from wagtail.admin.utils import get_user_display_name

from leads.admin_privacy import PersonalDataIndexView
from leads.industries import IndustryNamer
from leads.privacy import mask_email, mask_phone
from sales.access import can_tag_people, can_work_leads
from sales.exports import export_button
from sales.filter_choices import origin_text, source_label
from sales.filter_fields import JUNK_INCLUDED
from sales.pagination import COUNT_CAP, NAVIGATION_KEYS, keyset_paginate
from sales.saved_filters import saved_filter_context
from sales.scores import whole_points
from sales.selectors import company_people_facts, lead_list_junk_count, list_selection, people_last_activity


def person_name(person) -> str:
    return f"{person.first_name} {person.last_name}".strip()


def owner_name(record) -> str:
    return get_user_display_name(record.owner) if record.owner_id else ""


# --- Cells -------------------------------------------------------------------------------------------
# A page is 50 rows of 10 columns. Rendering 500 cells through Wagtail's cell templates (and a row menu
# per row) cost several times the page's queries, so these columns write the same markup in Python.
def _td(content, classname=None):
    return (
        format_html('<td class="{}">{}</td>', classname, content) if classname else format_html("<td>{}</td>", content)
    )


class TextColumn(Column):
    """Wagtail's Column, rendered without a template (wagtailadmin/tables/cell.html's markup)."""

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        return _td("" if value is None else value, self.classname)


class WhenColumn(TextColumn):
    """Wagtail's DateColumn ("3 days ago" with the date as a tooltip), rendered without a template."""

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if not value:
            return _td("", self.classname)
        local = timezone.localtime(value)
        return _td(
            format_html(
                '<button type="button" class="w-human-readable-date" data-controller="w-tooltip" '
                'data-w-tooltip-content-value="{}" data-w-tooltip-placement-value="top">'
                '<time class="w-human-readable-date__date" datetime="{}">{}</time></button>',
                format_date(local, get_format("DATETIME_FORMAT")),
                local.isoformat(),
                capfirst(timesince_simple(value)),
            ),
            self.classname,
        )


class LinkTitleColumn(TextColumn):
    """The row's title linking to its profile (wagtailadmin/tables/title_cell.html's markup, without the
    row menu: the profile has the actions), with an id the bulk-action checkbox refers to."""

    def __init__(self, name, *, get_url, get_title_id, get_secondary=None, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url, self.get_title_id, self.get_secondary = get_url, get_title_id, get_secondary

    def render_cell_html(self, instance, parent_context):
        title = format_html('<span id="{}">{}</span>', self.get_title_id(instance), self.get_value(instance) or "-")
        url = self.get_url(instance)
        if url:
            title = format_html('<a href="{}">{}</a>', url, title)
        secondary = self.get_secondary(instance) if self.get_secondary else ""
        return format_html(
            '<td class="title"><div class="title-wrapper">{}</div>{}</td>',
            title,
            format_html("<div><small>{}</small></div>", secondary) if secondary else "",
        )


class SalesListingView(PersonalDataIndexView):
    """Wagtail's model listing, fed by list_selection and paged by keyset."""

    list_name = ""  # "people" | "companies" | "leads"
    template_name = "sales/listing/index.html"
    results_template_name = "sales/listing/index_results.html"
    bulk_actions_enabled = False

    # --- rows -------------------------------------------------------------------------------------
    @cached_property
    def selection(self):
        return list_selection(self.list_name, user=self.request.user, params=self.request.GET, filterset=self.filters)

    def get_queryset(self):
        return self.selection.queryset

    def get_ordering(self):
        return self.selection.ordering.param

    def paginate_queryset(self, queryset, page_size):
        page = keyset_paginate(
            queryset, self.selection.ordering, list_name=self.list_name, params=self.request.GET, page_size=page_size
        )
        self.annotate_page(page.object_list)
        return page.paginator, page, page.object_list, page.has_other_pages()

    def annotate_page(self, rows):
        """Facts from other tables for the rows of one page (one query, not one per row)."""

    # --- export: through sales.exports (permission, masking, audit log), never Wagtail's own -------
    show_export_buttons = False

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.is_export = False  # `?export=csv` shows the listing: Wagtail's export would bypass all three

    @cached_property
    def saved_filters(self) -> dict:
        return saved_filter_context(self.request, self.list_name)

    def export_title(self) -> str | None:
        """What the export's file is named after: the saved filter in use, else the gated content."""
        bar = self.saved_filters.get("saved_filter_bar") or {}
        current = bar.get("current")
        if current is not None:
            return current.name
        if self.selection.is_gated:
            return self.get_page_subtitle()
        return None

    @cached_property
    def sales_export_button(self):
        return export_button(self.request, self.list_name, title=self.export_title())

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.sales_export_button is not None:
            buttons.append(self.sales_export_button)
        return buttons

    # --- columns ----------------------------------------------------------------------------------
    def build_column(self, name):
        """A column by its name in the viewset's list_display; Wagtail's for anything unknown."""
        return self._get_custom_column(name)

    @cached_property
    def columns(self):
        # Not PersonalDataIndexView's: these columns mask what they show themselves.
        columns = [self.build_column(name) for name in self.list_display if self.column_shown(name)]
        if self.bulk_actions_enabled:
            columns.insert(0, BulkActionsCheckboxColumn("bulk_actions", obj_type=self.list_name))
        return columns

    def column_shown(self, name) -> bool:
        return True

    def title_column(self, name, *, label, accessor=None, sort_key=None, **kwargs):
        return LinkTitleColumn(
            name,
            label=label,
            accessor=accessor or name,
            sort_key=sort_key,
            get_url=lambda instance: self.get_inspect_url(instance) or self.get_edit_url(instance),
            get_title_id=lambda instance: f"{self.list_name}_{quote(instance.pk)}_title",
            **kwargs,
        )

    @cached_property
    def industry_names(self) -> IndustryNamer:
        return IndustryNamer()  # one cache read per page, not one per row

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["list_name"] = self.list_name
        context["bulk_actions_enabled"] = self.bulk_actions_enabled
        context.update(self.saved_filters)
        return context


def score_cell(person):
    """105 (70 + 35): the score and what it is made of, in whole points (sales.scores)."""
    return format_html(
        "{} <small>({} + {})</small>",
        whole_points(person.score),
        whole_points(person.fit_score),
        whole_points(person.interest_score),
    )


def company_link(company, industry=""):
    """The company, linking to its page, with its industry's name under it."""
    if company is None:
        return ""
    link = format_html('<a href="{}">{}</a>', reverse("leads_company:inspect", args=[company.pk]), company.name)
    return format_html("{}<div><small>{}</small></div>", link, industry) if industry else link


class PeopleIndexView(SalesListingView):
    list_name = "people"
    masked_fields = {"email": mask_email, "phone": mask_phone}

    @cached_property
    def bulk_actions_enabled(self):
        return can_work_leads(self.request.user) or can_tag_people(self.request.user)

    def get_page_subtitle(self):
        """On a lead list, what it is the list of: "Whitepaper: State of RevOps"."""
        if not self.selection.is_gated:
            return super().get_page_subtitle()
        return source_label(self.selection.filterset.form.cleaned_data["source"])

    def column_shown(self, name):
        # Converted and consent make the list a whitepaper's (event's, form's) lead list.
        return name not in ("converted_at", "consent") or self.selection.is_gated

    def build_column(self, name):
        columns = {
            # The name, with the (masked) email under it: Person.__str__ holds the email, so it is never
            # shown as such to someone without the right to see it.
            "name": lambda: self.title_column(
                "name",
                label="Name",
                sort_key="name",
                accessor=lambda p: person_name(p) or self.mask("email", p.email),
                get_secondary=lambda p: self.mask("email", p.email) if person_name(p) else "",
            ),
            "company": lambda: TextColumn(
                "company",
                label="Company",
                accessor=lambda p: company_link(
                    p.company, self.industry_names[p.company.industry] if p.company_id else ""
                ),
            ),
            "stage": lambda: TextColumn("stage", label="Stage", accessor="get_stage_display", sort_key="stage"),
            "grade": lambda: TextColumn("grade", label="Grade", sort_key="grade"),
            "score": lambda: TextColumn("score", label="Score", sort_key="score", accessor=score_cell),
            "owner": lambda: TextColumn("owner", label="Owner", accessor=owner_name),
            "country": lambda: TextColumn("country", label="Country"),
            "last_activity": lambda: WhenColumn(
                "last_activity", label="Last activity", accessor=lambda p: getattr(p, "last_activity", None)
            ),
            "created_at": lambda: WhenColumn("created_at", label="Added", sort_key="created_at"),
            "converted_at": lambda: WhenColumn("converted_at", label="Converted", sort_key="converted_at"),
            "consent": lambda: TextColumn("consent", label="Consent", accessor="get_consent_display"),
        }
        return columns[name]() if name in columns else super().build_column(name)

    def annotate_page(self, rows):
        if any(column.name == "last_activity" for column in self.columns):
            latest = people_last_activity(person.pk for person in rows)
            for person in rows:
                person.last_activity = latest.get(person.pk)

    def junk_toggle(self) -> dict | None:
        """On a lead list: whether its junk is shown, how many people that is, and the link that flips it
        (the same query string with or without `junk=include`, from the first page)."""
        if not self.selection.is_gated:
            return None
        included = self.selection.filterset.junk_included
        query = self.request.GET.copy()
        for key in (*NAVIGATION_KEYS, "junk"):
            query.pop(key, None)
        if not included:
            query["junk"] = JUNK_INCLUDED
        count = lead_list_junk_count(user=self.request.user, params=self.request.GET, cap=COUNT_CAP)
        return {
            "included": included,
            "count": count,
            "count_label": f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}",
            "url": f"{self.index_url}?{query.urlencode(safe=':')}",
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["junk_toggle"] = self.junk_toggle()
        return context


class CompanyIndexView(SalesListingView):
    list_name = "companies"

    def build_column(self, name):
        columns = {
            "name": lambda: self.title_column("name", label="Name", sort_key="name"),
            "industry": lambda: TextColumn(
                "industry", label="Industry", accessor=lambda c: self.industry_names[c.industry]
            ),
            "employee_band": lambda: TextColumn("employee_band", label="Size", accessor="get_employee_band_display"),
            "country": lambda: TextColumn("country", label="Country"),
            "people": lambda: TextColumn("people", label="People", accessor=lambda c: c.people_facts["people"]),
            "best_grade": lambda: TextColumn(
                "best_grade", label="Best grade", accessor=lambda c: c.people_facts["best_grade"]
            ),
            "owner": lambda: TextColumn("owner", label="Owner", accessor=owner_name),
        }
        return columns[name]() if name in columns else super().build_column(name)

    def annotate_page(self, rows):
        facts = company_people_facts(self.request.user, (company.pk for company in rows))
        for company in rows:
            company.people_facts = facts.get(company.pk, {"people": 0, "best_grade": ""})


class LeadIndexView(SalesListingView):
    list_name = "leads"
    masked_fields = {"email": mask_email}  # the person's, in the person column

    def person_cell(self, lead):
        person = lead.person
        if person is None:
            return ""
        label = person_name(person) or self.mask("email", person.email)
        return format_html('<a href="{}">{}</a>', reverse("leads_person:inspect", args=[person.pk]), label)

    def build_column(self, name):
        columns = {
            "lid": lambda: self.title_column("lid", label="Lead", sort_key="lid"),
            "person": lambda: TextColumn("person", label="Person", accessor=self.person_cell),
            "origin": lambda: TextColumn("origin", label="Origin", accessor=origin_cell),
            "verdict": lambda: TextColumn("verdict", label="Verdict", accessor="get_verdict_display"),
            "flags": lambda: TextColumn("flags", label="Flags", accessor="flag_summary"),
            "utm_campaign": lambda: TextColumn("utm_campaign", label="Campaign"),
            "received_at": lambda: WhenColumn("received_at", label="Received", sort_key="received_at"),
        }
        return columns[name]() if name in columns else super().build_column(name)


def origin_cell(lead):
    """ "Whitepaper: State of RevOps", linking to that whitepaper's lead list (the people who converted)."""
    text = origin_text(lead.origin_type, lead.origin_id, lead.origin_label)
    if lead.origin_type in ("content", "event", "form") and lead.origin_id:
        url = reverse("leads_person:index") + "?" + urlencode({"source": f"{lead.origin_type}:{lead.origin_id}"})
        return format_html('<a href="{}">{}</a>', url, text)
    return lead.origin_label or lead.get_origin_type_display()
