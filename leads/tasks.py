"""Background work of the lead store (django-tasks, on the "background" queue)."""

from django_tasks import task


@task(backend="background")
def rescore_everyone():
    """The nightly rescore: enqueue it from a scheduler (cron, a platform scheduler) once a day."""
    from leads.services import people_rescore_all

    return people_rescore_all()["people scored"]


@task(backend="background")
def crm_deliver(delivery_id: int):
    """Send one CRM push (retries re-enqueue themselves with backoff where the backend can defer)."""
    from leads.services.crm import crm_deliver as deliver

    return deliver(delivery_id).status


@task(backend="background")
def process_lead(lead_id: int):
    """Clean, resolve, record, score, route one captured lead (its raw submission is already stored)."""
    from leads.models import Lead
    from leads.services.capture import lead_process

    lead = Lead.objects.filter(pk=lead_id, status__in=[Lead.Status.RECEIVED, Lead.Status.FAILED]).first()
    return lead_process(lead).status if lead else "already processed"


@task(backend="background")
def page_views_write():
    """Write the page views buffered since the last flush (leads.behaviour)."""
    from leads.behaviour import page_views_flush

    return page_views_flush()["written"]


@task(backend="background")
def visitor_history_join_task(person_id: int, visitor_id: str, at: str):
    """A tracked link identified a browser: its anonymous history joins the person (visitor_history)."""
    from datetime import datetime

    from leads.services.visitor_history import visitor_history_join_now

    return visitor_history_join_now(person_id=person_id, visitor_id=visitor_id, at=datetime.fromisoformat(at))
