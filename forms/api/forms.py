"""Headless forms: a form's definition for this visitor, and submitting it.

Same services as the HTML form, so the same rules hold: progressive profiling, consent by country,
spam checks, field mapping, capture into the lead store, a signed download link for gates.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.html import strip_tags
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ValidationError as SchemaError
from wagtail.models import Page

from core.edge import PARAMETER_ERRORS, ErrorsOut, RowId
from forms.models import LeadFormPage
from forms.services import spam
from forms.services.submission import SubmitResult, form_submit
from forms.services.visitor_form import (
    CONSENT_FIELD,
    POLICY_FIELD,
    Visitor,
    form_class,
    form_plan,
    gate_is_open,
    returning_download_path,
)
from leads.cleaning import clean_text
from leads.request_facts import ATTRIBUTION_FIELDS, client_ip, request_country
from leads.selectors import person_for_visitor
from leads.services.identity import new_visitor_id, valid_visitor_id

router = Router(tags=["forms"])


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    name: str = Field(description="Send the answer under this key in `answers`")
    label: str
    type: str = Field(
        description="singleline, multiline, email, number, url, checkbox, checkboxes, dropdown, "
        "multiselect, radio, date, datetime, hidden"
    )
    required: bool
    help_text: str
    choices: list[ChoiceOut]
    max_length: int | None
    default: str
    maps_to: str = Field(description="The person or company attribute it fills; empty for a custom answer")


class ConsentOut(Schema):
    field: str = Field(description="Send true/false under this key in `answers` when show_checkbox is true")
    show_checkbox: bool
    opt_in_required: bool
    text: str = Field(description="Show exactly this text (checkbox label, or a notice when there is no checkbox)")
    version: int
    policy: str = Field(description="Send back as `consent_policy`: the decision is judged against this text")


class GateOut(Schema):
    open: bool = Field(description="True: a known visitor who already converted; show download_url, no form")
    download_url: str | None


class FormDefinitionOut(Schema):
    id: int
    title: str
    purpose: str
    intro: str
    submit_label: str
    visitor_id: str = Field(description="Keep it (cookie or storage) and send it back; new when none was given")
    greeting: str = Field(description="First name of a recognised visitor, for a 'Welcome back' line")
    fields: list[FieldOut]
    skipped: list[str] = Field(description="Questions left out because the answer is already known")
    consent: ConsentOut | None = Field(description="None when this person already gave consent")
    token: str = Field(description="Send back unchanged; forms sent back too fast or too late are refused")
    honeypot: str = Field(description="A field name to leave empty (render it hidden from people, or not at all)")
    gate: GateOut | None


class SubmissionIn(Schema):
    token: str = Field(description="From the definition")
    answers: dict[str, Any] = Field(description="field name -> answer; lists for checkboxes and multiselect")
    consent_policy: str = Field("", description="From the definition's consent.policy")
    visitor_id: str = ""
    page_id: RowId | None = Field(None, description="The page hosting the form, e.g. the gated whitepaper")
    country: str = Field("", description="The visitor's country if the front end knows it (ISO 3166 alpha-2)")
    context: dict[str, str] = Field(
        default_factory=dict,
        description="utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_page",
    )


class SubmissionOut(Schema):
    status: str
    lead_id: str | None
    visitor_id: str
    message: str = Field(description="The thank-you text, plain")
    download_url: str | None = Field(description="Signed, expiring, personal link to the gated PDF")


def _form_page(form_id: int) -> LeadFormPage:
    return get_object_or_404(LeadFormPage.objects.live(), pk=form_id)


def _asset(page_id):
    """A host page that unlocks something (a gated whitepaper) describes it; forms never import cms."""
    if not page_id:
        return None
    page = Page.objects.live().filter(pk=page_id).first()
    page = page.specific if page else None
    return page.gated_asset() if page is not None and hasattr(page, "gated_asset") else None


def _visitor(request, visitor_id: str, country: str, context: dict | None = None) -> tuple[Visitor, bool]:
    visitor_id = valid_visitor_id(clean_text(visitor_id, 64)[0])
    is_new = not visitor_id
    visitor_id = visitor_id or new_visitor_id()
    country = clean_text(country, 2)[0].upper()
    attribution = {name: clean_text((context or {}).get(name), 2000)[0] for name in ATTRIBUTION_FIELDS}
    return Visitor(
        visitor_id=visitor_id,
        person=None if is_new else person_for_visitor(visitor_id),
        country=country if country.isalpha() and len(country) == 2 else request_country(request),
        ip_address=client_ip(request),
        attribution={k: v for k, v in attribution.items() if v},
        channel="api",
    ), is_new


def _field_out(name, formfield, source) -> dict:
    choices = getattr(formfield, "choices", None) or []
    return {
        "name": name,
        "label": str(formfield.label or ""),
        "type": source.field_type if source else "checkbox",
        "required": formfield.required,
        "help_text": strip_tags(str(formfield.help_text or "")),
        "choices": [{"value": str(value), "label": str(label)} for value, label in choices if value != ""],
        "max_length": getattr(formfield, "max_length", None),
        "default": str(source.default_value or "") if source else "",
        "maps_to": source.maps_to if source else "",
    }


@router.get(
    "/{form_id}",
    response={200: FormDefinitionOut, 404: ErrorsOut, **PARAMETER_ERRORS},
    summary="A form, for this visitor",
)
def form_definition(
    request,
    response: HttpResponse,
    form_id: RowId,
    visitor_id: str = "",
    country: str = "",
    page_id: RowId | None = None,
):
    """The questions to render for this visitor: known answers skipped, consent for their country."""
    # This visitor's questions and download link: no shared cache may keep them, nor the browser reuse them.
    patch_cache_control(response, private=True, no_store=True)
    form_page = _form_page(form_id)
    visitor, _ = _visitor(request, visitor_id, country)
    return Status(200, definition_for(request, form_page, visitor, asset=_asset(page_id)))


def definition_for(request, form_page: LeadFormPage, visitor: Visitor, *, asset=None) -> dict:
    """A form's definition for one visitor (also served inside other apps' JSON, e.g. an event's)."""
    gate = None
    if asset is not None:
        is_open = gate_is_open(form_page, asset, visitor)
        gate = {
            "open": is_open,
            "download_url": request.build_absolute_uri(returning_download_path(asset, visitor)) if is_open else None,
        }
    plan = form_plan(form_page, visitor)
    formfields = form_class(form_page, plan, default_country=visitor.country)().fields
    by_name = {source.clean_name: source for source in plan.fields}
    consent = None
    if plan.consent is not None:
        consent = {
            "field": CONSENT_FIELD,
            "show_checkbox": plan.consent.show_checkbox,
            "opt_in_required": plan.consent.opt_in_required,
            "text": plan.consent.text,
            "version": plan.consent.version,
            "policy": plan.consent.token,
        }
    return {
        "id": form_page.pk,
        "title": form_page.title,
        "purpose": form_page.purpose,
        "intro": form_page.intro,
        "submit_label": form_page.submit_label,
        "visitor_id": visitor.visitor_id,
        "greeting": plan.greeting_name,
        "fields": [_field_out(name, formfields[name], by_name.get(name)) for name in by_name],
        "skipped": list(plan.skipped),
        "consent": consent,
        "token": spam.started_token(form_page.pk),
        "honeypot": spam.HONEYPOT_FIELD,
        "gate": gate,
    }


SUBMISSION_SCHEMA = SubmissionIn.model_json_schema()


@router.post(
    "/{form_id}/submissions",
    response={201: SubmissionOut, 400: ErrorsOut, 404: ErrorsOut, 413: ErrorsOut, 422: ErrorsOut, 429: ErrorsOut},
    summary="Submit a form",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": SUBMISSION_SCHEMA}}}},
)
def form_submission(request, form_id: RowId):
    """Validated like the HTML form. Errors come back as field name -> messages (422).

    Spam rules apply: a token sent back faster than a person can fill in the form, or after a day,
    is refused (400); too many submissions from one IP or for one email get 429.
    """
    form_page = _form_page(form_id)
    outcome = submission_take(request, form_page, SubmissionIn)
    if outcome.problem is not None:
        return outcome.problem
    result, visitor = outcome.result, outcome.visitor
    return Status(
        201,
        {
            "status": "accepted",
            "lead_id": result.lead.lid if result.lead is not None else None,
            "visitor_id": visitor.visitor_id,
            "message": strip_tags(form_page.thank_you_text or "Thank you."),
            "download_url": request.build_absolute_uri(result.download_path) if result.download_path else None,
        },
    )


@dataclass
class SubmissionTaken:
    problem: Status | None = None  # the error response to send, or None when accepted
    result: SubmitResult | None = None
    visitor: Visitor | None = None
    body: SubmissionIn | None = None


def submission_take(
    request, form_page: LeadFormPage, schema=SubmissionIn, *, confirm: bool = True, asset=None
) -> SubmissionTaken:
    """Parse a JSON submission and hand it to form_submit (also used by other apps' endpoints)."""
    too_large = spam.body_too_large(request)
    if too_large is not None:
        spam.rejection_log(too_large, form_page=form_page, channel="api", ip_address=client_ip(request))
        return SubmissionTaken(Status(413, {"errors": {"__all__": [too_large.message]}}))
    try:
        body = schema.model_validate_json(request.body or b"{}")
    except SchemaError as error:
        return SubmissionTaken(Status(422, {"errors": _schema_errors(error)}))

    visitor, _ = _visitor(request, body.visitor_id, body.country, body.context)
    data = QueryDict(mutable=True)
    for name, value in body.answers.items():
        values = value if isinstance(value, list) else [value]
        data.setlist(str(name), [_answer_text(item) for item in values])
    data[spam.STARTED_FIELD] = body.token
    data[POLICY_FIELD] = body.consent_policy
    for name, value in body.context.items():
        if name in ATTRIBUTION_FIELDS:
            data[f"sp_{name}"] = clean_text(value, 2000)[0]

    result = form_submit(
        form_page,
        data,
        visitor=visitor,
        asset=asset or _asset(body.page_id),
        absolute_url=request.build_absolute_uri,
        confirm=confirm,
    )
    if result.status == "rejected" and result.rejection.reason != "honeypot":
        return SubmissionTaken(Status(result.rejection.status, {"errors": result.errors}))
    if result.status == "invalid":
        return SubmissionTaken(Status(422, {"errors": result.errors}))
    return SubmissionTaken(None, result, visitor, body)


def _answer_text(value) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)[:5000]
    return str(value)


def _schema_errors(error: SchemaError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        name = ".".join(str(part) for part in problem.get("loc", ())) or "__all__"
        errors.setdefault(name, []).append(problem.get("msg", "Invalid value"))
    return errors
