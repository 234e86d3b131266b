"""Form emails go through the outbox, and a real SMTP server on loopback receives them: the visitor's
confirmation with the download link, the team's notification, both about the lead. A mail server
that is down delays them (the page still shows the link), never loses them; an outbox that cannot
write never costs the lead."""

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone
from freezegun import freeze_time

from forms.models import ConsentRecord, LeadFormSubmission
from leads.models import Lead
from outbox.models import OutgoingEmail
from outbox.services import outbox_sweep
from tests.factories import LeadFormPageFactory
from tests.forms.conftest import submit

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/downloads/[^"]+)"')
Status = OutgoingEmail.Status


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the outbox's delivery tasks), as a real request's commit does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def contact_sales(home_page):
    return LeadFormPageFactory(
        parent=home_page,
        slug="contact-sales",
        title="Contact sales",
        purpose="contact_sales",
        to_address="sales@northwind.example, ops@northwind.example",
        subject="New contact-sales request",
        from_address="forms@northwind.example",
        fields=[
            ("Work email", "email", "email", True, False, ""),
            ("Company", "singleline", "company", True, False, ""),
            ("How can we help?", "multiline", "", True, False, ""),
        ],
    )


def test_the_confirmation_with_the_download_link_reaches_the_mail_server(
    client, whitepaper, consent_policies, mail_server, committing
):
    with committing():
        response = submit(client, whitepaper.url, headers={"CF-IPCountry": "DE"})
    link = LINK.search(response.content.decode()).group(1)
    [received] = mail_server.messages
    assert received.rcpt_tos == ["jana.novak@meridian-bank.de"]
    assert received.subject == whitepaper.gate_form.confirmation_subject
    assert received.text.startswith("Hello Jana,")
    assert f"http://testserver{link}" in received.text
    assert "“RevOps benchmark 2026”" in received.text  # non-ASCII, as the server received it

    lead = Lead.objects.get()
    email = OutgoingEmail.objects.get()
    assert (email.kind, email.about, email.key, email.status) == (
        "forms.confirmation",
        lead,
        "confirmation",
        Status.SENT,
    )


def test_the_team_notification_reaches_every_address_with_the_answers(
    client, contact_sales, consent_policies, mail_server, committing
):
    with committing():
        submit(
            client,
            contact_sales.url,
            {"work_email": "cfo@meridian-bank.de", "company": "Meridian Bank", "how_can_we_help": "A demo for 40 reps"},
        )
    lead = Lead.objects.get()
    [notification] = mail_server.to("sales@northwind.example")
    assert notification.rcpt_tos == ["sales@northwind.example", "ops@northwind.example"]
    assert notification.mail_from == "forms@northwind.example"
    assert notification.subject == "New contact-sales request"
    assert lead.lid in notification.text and "How can we help?: A demo for 40 reps" in notification.text
    email = OutgoingEmail.objects.get(kind="forms.notification")
    assert (email.about, email.status) == (lead, Status.SENT)


def test_a_mail_server_that_is_down_delays_the_confirmation_and_never_loses_it(
    client, whitepaper, consent_policies, mail_server, committing
):
    mail_server.stop()
    with committing():
        response = submit(client, whitepaper.url)
    assert response.status_code == 200 and LINK.search(response.content.decode())  # the visitor has the link
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert "Connection" in email.last_error and email.next_attempt_at > timezone.now()
    assert Lead.objects.count() == 1

    mail_server.start()
    with freeze_time(email.next_attempt_at + timedelta(seconds=1)), committing():
        assert outbox_sweep() == 1
        assert outbox_sweep() == 0
    [received] = mail_server.messages
    assert "/downloads/" in received.text
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)


def test_an_outbox_that_cannot_write_never_costs_the_lead_or_its_consent(
    client, whitepaper, consent_policies, mail_server, committing, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise DatabaseError("the outbox table is locked")

    monkeypatch.setattr("forms.services.submission.outbox_queue", broken)
    with committing():
        response = submit(client, whitepaper.url, headers={"CF-IPCountry": "DE"})
    assert response.status_code == 200 and LINK.search(response.content.decode())
    lead = Lead.objects.get()
    assert LeadFormSubmission.objects.get().lead == lead and ConsentRecord.objects.get().lead == lead
    assert OutgoingEmail.objects.count() == 0 and mail_server.messages == []
    assert f"Writing the emails of {lead.lid} to the outbox failed" in caplog.text


def test_the_emails_are_recorded_with_the_submission_or_not_at_all(
    client, whitepaper, consent_policies, mail_server, committing, monkeypatch
):
    def broken(*args, **kwargs):
        raise DatabaseError("the submissions table is locked")

    monkeypatch.setattr(LeadFormSubmission.objects, "create", broken)
    with committing():
        submit(client, whitepaper.url)
    assert Lead.objects.count() == 1  # the lead is stored first, whatever follows
    assert OutgoingEmail.objects.count() == 0 and mail_server.messages == []


def test_an_email_task_queued_before_the_outbox_goes_through_it(mail_server, committing):
    """forms.tasks.send_form_email may still be in the database queue after the deploy: it still sends."""
    from forms.tasks import send_form_email

    with committing():
        send_form_email.enqueue(
            subject="Thank you",
            body="Hello Ana,\n\nYour PDF: https://x.example/d/1",
            to=["ana@meridian-bank.de"],
            from_email=None,
        )
    [received] = mail_server.messages
    assert received.rcpt_tos == ["ana@meridian-bank.de"] and "Your PDF" in received.text
    email = OutgoingEmail.objects.get()
    assert (email.kind, email.status, email.about) == ("forms.email", Status.SENT, None)
