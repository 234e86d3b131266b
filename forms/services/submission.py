"""One form, one visitor: what happens to an answer (what to ask is in visitor_form.py).

The same functions serve the HTML page (with or without htmx) and the JSON API, so the rules
(progressive profiling, consent by country, spam, field mapping, capture) cannot drift apart.
"""

import datetime
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from urllib.parse import urljoin

from django import forms as django_forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from forms.models import FieldMapping, FormPurpose, LeadFormPage, LeadFormSubmission
from leads.models import Lead
from leads.request_facts import ATTRIBUTION_FIELDS
from leads.services import lead_capture, lead_process
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
    key = _answer_key(form_page, visitor, payload)
    earlier = _answer_claim(key)
    if earlier is not None:  # the same answer again (a double click, a resent POST): the first one's outcome
        return SubmitResult("accepted", lead=earlier[0], download_path=earlier[1])
    answer = {
        "form_page_id": form_page.pk,
        "stored_answers": stored_answers(form.cleaned_data),
        "visitor_id": visitor.visitor_id,
        "country": fields.get("country") or visitor.country,
        "channel": visitor.channel,
        "ip_address": visitor.ip_address,
        "policy": asdict(policy) if policy is not None else None,
        "ticked": bool(form.cleaned_data.get(CONSENT_FIELD)),
        "asset_label": asset.label if asset is not None else None,
        "site_root": absolute_url("/"),
        "confirm": confirm,
    }

    def task_kwargs(lead):  # once the lead has its id: the link the response and the email both give
        answer["download_path"] = _download_path(lead, asset)
        return {"answer": answer}

    try:
        lead = _capture(form_page, payload, fields, visitor=visitor, asset=asset, task_kwargs=task_kwargs)
    except Exception:
        _answer_release(key)  # nothing was stored: the same answer sent again is new, not waited for
        raise
    path = answer.get("download_path", "")
    _answer_remember(key, lead.pk, path)
    return SubmitResult("accepted", form=form, lead=lead, download_path=path)


def _download_path(lead, asset) -> str:
    """The signed link to the gated document for this lead ("" when nothing is gated)."""
    if asset is None or not asset.document_id:
        return ""
    grant = DownloadGrant(
        document_id=asset.document_id, object_id=asset.object_id, lead_id=lead.pk, topics=asset.topics
    )
    return download_path(grant)


# --- The same answer twice --------------------------------------------------------------------
# A double click or a browser resending the POST sends the very same answer (the same signed "shown at"
# token, the same visitor, the same values): it is one lead, and the second response is the first's.
# Claimed in the cache (Redis in production, shared by every web process) before the lead is stored.
# A changed value is a new answer; a claim whose lead never arrives (its request died) is waited for
# only briefly, then the answer is stored anyway: a lost answer is worse than a duplicate one.
ANSWER_SEEN_SECONDS = 600
ANSWER_WAIT_SECONDS = 2.0
_PENDING = "pending"


def _answer_key(form_page, visitor, payload) -> str:
    text = json.dumps([form_page.pk, visitor.visitor_id, payload], sort_keys=True, ensure_ascii=True, default=repr)
    return "forms:answer:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _answer_claim(key: str) -> tuple[Lead, str] | None:
    """None when this answer is new (now claimed), else the lead the same answer made and its link."""
    try:
        if cache.add(key, _PENDING, ANSWER_SEEN_SECONDS):
            return None
        deadline = time.monotonic() + ANSWER_WAIT_SECONDS
        seen = cache.get(key)
        while seen == _PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = cache.get(key)
    except Exception:  # no cache: every answer counts as new
        logger.exception("Checking a form answer for a double submit failed")
        return None
    if not isinstance(seen, list | tuple) or len(seen) != 2:  # still pending, or gone from the cache
        return None
    lead = Lead.objects.filter(pk=seen[0]).first()
    return (lead, seen[1]) if lead is not None else None


def _answer_release(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.exception("Releasing a form answer's claim failed")


def _answer_remember(key: str, lead_id: int, download_path: str) -> None:
    try:
        cache.set(key, [lead_id, download_path], ANSWER_SEEN_SECONDS)
    except Exception:
        logger.exception("Remembering a form answer failed")


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


def _capture(
    form_page: LeadFormPage, payload: dict, fields: dict, *, visitor: Visitor, asset: GatedAsset | None, task_kwargs
):
    """The raw lead, stored with its task (forms.tasks.form_lead_process, which records the answer)."""
    from forms.tasks import form_lead_process

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
        processing=(form_lead_process, task_kwargs),
        **origin,
    )


def stored_answers(cleaned: dict) -> dict:
    """What Wagtail's submission row keeps of an answer: the questions, not our hidden extras."""
    return {k: _plain(v) for k, v in cleaned.items() if not k.startswith("sp_") and k not in (spam.HONEYPOT_FIELD,)}


def form_lead_process_now(lead_id: int, answer: dict) -> str:
    """The task's body (forms.tasks.form_lead_process): the answer's bookkeeping, then the lead's own
    processing. Safe to run again (a worker that died mid-task): each part finds its work done."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return "no such lead"
    _record(lead, answer)
    if lead.status in (Lead.Status.RECEIVED, Lead.Status.FAILED):
        lead = lead_process(lead)
    return lead.status


def _record(lead, answer: dict) -> None:
    """The submission row, the consent record and the emails of an accepted answer.

    Committed together (the emails in the outbox, sent and retried from there), once per lead: the
    lead's row is the claim. A failure here is logged with the lead, never loses it."""
    try:
        with transaction.atomic():
            Lead.objects.select_for_update().filter(pk=lead.pk).values_list("pk").first()
            if LeadFormSubmission.objects.filter(lead=lead).exists():
                return
            form_page = LeadFormPage.objects.filter(pk=answer["form_page_id"]).first()
            if form_page is None:  # deleted since: the lead keeps the raw answer
                return
            fields = json.loads(lead.mapped_fields or "{}")
            label = answer.get("asset_label")
            form_page.process_form_submission(
                # Wagtail's hook reads only the cleaned data, stored as the request saw it.
                SimpleNamespace(cleaned_data=answer["stored_answers"]),
                lead=lead,
                visitor_id=answer["visitor_id"],
                context_label=label or "",
            )
            absolute_url = lambda path: urljoin(answer.get("site_root") or "/", path)  # noqa: E731
            if answer.get("policy") is not None:
                record = consent_record(
                    policy=AppliedPolicy(**answer["policy"]),
                    ticked=answer["ticked"],
                    country=answer["country"],
                    lead=lead,
                    email=fields.get("email", ""),
                    visitor_id=answer["visitor_id"],
                    form_page=form_page,
                    channel=answer["channel"],
                    ip_address=answer["ip_address"],
                )
                _ask_for_confirmation(record, fields, form_page=form_page, absolute_url=absolute_url, lead=lead)
            # confirm=False: the caller sends its own confirmation (an event's, with the ticket).
            path = answer.get("download_path") or ""
            _send_emails(
                form_page,
                fields,
                fields.get("answers") or {},
                asset=SimpleNamespace(label=label) if label is not None else None,
                link=absolute_url(path) if path else "",
                lead=lead,
                confirm=answer["confirm"],
            )
    except Exception:  # the lead is safe; the bookkeeping can be rebuilt from it
        logger.exception("Recording the form submission of %s failed", lead.lid)


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
