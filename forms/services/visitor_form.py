"""The form one visitor is shown: what to ask, how the form is built, and whether a gate is already open.

Known answers are skipped, the next progressive questions added, the consent wording chosen by country
(form_plan); the form class applies our field rules (form_class). The answer's steps are in submission.py;
the HTML page, htmx and the JSON API all build their forms here, so the rules cannot drift apart.
"""

import copy
from dataclasses import dataclass, field

from django import forms as django_forms
from django.core.validators import EmailValidator
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django_countries import countries
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

from forms.models import FieldMapping, LeadFormField, LeadFormPage
from forms.models.pages import GateBehaviour
from leads.cleaning import normalise_email, normalise_phone
from leads.models import EMPLOYEE_BANDS
from leads.request_facts import ATTRIBUTION_FIELDS
from leads.selectors import person_has_converted, person_known_answers

from . import spam
from .consent import AppliedPolicy, policy_for
from .downloads import DownloadGrant, download_path

CONSENT_FIELD = "marketing_consent"
POLICY_FIELD = "sp_consent_policy"
TEXT_LIMITS = {"singleline": 255, "multiline": 5000, "email": 254, "url": 2000}


@dataclass(frozen=True)
class GatedAsset:
    """What a form unlocks: a whitepaper's PDF (cms builds this; forms never imports cms)."""

    document_id: int | None
    object_id: str
    label: str
    topics: tuple[str, ...] = ()
    object_type: str = "content"


@dataclass
class Visitor:
    """Who is asking, as far as the request tells: cookie, known person, country, IP, attribution."""

    visitor_id: str = ""
    person: object = None  # leads.models.Person for a recognised visitor
    country: str = ""  # from the CDN header or the API caller; the form's answer wins on submit
    ip_address: str | None = None
    attribution: dict = field(default_factory=dict)
    channel: str = "web"

    @cached_property
    def known_answers(self) -> dict:
        return person_known_answers(self.person)


@dataclass
class FormPlan:
    """The questions this visitor gets: known answers skipped, the next progressive questions added."""

    fields: list  # LeadFormField rows to ask, in order
    skipped: dict  # clean_name -> the known answer used instead
    consent: AppliedPolicy | None  # None: already granted, no box or notice needed
    greeting_name: str = ""


# --- The form definition, built once per page revision ------------------------------------------
# A form page's fields and the Django form fields built from them change only with the page: in Wagtail
# an edit is a new revision (latest_revision), publishing one changes live_revision. So both are kept in
# this process under (page id, live revision id, latest revision id), read from the page row every
# request already loads: a published revision has a new key, and the next request builds the new form.
# A page saved without a revision in this process (code, tests) drops its entries (the receivers below).
# Not cached: a page whose fields are in memory (an admin preview, a revision's copy) or not saved.
_DEFINITIONS: dict = {}  # key -> list of LeadFormField rows
_PROTOTYPES: dict = {}  # (key, language) -> {field name: built Django form field}
_CLASSES: dict = {}  # (key, language, asked field ids, consent, default country) -> form class
_PAGES: dict = {}  # key -> a LeadFormPage row, copied out per request (form_page_at)
_MAX_ENTRIES = 512  # per table; when full it starts again (few forms, few variants per form)


def definition_key(form_page: LeadFormPage) -> tuple | None:
    """What the page's form definition is cached under, or None when it must be built from the page."""
    loaded = vars(form_page)
    if form_page.pk is None or "live_revision_id" not in loaded or "latest_revision_id" not in loaded:
        return None  # unsaved, or revision ids deferred (reading them would query)
    if "form_fields" in (loaded.get("_cluster_related_objects") or {}):
        return None  # fields held in memory (preview, revision.as_object()): not what the database has
    return (form_page.pk, loaded["live_revision_id"], loaded["latest_revision_id"])


def _remember(table: dict, key, value):
    if len(table) >= _MAX_ENTRIES:
        table.clear()
    table[key] = value
    return value


def definitions_forget(page_id: int | None = None) -> None:
    """Drop what this process built for one form page (every page when None)."""
    for table in (_DEFINITIONS, _PROTOTYPES, _CLASSES, _PAGES):
        for key in list(table):
            page_key = key[0] if table is _DEFINITIONS or table is _PAGES else key[0][0]
            if page_id is None or page_key == page_id:
                table.pop(key, None)


@receiver(post_save, sender=LeadFormPage, dispatch_uid="visitor_form_page_saved")
@receiver(post_delete, sender=LeadFormPage, dispatch_uid="visitor_form_page_deleted")
@receiver(post_save, sender=LeadFormField, dispatch_uid="visitor_form_field_saved")
@receiver(post_delete, sender=LeadFormField, dispatch_uid="visitor_form_field_deleted")
def _page_changed(sender, instance, **kwargs):
    definitions_forget(instance.page_id if sender is LeadFormField else instance.pk)


def form_page_at(page_id: int, live_revision_id: int | None, latest_revision_id: int | None) -> LeadFormPage | None:
    """The form page row as it is at these revisions, from this process's cache when it has it.

    The caller read the revision ids with a cheap query; the full row (a Wagtail page: two tables,
    many columns) is loaded only when they are new. Each call returns its own copy of the row."""
    key = (page_id, live_revision_id, latest_revision_id)
    page = _PAGES.get(key)
    if page is None:
        page = LeadFormPage.objects.filter(pk=page_id).first()
        if page is None:
            return None
        if definition_key(page) != key:  # changed between the two reads: use it, keep nothing
            return page
        _remember(_PAGES, key, page)
    return copy.copy(page)


def form_fields(form_page: LeadFormPage) -> list:
    """The page's fields: built once per page revision in this process, else once per request."""
    key = definition_key(form_page)
    if key is None and "form_fields" in (vars(form_page).get("_cluster_related_objects") or {}):
        return list(form_page.get_form_fields())  # in memory (a preview): no query, and may change
    cached = getattr(form_page, "_lead_form_fields", None)
    if cached is None:
        cached = _DEFINITIONS.get(key) if key is not None else None
        if cached is None:
            cached = list(form_page.get_form_fields())
            if key is not None:
                _remember(_DEFINITIONS, key, cached)
        form_page._lead_form_fields = cached
    return cached


def form_plan(form_page: LeadFormPage, visitor: Visitor) -> FormPlan:
    fields = form_fields(form_page)
    known = visitor.known_answers if form_page.progressive_profiling else {}
    asked, skipped, progressive_left = [], {}, form_page.questions_per_visit
    for form_field in fields:
        if form_field.is_tags_field:  # the form's own tags (forms.models.TAGS_FIELD): the visitor never sees them
            continue
        answer = known.get(form_field.maps_to) if form_field.maps_to else None
        if answer and form_field.field_type != "hidden":
            skipped[form_field.clean_name] = answer
            continue
        if form_field.progressive:
            # Anonymous visitors never see progressive questions; known ones see the next few.
            if not known or progressive_left <= 0:
                continue
            progressive_left -= 1
        asked.append(form_field)
    person = visitor.person
    already_granted = person is not None and getattr(person, "consent", "") == "granted"
    consent = None if already_granted else policy_for(visitor.country or getattr(person, "country", ""))
    greeting = (getattr(person, "first_name", "") or "") if known else ""
    return FormPlan(fields=asked, skipped=skipped, consent=consent, greeting_name=greeting)


class LeadFormBuilder(FormBuilder):
    """Wagtail's builder with our field rules: countries as a list, lengths capped, emails checked."""

    def formfields_for(self, fields):
        formfields = {}
        for form_field in fields:
            options = self.get_field_options(form_field)
            # Lists the lead store understands, whatever choices were typed: ISO countries, our bands.
            if form_field.maps_to == FieldMapping.COUNTRY and form_field.field_type != "hidden":
                formfield = django_forms.ChoiceField(choices=[("", "Select a country")] + list(countries), **options)
            elif form_field.maps_to == FieldMapping.EMPLOYEE_BAND and form_field.field_type != "hidden":
                formfield = django_forms.ChoiceField(choices=[("", "Select a size"), *EMPLOYEE_BANDS], **options)
            else:
                formfield = self.get_create_field_function(form_field.field_type)(form_field, options)
            limit = TEXT_LIMITS.get(form_field.field_type)
            if limit and isinstance(formfield, django_forms.CharField):
                formfield.max_length = limit
                # One limit, one message: drop the builder's own (e.g. 255 on single-line fields).
                formfield.validators = [
                    v
                    for v in formfield.validators
                    if not isinstance(v, django_forms.fields.validators.MaxLengthValidator)
                ]
                formfield.validators.append(django_forms.fields.validators.MaxLengthValidator(limit))
                formfield.widget.attrs["maxlength"] = str(limit)
            if form_field.maps_to == FieldMapping.EMAIL:
                # One rule for addresses everywhere: email-validator's, as the lead store cleans them.
                formfield.validators = [v for v in formfield.validators if not isinstance(v, EmailValidator)]
                formfield.validators.append(_validate_email)
                formfield.widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
            formfield.widget.attrs.update(AUTOCOMPLETE.get(form_field.maps_to, {}))
            formfields[form_field.clean_name or form_field.get_field_clean_name()] = formfield
        return formfields


AUTOCOMPLETE = {
    "first_name": {"autocomplete": "given-name"},
    "last_name": {"autocomplete": "family-name"},
    "company": {"autocomplete": "organization"},
    "job_title": {"autocomplete": "organization-title"},
    "phone": {"autocomplete": "tel", "inputmode": "tel"},
    "country": {"autocomplete": "country"},
}


def _validate_email(value):
    if value and normalise_email(str(value))[1]:
        raise django_forms.ValidationError("Enter a valid email address, e.g. jane@company.com.")


class LeadFormBase(BaseForm):
    """Checks that need more than one answer (a phone number needs its country)."""

    mapping: dict = {}  # clean_name -> maps_to, set per form class
    default_country = ""

    def clean(self):
        cleaned = super().clean()
        phone_field = next((name for name, target in self.mapping.items() if target == "phone"), None)
        country_field = next((name for name, target in self.mapping.items() if target == "country"), None)
        if phone_field and cleaned.get(phone_field):
            country = (cleaned.get(country_field) if country_field else "") or self.default_country
            _, problem = normalise_phone(str(cleaned[phone_field]), country or "")
            if problem:
                self.add_error(
                    phone_field, f"Enter a phone number with its country code, e.g. +49 30 1234567 ({problem})."
                )
        return cleaned


def form_class(form_page: LeadFormPage, plan: FormPlan, *, default_country: str = "") -> type[django_forms.Form]:
    """The form class for this plan; built once per page revision and plan shape in this process.

    Sharing the class is safe: every form instance deep-copies its fields (Django's BaseForm)."""
    key = definition_key(form_page)
    if key is None:
        return _form_class_build(plan, LeadFormBuilder(plan.fields).formfields_for(plan.fields), default_country)
    language = get_language()
    class_key = (key, language, tuple(f.pk for f in plan.fields), plan.consent, default_country)
    cls = _CLASSES.get(class_key)
    if cls is None:
        prototypes = _PROTOTYPES.get((key, language))
        if prototypes is None:
            every_field = form_fields(form_page)
            prototypes = _remember(
                _PROTOTYPES, (key, language), LeadFormBuilder(every_field).formfields_for(every_field)
            )
        built = {name: prototypes[name] for name in _field_names(plan.fields)}
        cls = _remember(_CLASSES, class_key, _form_class_build(plan, built, default_country))
    return cls


def _field_names(fields) -> list[str]:
    return [form_field.clean_name or form_field.get_field_clean_name() for form_field in fields]


def _form_class_build(plan: FormPlan, attrs: dict, default_country: str) -> type[django_forms.Form]:
    attrs = dict(attrs)
    attrs["mapping"] = {f.clean_name: f.maps_to for f in plan.fields if f.maps_to}
    attrs["default_country"] = default_country
    # Extras every form carries: never shown to people except the consent box.
    attrs[spam.HONEYPOT_FIELD] = django_forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=django_forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    attrs[spam.STARTED_FIELD] = django_forms.CharField(required=False, widget=django_forms.HiddenInput)
    for name in ATTRIBUTION_FIELDS:
        attrs[f"sp_{name}"] = django_forms.CharField(required=False, max_length=2000, widget=django_forms.HiddenInput)
    if plan.consent is not None:
        attrs[POLICY_FIELD] = django_forms.CharField(required=False, widget=django_forms.HiddenInput)
        if plan.consent.show_checkbox:
            attrs[CONSENT_FIELD] = django_forms.BooleanField(required=False, label=plan.consent.text)
    return type("LeadForm", (LeadFormBase,), attrs)


def unbound_form(form_page: LeadFormPage, plan: FormPlan, visitor: Visitor):
    initial = {spam.STARTED_FIELD: spam.started_token(form_page.pk)}
    initial.update({f"sp_{name}": value for name, value in visitor.attribution.items() if value})
    if plan.consent is not None:
        initial[POLICY_FIELD] = plan.consent.token
    return form_page.get_form(plan=plan, default_country=visitor.country, initial=initial, auto_id="id_%s")


def gate_is_open(form_page: LeadFormPage, asset: GatedAsset | None, visitor: Visitor) -> bool:
    """A known visitor who already filled in this gate skips it (unless the form always asks)."""
    return (
        asset is not None
        and form_page.gate_behaviour == GateBehaviour.REMEMBER
        and visitor.person is not None
        and person_has_converted(visitor.person, origin_type=asset.object_type, origin_id=asset.object_id)
    )


def returning_download_path(asset: GatedAsset, visitor: Visitor) -> str:
    if not asset.document_id or visitor.person is None:
        return ""
    return download_path(
        DownloadGrant(
            document_id=asset.document_id, object_id=asset.object_id, person_id=visitor.person.pk, topics=asset.topics
        )
    )
