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
