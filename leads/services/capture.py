"""The one way in: every form fill, import row, webhook call and registration is captured here.

1. The raw submission is stored first, in its own transaction: whatever fails later, it is kept
   and can be processed again (`manage.py reprocess_leads`).
2. It is cleaned, with every reason recorded; nothing is deleted.
3. The person and company are resolved, the visitor id linked, the interaction recorded.
"""

import json
import logging
from datetime import timedelta
from ipaddress import ip_address as parse_ip

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leads.cleaning import CleaningRules, clean_lead
from leads.models import Interaction, Lead, LeadStoreSettings

from .identity import person_resolve, valid_visitor_id, visitor_link
from .lifecycle import stage_rules_apply
from .scoring import person_rescore
from .tags import people_tags_from_answers

logger = logging.getLogger(__name__)

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _as_json_text(payload) -> str:
    """The payload as JSON text, whatever it is: unserialisable values become their repr."""
    return json.dumps(payload, ensure_ascii=True, default=repr)


def _safe_ip(value) -> str | None:
    try:
        return str(parse_ip(str(value).strip())) if value else None
    except ValueError:
        return None


def lead_capture(
    *,
    source: str,
    payload,
    fields: dict | None = None,
    origin_type: str = Lead.OriginType.OTHER,
    origin_id: str = "",
    origin_label: str = "",
    origin_topics: list[str] | tuple = (),
    visitor_id: str = "",
    ip_address: str | None = None,
    interaction_type: str = Interaction.Type.FORM_SUBMIT,
    received_at=None,
    processing=None,
) -> Lead:
    """Store a submission, then process it. Never raises for bad input or a failing later step.

    `processing` (optional): (task, kwargs), a caller's own task queued instead of `process_lead`, as
    `task.enqueue(lead_id, **kwargs)` (kwargs may be a function of the stored lead that returns them);
    it must process the lead (`lead_process`) besides its own part (a form's submission row and
    emails), so a burst costs the request one task, not two.

    `payload` is kept exactly as received. `fields` are the same answers under our canonical names
    (email, first_name, last_name, company, job_title, phone, country, industry, employees,
    employee_band, seniority, consent, utm_*, referrer, landing_page); when omitted the payload's own
    keys are read.
    """
    from leads.tasks import process_lead

    task, task_kwargs = processing or (process_lead, {})
    fields = fields if fields is not None else (payload if isinstance(payload, dict) else {})
    raw = {
        "source": source,
        "payload": payload,
        "fields": fields,
        "origin_type": origin_type,
        "origin_id": origin_id,
        "origin_label": origin_label,
        "origin_topics": origin_topics,
        "visitor_id": visitor_id,
        "ip_address": ip_address,
        "received_at": received_at,
        "interaction_type": interaction_type,
    }
    # Everything after the raw insert is enrichment that can wait: a background task (immediate in
    # tests and the demo, the database queue in production), so a burst of registrations costs a
    # request one INSERT of the lead and one of its task. Whatever goes wrong with the queue, the
    # lead is stored, stays "received", and `manage.py reprocess_leads` finishes it.
    backend = task.get_backend()
    if type(backend).__module__.startswith("django_tasks_db"):
        # Lead and task in one transaction: one commit, and a worker sees the task only with its lead.
        with transaction.atomic():
            lead = lead_store_raw(**raw)
            _enqueue_processing(task, lead, task_kwargs)
        return lead
    lead = lead_store_raw(**raw)
    result = _enqueue_processing(task, lead, task_kwargs)
    if result is not None and result.is_finished:  # processed on the spot (immediate backend)
        lead.refresh_from_db()
    return lead


def _enqueue_processing(task, lead, kwargs=None):
    try:
        with transaction.atomic():  # a savepoint: a failing enqueue cannot take the lead with it
            kwargs = kwargs(lead) if callable(kwargs) else kwargs
            return task.enqueue(lead.pk, **(kwargs or {}))
    except Exception:  # the raw lead is stored; reprocessing picks it up
        logger.exception("Could not queue processing of lead %s", lead.pk)
        return None


def lead_store_raw(
    *,
    source,
    payload,
    fields,
    origin_type,
    origin_id,
    origin_label,
    visitor_id,
    ip_address,
    received_at,
    interaction_type=Interaction.Type.FORM_SUBMIT,
    origin_topics=(),
) -> Lead:
    """Step 1: the raw lead, committed on its own."""
    from leads.cleaning import clean_text

    def text(name, limit=255):
        return clean_text(fields.get(name), limit)[0]

    # Autocommit on its own; inside the caller's atomic block when capture shares a transaction.
    return Lead.objects.create(
        source=source if source in Lead.Source.values else Lead.Source.MANUAL,
        origin_type=origin_type if origin_type in Lead.OriginType.values else Lead.OriginType.OTHER,
        origin_id=clean_text(origin_id, 64)[0],
        origin_label=clean_text(origin_label, 255)[0],
        origin_topics=topics_text(origin_topics),
        raw_payload=_as_json_text(payload),
        # The fields as mapped, kept beside the raw payload so reprocessing sees the same input.
        **{name: text(name) for name in UTM_FIELDS},
        referrer=text("referrer", 2000),
        landing_page=text("landing_page", 2000),
        visitor_id=valid_visitor_id(clean_text(visitor_id, 64)[0]),
        interaction_type=clean_text(interaction_type, 40)[0] or Interaction.Type.FORM_SUBMIT,
        ip_address=_safe_ip(ip_address),
        received_at=received_at or timezone.now(),
        mapped_fields=_as_json_text(fields),
    )


def topics_text(topics) -> str:
    """["ai", "banking"] -> ",ai,banking," (what scoring rules match with LIKE); junk is dropped."""
    from django.utils.text import slugify

    slugs = [slugify(str(topic))[:60] for topic in (topics or ())]
    text = ",".join(slug for slug in slugs if slug)
    return f",{text}," if text and len(text) < 498 else ""


def cleaning_rules(settings: LeadStoreSettings | None = None) -> CleaningRules:
    settings = settings or LeadStoreSettings.load()
    return CleaningRules(
        test_patterns=settings.test_pattern_list,
        competitor_domains=settings.competitor_domain_list,
        extra_disposable_domains=settings.extra_disposable_domain_list,
        extra_free_mail_domains=settings.extra_free_mail_domain_list,
    )


def lead_process(lead: Lead) -> Lead:
    """Steps 2 and 3. A failure marks the lead failed (to be reprocessed) and is logged, not raised."""
    fields = json.loads(lead.mapped_fields or "{}")
    fields = fields if isinstance(fields, dict) else {}
    try:
        with transaction.atomic():
            # The lead's row is the claim: a second run (a task taken up again after its worker died, a
            # sweep, `reprocess_leads`) waits here and then finds the lead processed.
            status = Lead.objects.select_for_update().filter(pk=lead.pk).values_list("status", flat=True).first()
            if status not in (Lead.Status.RECEIVED, Lead.Status.FAILED):
                lead.refresh_from_db()
                return lead
            _process(lead, fields, lead.interaction_type)
    except Exception as error:  # the submission is safe; the error is kept on it
        logger.exception("Processing lead %s failed", lead.pk)
        Lead.objects.filter(pk=lead.pk).update(
            status=Lead.Status.FAILED,
            processing_error=f"{type(error).__name__}: {error}"[:2000],
            attempts=F("attempts") + 1,
        )
        lead.refresh_from_db()
    return lead


def _process(lead: Lead, fields: dict, interaction_type: str) -> None:
    settings = LeadStoreSettings.load()  # once per lead: every step below reads it
    cleaned = clean_lead(fields, cleaning_rules(settings))
    person = person_resolve(cleaned) if cleaned.email_key else None

    if person is not None:
        window_start = lead.received_at - timedelta(minutes=settings.duplicate_window_minutes)
        earlier = (
            Lead.objects.filter(
                person=person,
                source=lead.source,
                origin_type=lead.origin_type,
                origin_id=lead.origin_id,
                received_at__gte=window_start,
                received_at__lte=lead.received_at,
                pk__lt=lead.pk,
            )
            .order_by("-received_at")
            .first()
        )
        if earlier is not None:
            cleaned.flag(
                "duplicate",
                f"same person and source as {earlier.lid} within {settings.duplicate_window_minutes} minutes",
            )
        visitor_link(person, lead.visitor_id, at=lead.received_at)
        if not any(flag.code == "duplicate" for flag in cleaned.flags):
            Interaction.objects.create(
                type=interaction_type,
                occurred_at=lead.received_at,
                person=person,
                visitor_id=lead.visitor_id,
                object_type=lead.origin_type,
                object_id=lead.origin_id,
                object_label=lead.origin_label,
                object_topics=lead.origin_topics,
                properties={"source": lead.source, **{k: getattr(lead, k) for k in UTM_FIELDS if getattr(lead, k)}},
                lead=lead,
            )
        if not cleaned.is_junk:  # a form's hidden `tags`, a webhook's or an import's tags (before the rescore)
            people_tags_from_answers([(person.pk, fields.get("tags"))], source=lead.source, at=lead.received_at)
        # New attributes change fit; a new interaction changes interest.
        person_rescore(person, settings=settings)
        if not cleaned.is_junk:
            stage_rules_apply(person, fast_lane_reason=_fast_lane_reason(person, interaction_type), settings=settings)

    lead.person = person
    lead.flags = [flag.as_dict() for flag in cleaned.flags]
    lead.verdict = Lead.Verdict.FLAGGED if cleaned.is_junk else Lead.Verdict.CLEAN
    lead.status = Lead.Status.PROCESSED
    lead.processing_error = ""
    lead.attempts += 1
    lead.processed_at = timezone.now()
    lead.save(update_fields=["person", "flags", "verdict", "status", "processing_error", "attempts", "processed_at"])


def _fast_lane_reason(person, interaction_type) -> str:
    if interaction_type == Interaction.Type.CONTACT_SALES:
        return "asked to contact sales"
    if person.company_id and person.company.is_key_account:
        return f"works at key account {person.company.name}"
    return ""


# A lead still "received" this long after it arrived was never processed: its task was lost (a queue
# outage, a web process killed between the two steps). The queue's own backlog is far shorter.
UNPROCESSED_AFTER = timedelta(minutes=15)
# A lead whose processing failed is tried again, UNPROCESSED_AFTER x 2, 4, 8 ... after it arrived, up
# to this many attempts in all; then it stays "failed" for `manage.py reprocess_leads` after a fix.
MAX_AUTOMATIC_ATTEMPTS = 5
SWEEP_BATCH = 200


def leads_unprocessed_sweep(now=None) -> int:
    """Process the leads whose processing never ran, and retry failed ones (the workers' stale-work
    sweep). Returns how many were processed."""
    now = now or timezone.now()
    stranded = list(
        Lead.objects.filter(status=Lead.Status.RECEIVED, received_at__lt=now - UNPROCESSED_AFTER).order_by("pk")[
            :SWEEP_BATCH
        ]
    )
    failed = Lead.objects.filter(
        status=Lead.Status.FAILED, attempts__lt=MAX_AUTOMATIC_ATTEMPTS, received_at__lt=now - UNPROCESSED_AFTER * 2
    ).order_by("pk")[:SWEEP_BATCH]
    due = [lead for lead in failed if lead.received_at < now - UNPROCESSED_AFTER * 2**lead.attempts]
    for lead in stranded + due:
        lead_process(lead)
    if stranded or due:
        logger.warning(
            "Processed %s captured leads that had never been processed and retried %s that failed",
            len(stranded),
            len(due),
        )
    return len(stranded) + len(due)


def leads_reprocess_failed(*, limit: int | None = None, progress=None) -> dict:
    """Process again every lead whose processing failed (or never ran). Returns counts."""
    pending = Lead.objects.filter(status__in=[Lead.Status.FAILED, Lead.Status.RECEIVED]).order_by("pk")
    if limit:
        pending = pending[:limit]
    counts = {"processed": 0, "failed": 0}
    for lead in pending.iterator(chunk_size=500):
        lead = lead_process(lead)
        counts["processed" if lead.status == Lead.Status.PROCESSED else "failed"] += 1
        if progress:
            progress(counts)
    return counts
