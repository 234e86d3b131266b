"""Tags: labels marketers and telemarketers put on people ("webinar-follow-up", "called-q4"). A tag is
a fact about a person that segments, scoring rules, sales filters and exports read; every change is
also an interaction on the person's timeline (tag_added / tag_removed, with who did it)."""

from django.conf import settings
from django.db import models

from core.models import Record

from .people import Person


class Tag(Record):
    """One label. The slug is the identity (what imports, hidden fields and rules name); the name is
    how it is shown."""

    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PersonTag(Record):
    """A tag on a person: when, by whom, and how it got there."""

    class Source(models.TextChoices):
        MANUAL = "manual", "By hand"
        BULK = "bulk", "Bulk action"
        IMPORT = "import", "Import"
        FORM = "form", "Form"
        API = "api", "API"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="person_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="person_tags")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="leads_person_tag_unique")]
        # "Has tag X": the audience count and the sales filter start from the tag.
        indexes = [models.Index(fields=["tag", "person"], name="leads_person_tag_by_tag")]

    def __str__(self):
        return f"{self.tag_id} on {self.person_id}"
