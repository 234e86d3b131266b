"""Bulk "Add tags" and "Remove tags" on the people list, for users with leads.tag_people (marketers,
administrators): the checked people, or everybody the list's filters match ("select all in listing").

Who is tagged is chosen as for the other bulk actions (sales.bulk_actions: posted ids within the user's
scope, or the listing's own rows for its filters), but never loaded one by one: the lead store tags the
whole selection in one statement (leads.services.tags), so "select all" may reach MAX_TAGGED people, and
the confirmation page names the first few and counts the rest.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property
from wagtail.admin.views.bulk_action import BulkAction

from leads.models import Person, PersonTag, Tag
from leads.services.tags import TagError, people_tags_add, people_tags_remove, tag_names_parse, tags_find, tags_resolve
from sales.access import can_tag_people
from sales.bulk_actions import PeopleBulkAction

# Tagging is one set-based statement, whatever the count: far more people than a per-person action.
MAX_TAGGED = 50_000
SHOWN = 20  # people named on the confirmation page


class TagsForm(forms.Form):
    tags = forms.CharField(
        label="Tags",
        max_length=2000,
        help_text="Comma-separated, e.g. webinar-follow-up, called-q4",
        widget=forms.TextInput(attrs={"list": "sp-tag-names", "autocomplete": "off"}),
    )

    def clean_tags(self):
        try:
            names = tag_names_parse(self.cleaned_data["tags"])
        except TagError as error:
            raise forms.ValidationError(str(error)) from None
        if not names:
            raise forms.ValidationError("Give at least one tag.")
        return names


class TagsBulkAction(PeopleBulkAction):
    template_name = "sales/bulk_actions/tags.html"
    form_class = TagsForm

    @property
    def max_people(self) -> int:
        return MAX_TAGGED

    adds = True

    @classmethod
    def user_may(cls, user) -> bool:
        return can_tag_people(user)

    def dispatch(self, request, *args, **kwargs):
        # PeopleBulkAction's, without loading the people: a selection is counted, not listed.
        if not self.user_may(request.user):
            raise PermissionDenied
        self.get_actionable_objects()
        problem = self.problem
        if problem and request.method == "POST":
            messages.error(request, problem)
            return redirect(self.next_url)
        if not self.count and not problem:
            raise Http404("None of the selected people are yours to act on.")
        return BulkAction.dispatch(self, request, *args, **kwargs)

    @cached_property
    def chosen(self):
        self.count = 0
        people = self.selected_people()
        if people is None:
            return Person.objects.none(), {"items_with_no_access": []}
        self.count = people.order_by().values("pk")[: self.max_people + 1].count()
        if self.count > self.max_people:
            self.too_many = True
            return Person.objects.none(), {"items_with_no_access": []}
        if self.wanted is not None:
            self.left_out = self.wanted - self.count
        return people, {"items_with_no_access": []}

    def annotate_items(self, items):
        # What the confirmation page shows (the action gets the whole queryset).
        return list(items.select_related("owner", "company").order_by("pk")[:SHOWN])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(count=self.count, more=max(0, self.count - SHOWN), tag_names=self.known_tag_names())
        return context

    def known_tag_names(self):
        """Suggestions for the tags field (a datalist): the existing tags' names."""
        return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])

    def execute_action(self, objects, **kwargs):
        user, names = self.request.user, self.cleaned_form.cleaned_data["tags"]
        if self.adds:
            self.change = people_tags_add(objects, tags_resolve(names, by=user), by=user, source=PersonTag.Source.BULK)
        else:
            self.change = people_tags_remove(objects, tags_find(names), by=user, source=PersonTag.Source.BULK)
        self.names = names
        return len(self.change.people), 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        tags = ", ".join(self.names)
        people = num_parent_objects
        if not people:
            return f"Nothing changed: {'they all had' if self.adds else 'none of them had'} {tags}."
        unchanged = self.count - people
        done = "Tagged" if self.adds else "Untagged"
        note = f"; {unchanged:,} left as they were" if unchanged > 0 else ""
        return f"{done} {people:,} {'person' if people == 1 else 'people'} ({tags}){note}."


class AddTagsBulkAction(TagsBulkAction):
    display_name = "Add tags"
    action_type = "add_tags"
    aria_label = "Add tags to the selected people"
    action_priority = 60
    button_label = "Add tags"
    explanation = (
        "New names make new tags. A tag someone already has stays as it was. Each change is on their timeline."
    )


class RemoveTagsBulkAction(TagsBulkAction):
    display_name = "Remove tags"
    action_type = "remove_tags"
    aria_label = "Remove tags from the selected people"
    action_priority = 70
    button_label = "Remove tags"
    button_class = "serious"
    adds = False
    explanation = "People without the tag are left as they were. Each change is on their timeline."


# Registered by sales/wagtail_hooks.py.
TAG_BULK_ACTIONS = [AddTagsBulkAction, RemoveTagsBulkAction]
