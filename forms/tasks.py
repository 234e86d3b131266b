"""Background work of the forms app (django-tasks, "background" queue: emails never slow a submission)."""

from django.core.mail import send_mail
from django_tasks import task


@task(backend="background")
def send_form_email(*, subject: str, body: str, to: list[str], from_email: str | None = None):
    """A confirmation to the visitor or a notification to the team (plain text)."""
    return send_mail(subject[:200], body, from_email, to)
