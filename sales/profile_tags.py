"""Tags on the person 360 view: shown to everybody who may see the person, added and removed by users
with leads.tag_people who may see the person (marketers, administrators).

`leads_person:tags` (/admin/leads/person/tags/<pk>/) takes the profile's small forms: `add` (names,
comma-separated; new names make new tags) or `remove` (a tag's slug or name). It answers with the
profile again; a name that cannot be a tag gets this page back (400) with the error on its field.
Without the right: 403; a person outside the user's scope: 404, as on the profile.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from leads.models import Person, PersonTag, Tag
from leads.privacy import can_view_personal_data
from leads.selectors import person_tags
from leads.services.tags import TagError, person_tags_add, person_tags_remove, tag_names_parse
from sales.access import can_tag_people, visible_people

SUGGESTED = 500  # existing tags offered as the add field's suggestions


class PersonTagsForm(forms.Form):
    add = forms.CharField(
        label="Add tags",
        required=False,
        max_length=2000,
        help_text="Comma-separated, e.g. webinar-follow-up, called-q4. New names make new tags.",
        widget=forms.TextInput(attrs={"list": "sp-tag-names", "autocomplete": "off"}),
    )
    remove = forms.CharField(label="Remove tag", required=False, max_length=200, widget=forms.HiddenInput)

    def _names(self, name):
        try:
            return tag_names_parse(self.cleaned_data[name], field=name)
        except TagError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_add(self):
        return self._names("add")

    def clean_remove(self):
        return self._names("remove")

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("add") and not data.get("remove"):
            self.add_error("add", "Give a tag to add.")
        return data


def tags_context(request, person) -> dict:
    """What the profile's Tags section needs."""
    may_tag = can_tag_people(request.user)
    return {
        "tags": person_tags(person),
        "can_tag": may_tag,
        "tags_url": reverse("leads_person:tags", args=[person.pk]),
        "tag_names": tag_suggestions() if may_tag else [],
    }


def tag_suggestions() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:SUGGESTED])


class PersonTagsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "sales/profile/tags.html"
    page_title = "Tags"
    header_icon = "tag"

    def dispatch(self, request, *args, **kwargs):
        if not can_tag_people(request.user):
            raise PermissionDenied
        self.person = get_object_or_404(visible_people(request.user, Person.objects.all()), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        from sales.profile import person_label  # profile builds on this module

        return person_label(self.person, show_personal_data=can_view_personal_data(self.request.user))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PersonTagsForm())
        return super().get_context_data(person=self.person, **tags_context(self.request, self.person), **kwargs)

    def post(self, request, *args, **kwargs):
        form = PersonTagsForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        added = person_tags_add(self.person, form.cleaned_data["add"], by=request.user, source=PersonTag.Source.MANUAL)
        removed = person_tags_remove(self.person, form.cleaned_data["remove"], by=request.user)
        for change, done in ((added, "Added"), (removed, "Removed")):
            if len(change):
                names = ", ".join(
                    sorted((t.name for t in change.tags if (self.person.pk, t.pk) in change.rows), key=str.casefold)
                )
                messages.success(request, f"{done}: {names}.")
        if not len(added) and not len(removed):
            messages.info(request, "Nothing changed: the tags were already so.")
        return redirect(reverse("leads_person:inspect", args=[self.person.pk]) + "#tags")


def person_tags_urls(viewset):
    return [path("tags/<int:pk>/", viewset.construct_view(PersonTagsView), name="tags")]
