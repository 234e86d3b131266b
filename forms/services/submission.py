"""One form, one visitor: what happens to an answer (what to ask is in visitor_form.py).

The same functions serve the HTML page (with or without htmx) and the JSON API, so the rules
(progressive profiling, consent by country, spam, field mapping, capture) cannot drift apart.
"""

import datetime
import logging
from dataclasses import dataclass

from django import forms as django_forms
from django.conf import settings
from django.db import transaction

from forms.models import FieldMapping, FormPurpose, LeadFormPage, LeadFormSubmission
from leads.request_facts import ATTRIBUTION_FIELDS
from leads.services import lead_capture
from outbox import kinds
from outbox.services import outbox_queue

from . import spam
from .consent import (
    CONSENT_CONFIRMATION,
    AppliedPolicy,
    confirmation_path,
    confirmation_queue,
    consent_record,
    policy_from_token,
)
from .downloads import DownloadGrant, download_path
from .visitor_form import CONSENT_FIELD, POLICY_FIELD, FormPlan, GatedAsset, Visitor, form_fields, form_plan

logger = logging.getLogger(__name__)

INTERACTION_FOR_PURPOSE = {
    FormPurpose.GATE: "content_download",
    FormPurpose.CONTACT_SALES: "contact_sales",
    FormPurpose.REGISTRATION: "event_registered",
    FormPurpose.GENERAL: "form_submit",
}


@dataclass
class SubmitResult:
    status: str  # "accepted", "invalid" or "rejected"
    form: django_forms.Form | None = None
    rejection: spam.Rejection | None = None
    lead: object = None
    submission: LeadFormSubmission | None = None
    download_path: str = ""

    @property
    def errors(self) -> dict[str, list[str]]:
        if self.rejection is not None:
            return {"__all__": [self.rejection.message]}
        if self.form is None:
            return {}
        return {name: [str(message) for message in messages] for name, messages in self.form.errors.items()}


def _plain(value):
    """A cleaned value as JSON-friendly text (dates, decimals, lists of choices)."""
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _field_text(value) -> str:
    value = _plain(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _raw_email(form_page, plan, data) -> str:
    for form_field in plan.fields:
        if form_field.maps_to == FieldMapping.EMAIL:
            value = data.get(form_field.clean_name)
            return value if isinstance(value, str) else ""
    return plan.skipped.get(next((f.clean_name for f in form_fields(form_page) if f.maps_to == "email"), ""), "")


def form_submit(
    form_page: LeadFormPage,
    data,
    *,
    visitor: Visitor,
    asset: GatedAsset | None = None,
    absolute_url=lambda path: path,
    confirm: bool = True,
) -> SubmitResult:
    """Check, validate, capture. Spam never becomes a lead; a valid answer is stored before anything else.

    The steps, in order: limits and honeypot (`_early_rejection`), the form and its consent wording
    (`_consent_policy`), validation, the timing token, then `lead_fields`, `_capture` and `_record`."""
    plan = form_plan(form_page, visitor)
    payload = _payload(data)
    email_given = _raw_email(form_page, plan, data)

    def reject(rejection):
        spam.rejection_log(
            rejection,
            form_page=form_page,
            channel=visitor.channel,
            ip_address=visitor.ip_address,
            email=email_given if isinstance(email_given, str) else "",
            payload=payload,
        )
        return SubmitResult("rejected", form=None, rejection=rejection)

    rejection = _early_rejection(data, visitor, email_given)
    if rejection is not None:
        return reject(rejection)
    form = form_page.get_form(data, plan=plan, default_country=visitor.country, auto_id="id_%s")
    policy, problem = _consent_policy(plan, data, form)
    if problem is not None:
        return problem
    if not form.is_valid():
        return SubmitResult("invalid", form=form)
    rejection = spam.check_started_token(data.get(spam.STARTED_FIELD) or "", form_page.pk)
    if rejection is not None:
        return reject(rejection)

    fields, answers = lead_fields(form_page, plan, form.cleaned_data, visitor=visitor, policy=policy)
    lead = _capture(form_page, payload, fields, visitor=visitor, asset=asset)
    path = ""
    if asset is not None and asset.document_id:
        path = download_path(
            DownloadGrant(
                document_id=asset.document_id, object_id=asset.object_id, lead_id=lead.pk, topics=asset.topics
            )
        )
    submission = _record(
        form_page,
        form,
        fields,
        answers,
        lead=lead,
        visitor=visitor,
        asset=asset,
        policy=policy,
        path=path,
        absolute_url=absolute_url,
        confirm=confirm,
    )
    return SubmitResult("accepted", form=form, lead=lead, submission=submission, download_path=path)


def _payload(data) -> dict:
    """The answer as it came (lists kept for repeated keys), for the raw lead and the spam log."""
    return {
        key: (data.getlist(key) if hasattr(data, "getlist") and len(data.getlist(key)) > 1 else data.get(key))
        for key in data
        if key != "csrfmiddlewaretoken"
    }


def _early_rejection(data, visitor: Visitor, email_given) -> spam.Rejection | None:
    # Every attempt counts towards the limits; the timing token is judged only on a complete answer,
    # so a person who presses Send on an empty form at once sees what is missing, not a spam warning.
    return spam.check_honeypot(data.get(spam.HONEYPOT_FIELD)) or spam.check_rate_limits(
        ip_address=visitor.ip_address, email=email_given
    )


def _consent_policy(plan: FormPlan, data, form) -> tuple[AppliedPolicy | None, SubmitResult | None]:
    """The consent wording the visitor saw, or the form to show again when it changed meanwhile."""
    if plan.consent is None:
        return None, None
    token = data.get(POLICY_FIELD) or ""
    # The usual case: the wording the plan has just looked up (no second query for it).
    policy = plan.consent if token == plan.consent.token else policy_from_token(token)
    if policy is None:
        # The wording changed while the form was open (or the field was forged): show the new text.
        form.is_valid()
        form.add_error(None, "The consent wording has just been updated. Please read it and send the form again.")
        return None, SubmitResult("invalid", form=form)
    return policy, None


def lead_fields(
    form_page: LeadFormPage, plan: FormPlan, cleaned: dict, *, visitor: Visitor, policy: AppliedPolicy | None
) -> tuple[dict, dict]:
    """(the lead's mapped fields, the custom answers) from a valid answer, known answers and attribution."""
    fields, answers = {}, {}
    for form_field in form_fields(form_page):
        name = form_field.clean_name
        if form_field.is_tags_field:  # the form's own tags, as the marketer set them (forms.models.TAGS_FIELD)
            if form_field.default_value.strip():
                fields["tags"] = form_field.default_value
            continue
        if name in plan.skipped:
            fields[form_field.maps_to] = plan.skipped[name]
        elif name in cleaned:
            if form_field.maps_to:
                fields[form_field.maps_to] = _field_text(cleaned[name])
            else:
                answers[form_field.label] = _plain(cleaned[name])
    if "email" not in fields and visitor.known_answers.get("email"):
        fields["email"] = visitor.known_answers["email"]  # a known visitor answering only new questions
    for name in ATTRIBUTION_FIELDS:
        value = cleaned.get(f"sp_{name}") or visitor.attribution.get(name) or ""
        if value:
            fields[name] = value
    ticked = bool(cleaned.get(CONSENT_FIELD))
    # Under double opt-in the person's consent waits for the emailed link (consent.consent_confirm).
    if policy is not None and policy.granted(ticked) and not policy.awaits_confirmation(ticked):
        fields["consent"] = "granted"
    if answers:
        fields["answers"] = answers
    return fields, answers


def _capture(form_page: LeadFormPage, payload: dict, fields: dict, *, visitor: Visitor, asset: GatedAsset | None):
    """The lead, stored and processed by the lead store, with what the form was filled in for."""
    origin = (
        {
            "origin_type": asset.object_type,
            "origin_id": asset.object_id,
            "origin_label": asset.label,
            "origin_topics": asset.topics,
        }
        if asset is not None
        else {"origin_type": "form", "origin_id": str(form_page.pk), "origin_label": form_page.title}
    )
    return lead_capture(
        source="form",
        payload=payload,
        fields=fields,
        visitor_id=visitor.visitor_id,
        ip_address=visitor.ip_address,
        interaction_type=INTERACTION_FOR_PURPOSE.get(form_page.purpose, "form_submit"),
        **origin,
    )


def stored_answers(cleaned: dict) -> dict:
    """What Wagtail's submission row keeps of an answer: the questions, not our hidden extras."""
    return {k: _plain(v) for k, v in cleaned.items() if not k.startswith("sp_") and k not in (spam.HONEYPOT_FIELD,)}


def _record(form_page, form, fields, answers, *, lead, visitor, asset, policy, path, absolute_url, confirm):
    """The submission row, the consent record and the emails, after the lead is stored.

    Committed together (the emails in the outbox, sent and retried from there); a failure here is
    logged with the lead, never loses it. Returns the submission row, or None when it failed."""
    submission = None
    try:
        with transaction.atomic():
            submission = form_page.process_form_submission(
                form, lead=lead, visitor_id=visitor.visitor_id, context_label=asset.label if asset else ""
            )
            if policy is not None:
                record = consent_record(
                    policy=policy,
                    ticked=bool(form.cleaned_data.get(CONSENT_FIELD)),
                    country=fields.get("country") or visitor.country,
                    lead=lead,
                    email=fields.get("email", ""),
                    visitor_id=visitor.visitor_id,
                    form_page=form_page,
                    channel=visitor.channel,
                    ip_address=visitor.ip_address,
                )
                _ask_for_confirmation(record, fields, form_page=form_page, absolute_url=absolute_url, lead=lead)
            # confirm=False: the caller sends its own confirmation (an event's, with the ticket).
            _send_emails(
                form_page,
                fields,
                answers,
                asset=asset,
                link=absolute_url(path) if path else "",
                lead=lead,
                confirm=confirm,
            )
    except Exception:  # the lead is safe; the bookkeeping can be rebuilt from it
        logger.exception("Recording the form submission of %s failed", lead.lid)
    return submission


FORM_CONFIRMATION, FORM_NOTIFICATION = "forms.confirmation", "forms.notification"
FORM_EMAIL_BEFORE_OUTBOX = "forms.email"  # queued by forms.tasks.send_form_email (tasks from before the outbox)


def _ask_for_confirmation(record, fields, *, form_page, absolute_url, lead):
    """Double opt-in: the email with the confirmation link (even when the form sends no confirmation of
    its own, as events' forms do). In a savepoint: an outbox that cannot write costs neither the lead nor
    its consent record, and the log names the lead."""
    if record.confirmation != record.Confirmation.AWAITING or not record.email:
        return
    try:
        with transaction.atomic():
            confirmation_queue(
                record,
                link=absolute_url(confirmation_path(record)),
                first_name=fields.get("first_name", ""),
                from_email=form_page.from_address,
            )
    except Exception:
        logger.exception("Writing the consent confirmation of %s to the outbox failed", lead.lid)


def email_kinds_register() -> None:
    """The forms' kinds of email in the outbox (LeadFormsConfig.ready): they carry their message, no builder."""
    kinds.register(CONSENT_CONFIRMATION, "Consent: double opt-in confirmation")
    kinds.register(FORM_CONFIRMATION, "Form: confirmation to the visitor")
    kinds.register(FORM_NOTIFICATION, "Form: notification to the team")
    kinds.register(FORM_EMAIL_BEFORE_OUTBOX, "Form: email queued before the outbox")


def _send_emails(form_page, fields, answers, *, asset, link, lead, confirm=True):
    """The visitor's confirmation (with the download link) and the team's notification, written to the
    outbox about the lead, in the caller's transaction: sent once it commits, retried until the mail
    server takes them. In a savepoint of their own: if the outbox cannot write, the submission and its
    consent record are still stored (and the failure is logged with the lead's id)."""
    confirmation = confirm and form_page.send_confirmation and fields.get("email")
    team = [address.strip() for address in (form_page.to_address or "").split(",") if address.strip()]
    if not confirmation and not team:
        return
    try:
        with transaction.atomic():
            if confirmation:
                lines = [f"Hello {fields.get('first_name') or 'there'},", ""]
                if form_page.confirmation_text:
                    lines += [form_page.confirmation_text, ""]
                if link:
                    days = max(1, settings.GATED_DOWNLOAD_MAX_AGE // 86400)
                    lines += [
                        f"Here is your copy of “{asset.label}”:",
                        link,
                        "",
                        f"The link is personal and works for {days} day{'s' if days > 1 else ''}.",
                    ]
                outbox_queue(
                    FORM_CONFIRMATION,
                    about=lead,
                    key="confirmation",
                    to=[fields["email"]],
                    subject=form_page.confirmation_subject or form_page.title,
                    text="\n".join(lines),
                    from_email=form_page.from_address,
                )
            if team:
                summary = [f"{lead.lid} from “{form_page.title}”" + (f" for “{asset.label}”" if asset else ""), ""]
                summary += [f"{key}: {value}" for key, value in fields.items() if key != "answers"]
                summary += [f"{key}: {_field_text(value)}" for key, value in answers.items()]
                outbox_queue(
                    FORM_NOTIFICATION,
                    about=lead,
                    key="notification",
                    to=team,
                    subject=form_page.subject or f"New submission: {form_page.title}",
                    text="\n".join(summary),
                    from_email=form_page.from_address,
                )
    except Exception:  # the lead and the submission are kept; the log names the lead
        logger.exception("Writing the emails of %s to the outbox failed", lead.lid)
