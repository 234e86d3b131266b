"""The people and leads lists' behaviour filter: who did something, at least N times, in the last D days.

One filter, four parameters (a django-filter SuffixedMultiWidget, as Wagtail's date ranges are):
`behaviour` (what: visited_url, downloaded, registered_event, ... see leads.behaviour_conditions),
`behaviour_value` (which, comma-separated: /pricing/, 42, topic:ai, trial_started; empty = any where
that makes sense), `behaviour_times` (at least, 1 by default) and `behaviour_days` (in the last, empty
= ever). For example `?behaviour=visited_url&behaviour_value=/pricing/&behaviour_times=2&behaviour_days=7`.

The window is relative to now, so a saved filter means "the last 7 days" whenever it is applied. The
condition is the lead store's, the same the segment editor counts with; on the leads list it applies to
each lead's person. A malformed part is an error on `behaviour` that names the parameter.
"""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.widgets import SuffixedMultiWidget
from wagtail.admin.active_filters import ActiveFilter, BaseFilterAdapter, register_filter_adapter_class

from leads.behaviour_conditions import KIND_CHOICES, MAX_DAYS, MAX_TIMES, TOPIC_PREFIX, condition_parse, condition_q

NAME = "behaviour"
SUFFIXES = ["", "value", "times", "days"]
PARAMS = {"kind": NAME, **{suffix: f"{NAME}_{suffix}" for suffix in SUFFIXES if suffix}}


class BehaviourWidget(SuffixedMultiWidget):
    suffixes = SUFFIXES

    def __init__(self, attrs=None):
        # Four inputs under one label: each says what it is (placeholder, and aria-label for screen readers).
        def number(label, high):
            return forms.NumberInput(attrs={"placeholder": label.lower(), "aria-label": label, "min": 1, "max": high})

        widgets = [
            forms.Select(choices=[("", "Anything"), *KIND_CHOICES], attrs={"aria-label": "What they did"}),
            forms.TextInput(
                attrs={"placeholder": "which: /pricing/, 42, topic:ai (empty = any)", "aria-label": "Which"}
            ),
            number("At least (times)", MAX_TIMES),
            number("In the last (days)", MAX_DAYS),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if value is None:
            return [None] * len(SUFFIXES)
        values = [*value.ids, *(TOPIC_PREFIX + topic for topic in value.topics), *value.paths]
        return [value.kind.code, ", ".join(values), value.times, value.days]


class BehaviourField(forms.MultiValueField):
    """The four parts as one condition (leads.behaviour_conditions.Condition), or None when unused."""

    widget = BehaviourWidget

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        fields = tuple(forms.CharField(max_length=length, required=False) for length in (40, 2000, 20, 20))
        super().__init__(fields, require_all_fields=False, **{"required": False, **kwargs})

    def compress(self, data_list):
        kind, value, times, days = (list(data_list) + [""] * len(SUFFIXES))[: len(SUFFIXES)]
        if not kind:
            if value or times or days:
                raise ValidationError(f"{NAME}: choose what the person did, for the values given.", code="invalid")
            return None
        try:
            return condition_parse(kind, re.split(r"[,\n]", value or ""), times, days)
        except ValidationError as error:
            raise ValidationError(
                [
                    f"{PARAMS.get(field, NAME)}: {message}"
                    for field, messages in error.message_dict.items()
                    for message in messages
                ],
                code="invalid",
            ) from None


class BehaviourFilter(django_filters.Filter):
    """Rows whose person did it: an uncorrelated `IN` over the lead store, paged and counted like any
    other filter."""

    field_class = BehaviourField

    def filter(self, qs, value):
        if value is None:
            return qs
        person_path = getattr(self.parent, "person_path", "")
        return qs.filter(condition_q(value, now=timezone.now(), field=f"{person_path}pk"))


class BehaviourFilterAdapter(BaseFilterAdapter):
    """The active-filter chip: the condition in words; removing it removes all four parameters."""

    def get_active_filters(self):
        yield ActiveFilter(
            self.bound_field.auto_id,
            self.filter.label,
            str(self.value),
            self.get_url_without_filter_param(list(PARAMS.values())),
        )


def behaviour_filter():
    return BehaviourFilter(
        label="Did (behaviour)",
        help_text="What they did, which (comma-separated; empty = any), at least how many times, in the last how "
        "many days (empty = ever)",
    )


register_filter_adapter_class(BehaviourFilter, BehaviourFilterAdapter)
