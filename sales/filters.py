"""The filters of the people, companies and leads lists (django-filter through Wagtail's WagtailFilterSet).

The same filter sets choose the rows of an export and of a saved filter, so a list, its saved
filter and its export can never disagree.
"""

import django_filters
from wagtail.admin.filters import WagtailFilterSet

from leads.models import Company, Lead, Person


class PeopleFilterSet(WagtailFilterSet):
    class Meta:
        model = Person
        fields = ["stage", "grade", "country"]


class CompanyFilterSet(WagtailFilterSet):
    class Meta:
        model = Company
        fields = ["industry", "employee_band", "country"]


class LeadFilterSet(WagtailFilterSet):
    class Meta:
        model = Lead
        fields = ["origin_type", "verdict", "utm_campaign"]


FILTERSETS = {"people": PeopleFilterSet, "companies": CompanyFilterSet, "leads": LeadFilterSet}
__all__ = ["FILTERSETS", "PeopleFilterSet", "CompanyFilterSet", "LeadFilterSet", "django_filters"]
