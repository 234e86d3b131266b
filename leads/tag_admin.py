"""The Tags screen (Lead store > Tags): every tag with how many people have it; rename, delete, add.

Wagtail's model viewset with the model's permissions (leads.view_tag, add_tag, change_tag, delete_tag:
marketers and administrators). Renaming keeps the slug, which imports, hidden fields and scoring rules
name, so nobody's tags change; a name that cannot be a tag or is another tag's is an error on the
name. Deleting takes the tag off everybody first, each removal on that person's timeline.
"""

from django import forms
from django.db import transaction
from django.db.models import Count
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from leads.models import Person, Tag
from leads.services.tags import TagError, people_tags_remove, tag_create, tag_name_clean, tag_rename, tag_slug


class TagForm(WagtailAdminModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self):
        try:
            name = tag_name_clean(self.cleaned_data["name"], field="name")
        except TagError as error:
            raise forms.ValidationError(str(error)) from None
        if not name:
            raise forms.ValidationError("Give the tag a name.")
        clash = Tag.objects.filter(slug=tag_slug(name)).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise forms.ValidationError(f"There is already a tag “{clash.name}” ({clash.slug}).")
        return name


class TagIndexView(IndexView):
    def get_base_queryset(self):
        # How many people have each tag: counted on the (tag, person) index, for this page's tags only
        # once paginated.
        return super().get_base_queryset().annotate(people_count=Count("person_tags"))


class TagCreateView(CreateView):
    def save_instance(self):
        return tag_create(self.form.cleaned_data["name"], by=self.request.user)


class TagEditView(EditView):
    def save_instance(self):
        return tag_rename(Tag.objects.get(pk=self.object.pk), self.form.cleaned_data["name"])


class TagDeleteView(DeleteView):
    @transaction.atomic
    def delete_action(self):
        tagged = Person.objects.filter(person_tags__tag=self.object)
        people_tags_remove(tagged, [self.object], by=self.request.user)
        super().delete_action()


class TagViewSet(ModelViewSet):
    model = Tag
    url_prefix = "leads/tags"
    url_namespace = "leads_tag"
    icon = "tag"
    menu_label = "Tags"
    add_to_admin_menu = False
    index_view_class = TagIndexView
    add_view_class = TagCreateView
    edit_view_class = TagEditView
    delete_view_class = TagDeleteView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = [
        "name",
        "slug",
        Column("people_count", label="People", sort_key="people_count"),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    search_fields = ["name", "slug"]
    ordering = "name"
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return TagForm
