"""Form pages marketers build with Wagtail's form builder, and the submissions Wagtail lists."""

from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField, AbstractFormSubmission
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.fields import RichTextField
from wagtail.search import index

from core.models import Record
from leads.services.tags import TagError, tag_names_parse


class FormPurpose(models.TextChoices):
    GATE = "gate", "Gated content (whitepaper download)"
    CONTACT_SALES = "contact_sales", "Contact sales"
    REGISTRATION = "registration", "Event registration"
    GENERAL = "general", "Other (newsletter, feedback, ...)"


class FieldMapping(models.TextChoices):
    """Where an answer goes in the lead store. Unmapped answers stay custom answers on the lead."""

    CUSTOM = "", "Custom answer (kept on the lead)"
    EMAIL = "email", "Person: email"
    FIRST_NAME = "first_name", "Person: first name"
    LAST_NAME = "last_name", "Person: last name"
    JOB_TITLE = "job_title", "Person: job title"
    SENIORITY = "seniority", "Person: seniority"
    PHONE = "phone", "Person: phone"
    COUNTRY = "country", "Person: country (two-letter code, e.g. DE)"
    COMPANY = "company", "Company: name"
    INDUSTRY = "industry", "Company: industry"
    EMPLOYEES = "employees", "Company: number of employees"
    EMPLOYEE_BAND = "employee_band", "Company: employee band (a list of the lead store's bands)"


# A hidden field labelled "tags": its default value (comma-separated names) tags whoever sends the form,
# when their lead is processed. What the browser posts for it is ignored: a visitor could name any tag.
TAGS_FIELD = "tags"


class GateBehaviour(models.TextChoices):
    REMEMBER = "remember", "Skip the form for known visitors who already filled it in"
    ALWAYS = "always", "Always ask"


class LeadFormField(AbstractFormField):
    page = ParentalKey("LeadFormPage", on_delete=models.CASCADE, related_name="form_fields")
    maps_to = models.CharField(
        "saved as",
        max_length=20,
        choices=FieldMapping.choices,
        blank=True,
        help_text="The person or company attribute this answer fills in",
    )
    progressive = models.BooleanField(
        "progressive question",
        default=False,
        help_text="Held back for anonymous visitors; asked of known visitors, a few per visit, in this order, "
        "until answered. Use it for fields saved to the person or company.",
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("help_text"),
        FieldRowPanel([FieldPanel("field_type"), FieldPanel("maps_to")]),
        FieldRowPanel([FieldPanel("required"), FieldPanel("progressive")]),
        FieldPanel("choices"),
        FieldPanel("default_value"),
    ]

    def clean(self):
        super().clean()
        if self.maps_to == FieldMapping.EMAIL and self.field_type not in ("email", "singleline", "hidden"):
            raise ValidationError({"field_type": "A field saved as the email must be an email or text field."})
        if self.is_tags_field:
            try:
                tag_names_parse(self.default_value, field="default_value")
            except TagError as error:
                raise ValidationError({"default_value": str(error)}) from None

    @property
    def is_tags_field(self) -> bool:
        """A hidden field labelled "tags", not saved as anything else: its default value tags the person."""
        name = self.clean_name or self.get_field_clean_name()
        return self.field_type == "hidden" and not self.maps_to and name == TAGS_FIELD


class LeadFormPage(AbstractEmailForm):
    """A marketer-built form: a whitepaper gate, contact sales, an event registration, a newsletter."""

    purpose = models.CharField(max_length=20, choices=FormPurpose.choices, default=FormPurpose.GATE)
    intro = RichTextField(blank=True, features=["bold", "italic", "link", "ul"])
    submit_label = models.CharField(max_length=60, default="Submit")
    thank_you_text = RichTextField(
        blank=True, features=["bold", "italic", "link", "ul"], help_text="Shown after a successful submission"
    )
    gate_behaviour = models.CharField(
        "known visitors",
        max_length=20,
        choices=GateBehaviour.choices,
        default=GateBehaviour.REMEMBER,
    )
    progressive_profiling = models.BooleanField(
        default=True, help_text="Don't ask known visitors what we already know; ask progressive questions instead"
    )
    questions_per_visit = models.PositiveSmallIntegerField(
        default=2, help_text="How many progressive questions a known visitor sees at once"
    )
    send_confirmation = models.BooleanField(
        "email the visitor", default=True, help_text="A confirmation email (with the download link for gates)"
    )
    confirmation_subject = models.CharField(max_length=200, default="Thank you", blank=True)
    confirmation_text = models.TextField(
        blank=True, help_text="Opening paragraph of the confirmation email, plain text"
    )

    content_panels = [
        *AbstractEmailForm.content_panels,
        FormSubmissionsPanel(),
        FieldPanel("purpose"),
        FieldPanel("intro"),
        InlinePanel("form_fields", label="Form fields"),
        FieldPanel("submit_label"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [FieldPanel("gate_behaviour"), FieldPanel("progressive_profiling"), FieldPanel("questions_per_visit")],
            heading="Known visitors",
        ),
        MultiFieldPanel(
            [FieldPanel("send_confirmation"), FieldPanel("confirmation_subject"), FieldPanel("confirmation_text")],
            heading="Confirmation email",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]), FieldPanel("subject")],
            heading="Internal notification",
        ),
    ]
    search_fields = [*AbstractEmailForm.search_fields, index.SearchField("intro")]
    subpage_types = []
    template = "pages/lead_form_page.html"
    landing_page_template = "pages/lead_form_page.html"

    class Meta:
        verbose_name = "form"

    def get_submission_class(self):
        return LeadFormSubmission

    def get_data_fields(self):
        # Wagtail's submissions listing and its CSV/XLSX export: also which lead and what for.
        return [*super().get_data_fields(), ("lead", "Lead"), ("for", "Filled in for")]

    # Wagtail's form hooks, where they fit. The journey (spam rules, consent, progressive profiling,
    # capture, emails) is shared with the pages that host this form (a gated whitepaper, an event), so
    # it runs in forms.services.journey, not in FormMixin.serve; the journey calls get_form and
    # process_form_submission. render_landing_page does not fit: the thank-you is a state of the form
    # panel inside whichever page hosts the form (or the panel alone for htmx), not a page of its own.
    def get_form(self, *args, plan=None, default_country="", **kwargs):
        """The form for this visitor's plan (known answers skipped, consent box by country).

        Without a plan (Wagtail's own callers: the admin preview) Wagtail's form of every field."""
        if plan is None:
            return super().get_form(*args, **kwargs)
        from forms.services.visitor_form import form_class

        return form_class(self, plan, default_country=default_country)(*args, **kwargs)

    def process_form_submission(self, form, *, lead=None, visitor_id="", context_label=""):
        """The row Wagtail's submissions listing shows, tied to the lead. No email here (Wagtail's
        AbstractEmailForm would send one): the journey writes its emails to the outbox."""
        from forms.services.submission import stored_answers

        return self.get_submission_class().objects.create(
            page=self,
            form_data=stored_answers(form.cleaned_data),
            lead=lead,
            visitor_id=visitor_id,
            context_label=context_label,
        )

    def serve(self, request, *args, **kwargs):
        # The whole journey lives in one service shared with the host pages; Wagtail's FormMixin.serve
        # would skip all of it.
        from forms.services.journey import form_serve

        return form_serve(request, host_page=self, form_page=self, template=self.template)

    def serve_preview(self, request, mode_name):
        return self.serve(request)


class LeadFormSubmission(AbstractFormSubmission, Record):
    """Wagtail's submission row (its listing and export keep working), tied to the captured lead."""

    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    visitor_id = models.CharField(max_length=64, blank=True)
    context_label = models.CharField(
        max_length=255, blank=True, help_text="What the form was filled in for, e.g. a whitepaper"
    )

    def get_data(self):
        return {**super().get_data(), "lead": f"LID-{self.lead_id}" if self.lead_id else "", "for": self.context_label}
