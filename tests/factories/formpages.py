"""Form pages with fields, as a marketer would build them in the admin."""

import factory
import wagtail_factories

from forms.models import LeadFormField, LeadFormPage

# label, field_type, maps_to, required, progressive, choices
GATE_FIELDS = [
    ("Work email", "email", "email", True, False, ""),
    ("First name", "singleline", "first_name", True, False, ""),
    ("Last name", "singleline", "last_name", True, False, ""),
    ("Company", "singleline", "company", True, False, ""),
    ("Country", "dropdown", "country", True, False, ""),
    ("Job title", "singleline", "job_title", False, True, ""),
    ("Phone", "singleline", "phone", False, True, ""),
    ("Company size", "dropdown", "employee_band", False, True, ""),
]


class LeadFormFieldFactory(factory.django.DjangoModelFactory):
    label = factory.Sequence(lambda n: f"Question {n}")
    field_type = "singleline"
    required = False

    class Meta:
        model = LeadFormField


class LeadFormPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Form {n}")
    purpose = "gate"
    submit_label = "Get the PDF"
    thank_you_text = "<p>Enjoy the read.</p>"
    confirmation_subject = "Your whitepaper"

    class Meta:
        model = LeadFormPage
        skip_postgeneration_save = True

    @factory.post_generation
    def fields(page, create, extracted, **kwargs):
        """fields=[(label, type, maps_to, required, progressive, choices), ...]; the gate fields by default."""
        rows = GATE_FIELDS if extracted is None else extracted
        for order, (label, field_type, maps_to, required, progressive, choices) in enumerate(rows):
            LeadFormField.objects.create(
                page=page,
                sort_order=order,
                label=label,
                field_type=field_type,
                maps_to=maps_to,
                required=required,
                progressive=progressive,
                choices=choices,
            )
