"""The people, companies and leads lists: scoped to what the user may see, masked, fast at a million rows."""

from leads.admin_privacy import PersonalDataIndexView
from leads.privacy import mask_email, mask_phone
from sales.access import visible_companies, visible_leads, visible_people


class ScopedIndexView(PersonalDataIndexView):
    """A listing that only ever shows the rows the user's scope allows."""

    scope = None  # one of sales.access.visible_*

    def get_base_queryset(self):
        return type(self).scope(self.request.user, super().get_base_queryset())


class PeopleIndexView(ScopedIndexView):
    scope = visible_people
    masked_fields = {"email": mask_email, "phone": mask_phone, "__str__": mask_email}


class CompanyIndexView(ScopedIndexView):
    scope = visible_companies


class LeadIndexView(ScopedIndexView):
    scope = visible_leads
    masked_fields = {"person": mask_email}
