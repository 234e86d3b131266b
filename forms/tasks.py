"""Background work of the forms app (django-tasks, "background" queue).

Form emails are written to the product's outbox (outbox.services) and sent by its task. This task
stays only for those queued before that change: the database queue stores the task's path, so a
worker may still run it. It puts the message into the outbox, which sends and retries it.
"""

from django_tasks import task


@task(backend="background")
def send_form_email(*, subject: str, body: str, to: list[str], from_email: str | None = None):
    """A confirmation or notification queued before the outbox: into the outbox with it."""
    from forms.services.submission import FORM_EMAIL_BEFORE_OUTBOX
    from outbox.services import outbox_queue

    return outbox_queue(
        FORM_EMAIL_BEFORE_OUTBOX, to=list(to), subject=subject, text=body, from_email=from_email or ""
    ).pk


@task(backend="background")
def form_lead_process(lead_id: int, answer: dict):
    """An accepted form answer, after the request: its submission row, consent record and emails, then
    the lead's own processing (person, company, interaction, score, stage, routing). The request only
    stored the raw lead and queued this (forms.services.submission.form_submit)."""
    from forms.services.submission import form_lead_process_now

    return form_lead_process_now(lead_id, answer)
