"""CRM push through a transactional outbox.

The push is written (CrmDelivery) in the same transaction as the stage change, then sent by a
background task: signed with HMAC-SHA256, carrying a stable Idempotency-Key, retried with
exponential backoff, every attempt logged. A CRM that is down delays a push; it never loses one,
and because the key never changes the CRM can always tell a retry from a new lead.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leads.models import CrmDelivery, CrmDeliveryAttempt, Person

MAX_BACKOFF = timedelta(hours=6)


def crm_payload(person: Person, *, event: str) -> dict:
    from .scoring import score_explanation

    company = person.company
    return {
        "event": event,
        "person": {
            "pid": person.pid,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "phone": person.phone,
            "job_title": person.job_title,
            "seniority": person.seniority,
            "country": person.country,
            "consent": person.consent,
            "stage": person.stage,
            "owner": person.owner.email if person.owner_id else None,
        },
        "company": None
        if company is None
        else {
            "cid": company.cid,
            "name": company.name,
            "industry": company.industry,
            "employee_band": company.employee_band,
            "country": company.country,
            "is_key_account": company.is_key_account,
            "domains": list(company.domains.values_list("domain", flat=True)),
        },
        "score": {
            "fit": person.fit_score,
            "interest": person.interest_score,
            "grade": person.grade,
            "explanation": [
                {
                    "rule": line.label,
                    "kind": line.kind,
                    "points": round(line.points, 2),
                    "base_points": line.base_points,
                    "interaction_id": line.interaction_id,
                }
                for line in score_explanation(person)
            ],
        },
        "recent_interactions": [
            {
                "type": i.type,
                "at": i.occurred_at.isoformat(),
                "object_type": i.object_type,
                "object_id": i.object_id,
                "object": i.object_label,
            }
            for i in person.interactions.order_by("-occurred_at")[:20]
        ],
    }


def crm_push_queue(person: Person, *, event: str, transition=None) -> CrmDelivery:
    """Write the push next to the change that caused it; send it once the transaction commits."""
    key = f"{event}-pid{person.pk}-t{transition.pk}" if transition else f"{event}-pid{person.pk}-{time.time_ns()}"
    delivery = CrmDelivery.objects.create(
        person=person,
        event=event,
        idempotency_key=key,
        payload=crm_payload(person, event=event),
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int, run_after=None):
    from leads.tasks import crm_deliver

    task = crm_deliver
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    elif run_after is not None:
        return  # no deferred tasks on this backend: `manage.py deliver_crm_pushes` sends it when due
    task.enqueue(delivery_id)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def crm_deliver(delivery_id: int, *, now=None) -> CrmDelivery:
    """Send one push if it is due. Safe to call twice: a delivered push is never sent again."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = CrmDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != CrmDelivery.Status.PENDING or delivery.next_attempt_at > now:
            return delivery
        if not settings.CRM_WEBHOOK_URL:
            delivery.last_error = "CRM_WEBHOOK_URL is not set: kept until it is"
            delivery.save(update_fields=["last_error"])
            return delivery
        if not (settings.CRM_WEBHOOK_SECRET or "").strip():
            # A signature made with an empty key is one anybody can make (manage.py check says so too).
            delivery.last_error = "CRM_WEBHOOK_SECRET is empty: kept until it is set, never sent unsigned"
            delivery.save(update_fields=["last_error"])
            return delivery
        body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
        request = urllib.request.Request(
            settings.CRM_WEBHOOK_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": delivery.idempotency_key,
                "X-Signalpage-Event": delivery.event,
                "X-Signalpage-Signature": sign(body, settings.CRM_WEBHOOK_SECRET),
                "User-Agent": "signalpage-crm-push/1",
            },
        )
        started = time.perf_counter()
        status_code, error = None, ""
        try:
            with urllib.request.urlopen(request, timeout=settings.CRM_WEBHOOK_TIMEOUT) as response:
                status_code = response.status
        except urllib.error.HTTPError as failure:
            status_code, error = failure.code, f"HTTP {failure.code}: {failure.reason}"
        except (urllib.error.URLError, TimeoutError, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        duration_ms = int((time.perf_counter() - started) * 1000)
        CrmDeliveryAttempt.objects.create(
            delivery=delivery, attempted_at=now, status_code=status_code, error=error[:2000], duration_ms=duration_ms
        )
        delivery.attempts += 1
        if status_code is not None and 200 <= status_code < 300:
            delivery.status, delivery.delivered_at, delivery.last_error = CrmDelivery.Status.DELIVERED, now, ""
        else:
            delivery.last_error = error or f"HTTP {status_code}"
            if delivery.attempts >= settings.CRM_MAX_ATTEMPTS:
                delivery.status = CrmDelivery.Status.GAVE_UP
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
    if delivery.status == CrmDelivery.Status.PENDING:
        _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
    return delivery


# A push's own task runs it when due; one still pending this long after lost its task.
OVERDUE_AFTER = timedelta(minutes=5)


def crm_pushes_sweep(now=None) -> dict:
    """The workers' stale-work sweep: send the pushes whose task was lost (queued after a commit by a
    process that died, a queue outage). Nothing to send while no CRM is configured."""
    if not settings.CRM_WEBHOOK_URL or not (settings.CRM_WEBHOOK_SECRET or "").strip():
        return {}
    return crm_deliver_due(now=now, overdue_by=OVERDUE_AFTER)


def crm_deliver_due(*, now=None, overdue_by: timedelta = timedelta(0)) -> dict:
    """Send every pending push that is due (the sweeper for cron and task backends without defer)."""
    now = now or timezone.now()
    counts = {"delivered": 0, "pending": 0, "gave_up": 0}
    due = CrmDelivery.objects.filter(status=CrmDelivery.Status.PENDING, next_attempt_at__lte=now - overdue_by)
    for delivery_id in due.values_list("pk", flat=True).order_by("pk"):
        delivery = crm_deliver(delivery_id, now=now)
        counts[delivery.status] = counts.get(delivery.status, 0) + 1
    return counts
