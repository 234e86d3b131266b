"""Saved filters: a named query string on one of the lists ("My MQLs this week"), private or shared.

What is kept is the list's filters as a query string, cleaned, and relative choices stay relative
(`period=this_week`, `owner=me`): sales.saved_filter_queries. The demo's filters: sales.saved_filter_demo.

- The bar above each list's results (`_bar.html`, context from `saved_filter_context`): the user's
  own filters and the shared ones for that list, and "Save these filters" while filters are active.
- The screen `/admin/sales/saved-filters/` (namespace `sales_saved_filters`): my filters and the
  shared ones; only the owner, or an administrator, may rename, share/unshare or delete one (anybody
  else gets a 404, as for a filter that doesn't exist). `create` takes the bar's POST.
"""

from urllib.parse import parse_qsl

from django import forms
from django.db import IntegrityError
from django.db.models import Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin import messages
from wagtail.admin.ui.tables import ButtonsColumnMixin, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from sales.models import ListName, SavedFilter
from sales.saved_filter_queries import (
    LIST_CHOICES,
    LIST_INDEX_URLS,
    QUERY_MAX_LENGTH,
    QueryError,
    apply_url,
    list_url,
    query_canonical,
    query_checked,
    query_clean,
    query_describe,
    query_has_filters,
)

ADMIN_PERMISSION = "auth.change_user"


# --- Who may use and change which -----------------------------------------------------------------


def can_manage_all(user) -> bool:
    """Administrators may tidy up anybody's saved filters. In roles.py only the Administrator role manages
    users (auth.change_user); that right stands for "administrator" here, superusers included."""
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(ADMIN_PERMISSION)))


def usable_filters(user, list_name: str | None = None):
    """The filters `user` can apply: their own and the shared ones."""
    queryset = SavedFilter.objects.filter(Q(owner=user) | Q(is_shared=True))
    if list_name is not None:
        queryset = queryset.filter(list_name=list_name)
    return queryset


def manageable_filters(user):
    """The filters `user` may rename, share, unshare or delete."""
    if can_manage_all(user):
        return SavedFilter.objects.all()
    return SavedFilter.objects.filter(owner=user)


def can_manage(user, saved_filter: SavedFilter) -> bool:
    return saved_filter.owner_id == user.pk or can_manage_all(user)


# --- The bar above a list's results ---------------------------------------------------------------


def saved_filter_context(request, list_name: str) -> dict:
    """What a list's saved-filter bar needs (template sales/saved_filters/_bar.html), in one query.

    `saved_filter_bar` is None when the list has no saved filters (the gated lists) or the user may
    not use them; otherwise a dict with the list's `index_url`, the current `query` as it would be
    saved, the user's own (`mine`) and others' shared (`shared`) filters, each with its `apply_url`
    and `is_current`, the filter currently applied (`current`, or None) and whether the save form shows.
    """
    user = request.user
    if list_name not in LIST_INDEX_URLS or not user.has_perm("sales.view_savedfilter"):
        return {"saved_filter_bar": None}
    query, problem = query_canonical(list_name, _pairs(request.GET)), ""
    try:
        query_checked(query)
    except QueryError as error:
        problem = str(error)
    filters = list(usable_filters(user, list_name).select_related("owner").order_by("name", "pk"))
    current = None
    for saved_filter in filters:
        saved_filter.apply_url = apply_url(saved_filter)
        saved_filter.is_current = bool(query) and saved_filter.query == query
        if saved_filter.is_current and (current is None or saved_filter.owner_id == user.pk):
            current = saved_filter
    has_filters = query_has_filters(query)
    return {
        "saved_filter_bar": {
            "list_name": list_name,
            "index_url": list_url(list_name),
            "query": query,
            "has_filters": has_filters,
            "count": len(filters),
            "mine": [f for f in filters if f.owner_id == user.pk],
            "shared": [f for f in filters if f.owner_id != user.pk],
            "current": current,
            "problem": problem,
            # Saved already by this user: nothing to save again (somebody else's shared one may be copied).
            "can_save": (
                has_filters
                and not problem
                and not (current and current.owner_id == user.pk)
                and user.has_perm("sales.add_savedfilter")
            ),
            "create_url": reverse("sales_saved_filters:create"),
            "manage_url": reverse("sales_saved_filters:index"),
            "name_max_length": SavedFilter._meta.get_field("name").max_length,
        }
    }


def _pairs(query_dict):
    return [(key, value) for key, values in query_dict.lists() for value in values]


# --- Forms ----------------------------------------------------------------------------------------


def owner_label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class SavedFilterForm(forms.ModelForm):
    """Rename, share or unshare."""

    class Meta:
        model = SavedFilter
        fields = ["name", "is_shared"]
        labels = {"is_shared": "Shared with everyone who can see this list"}
        help_texts = {"is_shared": "A shared filter's “me” means whoever applies it."}
        error_messages = {"name": {"required": "Give the filter a name."}}

    def _list_name(self):
        return self.instance.list_name

    def clean(self):
        cleaned = super().clean()
        name, list_name = cleaned.get("name"), self._list_name()
        if name and list_name:
            # The database says no to a duplicate as well (sales_saved_filter_unique_name); this says it on
            # the field, and ignores case so "MQLs" and "mqls" don't sit side by side in the menu.
            clash = SavedFilter.objects.filter(
                owner_id=self.instance.owner_id, list_name=list_name, name__iexact=name
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", duplicate_name_message(name, list_name))
        query = cleaned.get("query", self.instance.query) or ""
        if cleaned.get("is_shared") and any("@" in value for key, value in parse_qsl(query) if key == "q"):
            # Everyone who applies it would read the address in its description and the search box,
            # masked contact details or not.
            self.add_error("is_shared", "A filter that searches for an email address can't be shared.")
        return cleaned


def duplicate_name_message(name: str, list_name: str) -> str:
    return f"There is already a saved filter called “{name}” on the {ListName(list_name).label} list."


class SavedFilterCreateForm(SavedFilterForm):
    """The bar's "Save these filters" (and the page it falls back to when something is wrong)."""

    list_name = forms.ChoiceField(label="List", choices=LIST_CHOICES)
    query = forms.CharField(
        label="Filters",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The list's query string, e.g. stage=mql&owner=me&period=this_week. Unknown parameters are left out.",
    )

    class Meta(SavedFilterForm.Meta):
        fields = ["name", "list_name", "query", "is_shared"]

    def _list_name(self):
        return self.cleaned_data.get("list_name")

    def clean(self):
        cleaned = super().clean()
        list_name = cleaned.get("list_name")
        if list_name and "query" in cleaned:
            try:
                cleaned["query"] = query_clean(list_name, cleaned["query"])
            except QueryError as error:
                self.add_error("query", str(error))
            else:
                if not query_has_filters(cleaned["query"]):
                    self.add_error("query", "Nothing to save: choose at least one filter on the list first.")
        return cleaned


# --- Views ----------------------------------------------------------------------------------------


class NameColumn(ButtonsColumnMixin, TitleColumn):
    """The filter's name, a link that applies it, with the row's buttons."""

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.view = view

    def get_buttons(self, instance, parent_context):
        return self.view.get_list_buttons(instance)


class SavedFilterIndexView(generic.IndexView):
    page_title = "Saved filters"
    default_ordering = "list_name"

    def get_base_queryset(self):
        return usable_filters(self.request.user).select_related("owner")

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "name", "pk")

    @cached_property
    def columns(self):
        user = self.request.user
        return [
            NameColumn("name", label="Name", sort_key="name", get_url=apply_url, view=self),
            Column("list_name", label="List", accessor="get_list_name_display", sort_key="list_name"),
            Column("query", label="Filters", accessor=lambda f: query_describe(f.query)),
            Column(
                "is_shared",
                label="Shared",
                accessor=lambda f: "Shared" if f.is_shared else "Private",
                sort_key="is_shared",
            ),
            Column("owner", label="Owner", accessor=lambda f: "You" if f.owner_id == user.pk else owner_label(f.owner)),
            DateColumn("updated_at", label="Updated", sort_key="updated_at"),
        ]

    def get_edit_url(self, instance):
        if can_manage(self.request.user, instance):
            return super().get_edit_url(instance)

    def get_delete_url(self, instance):
        if can_manage(self.request.user, instance):
            return super().get_delete_url(instance)


class ManageableMixin:
    """Edit and delete see only the filters the user may change: anybody else's is a 404."""

    def get_queryset(self):
        return manageable_filters(self.request.user)


class DuplicateNameMixin:
    """The same name saved twice at the same moment: the database refuses the second; say so on the field."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error("name", duplicate_name_message(form.cleaned_data["name"], form.instance.list_name))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class SavedFilterCreateView(DuplicateNameMixin, generic.CreateView):
    submit_button_label = "Save"

    def get_initial_form_instance(self):
        return SavedFilter(owner=self.request.user)

    def get_initial(self):
        # GET ?list=people&query=... : the same form as the bar's, on a page of its own.
        list_name = self.request.GET.get("list", "")
        return {
            "list_name": list_name if list_name in LIST_INDEX_URLS else ListName.PEOPLE,
            "query": self.request.GET.get("query", "")[:QUERY_MAX_LENGTH],
        }

    def get_success_url(self):
        return apply_url(self.object)

    def get_success_buttons(self):
        return [messages.button(reverse("sales_saved_filters:index"), "Manage saved filters")]


class SavedFilterEditView(ManageableMixin, DuplicateNameMixin, generic.EditView):
    def get_success_url(self):
        return reverse("sales_saved_filters:index")


class SavedFilterDeleteView(ManageableMixin, generic.DeleteView):
    pass


class SavedFilterViewSet(ModelViewSet):
    model = SavedFilter
    url_prefix = "sales/saved-filters"
    url_namespace = "sales_saved_filters"
    icon = "filter"
    menu_label = "Saved filters"
    add_to_admin_menu = False
    index_view_class = SavedFilterIndexView
    add_view_class = SavedFilterCreateView
    edit_view_class = SavedFilterEditView
    delete_view_class = SavedFilterDeleteView
    copy_view_enabled = False
    list_filter = ["list_name", "is_shared"]
    search_fields = ["name"]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        return SavedFilterForm if for_update else SavedFilterCreateForm

    def get_common_view_kwargs(self, **kwargs):
        # No history, usage or copy screens (see get_urlpatterns); saving happens from a list.
        return super().get_common_view_kwargs(
            **{"history_url_name": None, "usage_url_name": None, "add_url_name": self.get_url_name("create"), **kwargs}
        )

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(add_url_name=None, **kwargs)

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("create/", self.add_view, name="create"),
            path("edit/<int:pk>/", self.edit_view, name="edit"),
            path("delete/<int:pk>/", self.delete_view, name="delete"),
        ]
