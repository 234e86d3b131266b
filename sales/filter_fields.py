"""The form fields and filters of the lists' filter sets (sales.filters): what a value may be.

Query strings are hostile input: a value a field refuses is an error on that field and its filter is
left out; the others still apply. A saved filter outlives the choices it was made from, so a source or
owner that is well formed and exists is accepted even when the menu no longer lists it.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model

from sales.filter_choices import parse_source

SCORE_LIMIT = 100_000
FIRST_YEAR, LAST_YEAR = 1900, 2999
JUNK_INCLUDED = "include"  # `junk=include`: a source's list with its junk (the junk filter below)


# --- Fields: what a value may be ------------------------------------------------------------------
class SourceField(django_filters.fields.ChoiceField):
    """`content:42`: any well-formed origin, listed or not (a saved filter outlives the choices list)."""

    default_error_messages = {
        "invalid_choice": "Choose a source such as content:42 (a whitepaper), event:7 or form:12.",
    }

    def valid_value(self, value):
        return parse_source(value) is not None


class OwnerField(django_filters.fields.ChoiceField):
    default_error_messages = {"invalid_choice": "Choose an owner: a user, “me” or “nobody”."}

    def valid_value(self, value):
        if value in ("me", "none"):
            return True
        # Any existing user, not only the listed ones: a saved filter on a rep who no longer owns
        # anybody keeps its meaning. (Checked without building the choices: exports never need them.)
        return (
            value.isascii()
            and value.isdigit()
            and len(value) < 19
            and get_user_model().objects.filter(pk=int(value)).exists()
        )


class CodesField(django_filters.fields.MultipleChoiceField):
    """Codes typed in any case (grade=a1, country=de) mean the listed upper-case ones."""

    def to_python(self, value):
        return [str(item).strip().upper() for item in super().to_python(value)]


class FreeValuesField(django_filters.fields.MultipleChoiceField):
    """Values that only need to be sensible (industries are free text on the company)."""

    def valid_value(self, value):
        return 0 < len(value) <= 100 and "\x00" not in value


class BoundedDateField(forms.DateField):
    """A date a database and Python's datetime can both hold once a time zone is added."""

    def to_python(self, value):
        result = super().to_python(value)
        if result and not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise forms.ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.", code="invalid")
        return result


class ScoreField(forms.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(min_value=-SCORE_LIMIT, max_value=SCORE_LIMIT, **kwargs)


class SourceFilter(django_filters.ChoiceFilter):
    field_class = SourceField


class OwnerFilter(django_filters.ChoiceFilter):
    field_class = OwnerField


class CodesFilter(django_filters.MultipleChoiceFilter):
    field_class = CodesField


class FreeValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = FreeValuesField


class DateBoundFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class ScoreFilter(django_filters.NumberFilter):
    field_class = ScoreField


def junk_filter():
    return django_filters.ChoiceFilter(
        label="Junk on a source's list",
        choices=[(JUNK_INCLUDED, "Included")],
        empty_label="Left out",
        method="noop",
        widget=forms.RadioSelect,
        help_text="Test data, competitors, disposable addresses, duplicates: left out of a whitepaper's, "
        "event's or form's list unless included",
    )
