"""The person 360 view and the company view (the viewsets' inspect views)."""

from leads.admin_privacy import PersonalDataInspectView
from leads.privacy import mask_email, mask_phone
from sales.access import visible_companies, visible_people


class PersonProfileView(PersonalDataInspectView):
    masked_fields = {"email": mask_email, "phone": mask_phone}

    def get_object(self, queryset=None):
        from django.shortcuts import get_object_or_404

        return get_object_or_404(visible_people(self.request.user, self.model.objects.all()), pk=self.pk)


class CompanyProfileView(PersonalDataInspectView):
    def get_object(self, queryset=None):
        from django.shortcuts import get_object_or_404

        return get_object_or_404(visible_companies(self.request.user, self.model.objects.all()), pk=self.pk)


def person_urls(viewset):
    return []
