"""Query-string forms for the public site (validated at the edge, never trusted)."""

from django import forms

from cms.models import Industry, Topic


class ListingFilterForm(forms.Form):
    """?topic=<slug>&industry=<slug> on whitepaper and case-study listings."""

    topic = forms.ModelChoiceField(
        queryset=Topic.objects.all(), to_field_name="slug", required=False, empty_label="All topics"
    )
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.all(), to_field_name="slug", required=False, empty_label="All industries"
    )

    def cleaned_filters(self):
        """The valid filters only: an unknown slug is reported on the form and otherwise ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in ("topic", "industry") if data.get(name)}


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False, strip=True)


class EventFilterForm(forms.Form):
    """?when=past&type=webinar&topic=<slug>&city=<name> on the events listing."""

    when = forms.ChoiceField(choices=[("", "Upcoming"), ("past", "Past")], required=False)
    type = forms.ChoiceField(required=False)
    topic = forms.ChoiceField(required=False)
    city = forms.ChoiceField(required=False)

    def __init__(self, *args, cities=(), **kwargs):
        from cms.models.events import EVENT_TYPE_LABELS
        from events.models import EventTopic

        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "All types"), *EVENT_TYPE_LABELS.items()]
        topics = EventTopic.objects.values_list("tag__slug", "tag__name").distinct().order_by("tag__name")
        self.fields["topic"].choices = [("", "All topics"), *topics]
        self.fields["city"].choices = [("", "All cities"), *((city, city) for city in cities)]

    def cleaned_filters(self):
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in ("when", "type", "topic", "city") if data.get(name)}
