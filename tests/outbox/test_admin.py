"""The Outbox in the admin: who sees it, what each row shows, addresses masked without the personal-data
right, and "Send again" for failed emails (its own permission, POST with a CSRF token, logged)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from outbox.models import OutgoingEmail
from sales.roles import ADMINISTRATOR, EDITOR, MARKETER, roles_ensure

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
ADDRESS = "ana.silva@meridian-bank.de"
LIST, INSPECT, AGAIN = "/admin/outbox/", "/admin/outbox/inspect/{}/", "/admin/outbox/send-again/{}/"


@pytest.fixture
def emails():
    now = timezone.now()
    failed = OutgoingEmail.objects.create(
        kind="forms.confirmation",
        recipients=[ADDRESS],
        subject="Your whitepaper",
        text="Hello Ana, your link",
        status=Status.FAILED,
        attempts=10,
        created_at=now - timedelta(hours=6),
        next_attempt_at=now - timedelta(hours=2),
        last_error=f"SMTPRecipientsRefused: {{'{ADDRESS}': (452, b'4.2.2 Mailbox full')}}",
    )
    sent = OutgoingEmail.objects.create(
        kind="forms.notification",
        recipients=["sales@northwind.example"],
        subject="New contact-sales request",
        text="cfo@meridian-bank.de asked for a demo",
        status=Status.SENT,
        attempts=1,
        created_at=now - timedelta(hours=1),
        sent_at=now - timedelta(hours=1),
    )
    waiting = OutgoingEmail.objects.create(
        kind="events.reminder",
        recipients=["bo@kestrel.example"],
        status=Status.PENDING,
        attempts=2,
        created_at=now - timedelta(minutes=5),
        next_attempt_at=now + timedelta(minutes=4),
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    return {"failed": failed, "sent": sent, "waiting": waiting}


def user_with(django_user_model, username, *, role=None, permissions=()):
    roles_ensure()
    user = django_user_model.objects.create_user(username, f"{username}@signalpage.test", "pw-outbox-123")
    if role:
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=role))
    for label in ("wagtailadmin.access_admin", *permissions):
        app_label, codename = label.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def marketer(django_user_model):
    return user_with(django_user_model, "mia", role=MARKETER)


@pytest.fixture
def operator(django_user_model):
    """Sees the Outbox, may not see addresses nor send again."""
    return user_with(django_user_model, "otto", permissions=["outbox.view_outgoingemail"])


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Who sees it ---------------------------------------------------------------------------------------
def test_administrators_and_marketers_have_the_outbox_and_editors_do_not(django_user_model, emails):
    for role, allowed in ((ADMINISTRATOR, True), (MARKETER, True), (EDITOR, False)):
        client = user_with(django_user_model, role.lower().replace(" ", "_"), role=role)
        home = html(client.get("/admin/"))
        assert ('"/admin/outbox/"' in home) is allowed, role  # the sidebar's menu item
        response = client.get(LIST)
        assert (response.status_code == 200) is allowed, role
        assert (client.get(INSPECT.format(emails["failed"].pk)).status_code == 200) is allowed, role


def test_nobody_adds_edits_or_deletes_an_email_by_hand(admin_client_logged_in, emails):
    pk = emails["sent"].pk
    for url in ("/admin/outbox/new/", f"/admin/outbox/edit/{pk}/", f"/admin/outbox/delete/{pk}/"):
        assert admin_client_logged_in.get(url).status_code in (302, 403), url
    assert admin_client_logged_in.post(f"/admin/outbox/delete/{pk}/").status_code in (302, 403)
    assert OutgoingEmail.objects.filter(pk=pk).exists()


# --- What a row shows ----------------------------------------------------------------------------------
def test_the_list_shows_status_attempts_error_and_next_attempt_newest_first(marketer, emails):
    page = html(marketer.get(LIST))
    positions = [
        page.index(text)
        for text in ("Event: Reminder before the start", "New contact-sales request", "Your whitepaper")
    ]
    assert positions == sorted(positions)  # newest first
    for text in (
        "Failed",
        "Sent",
        "Waiting to be sent",
        "Mailbox full",
        "Connection unexpectedly closed",
        "Next attempt",
        "Attempts",
        ADDRESS,
    ):
        assert text in page, text


def test_filters_by_status_and_kind_and_search_by_subject(marketer, emails):
    page = html(marketer.get(LIST, {"status": "failed"}))
    assert "Your whitepaper" in page and "New contact-sales request" not in page
    page = html(marketer.get(LIST, {"kind": "forms.notification"}))
    assert "New contact-sales request" in page and "Your whitepaper" not in page
    assert "Form: notification to the team" in page  # the kinds the apps registered, by label
    page = html(marketer.get(LIST, {"q": "contact-sales"}))
    assert "New contact-sales request" in page and "Your whitepaper" not in page


def test_the_inspect_view_shows_the_whole_story(marketer, emails):
    page = html(marketer.get(INSPECT.format(emails["failed"].pk)))
    for text in (
        "Form: confirmation to the visitor",
        "Failed",
        "10",
        "Mailbox full",
        ADDRESS,
        "Hello Ana, your link",
        "Send again",
    ):
        assert text in page, text


def test_addresses_are_masked_and_bodies_hidden_without_the_personal_data_right(operator, emails):
    page = html(operator.get(LIST))
    assert ADDRESS not in page and "a***@meridian-bank.de" in page
    assert "Mailbox full" in page  # the error stays, its address masked
    page = html(operator.get(INSPECT.format(emails["sent"].pk)))
    assert "s***@northwind.example" in page and "sales@northwind.example" not in page
    assert "cfo@meridian-bank.de" not in page and "hidden: needs permission" in page
    page = html(operator.get(INSPECT.format(emails["failed"].pk)))
    assert ADDRESS not in page and "a***@meridian-bank.de" in page
    assert "Send again" not in page  # not theirs to do


# --- Send again -------------------------------------------------------------------------------------------
def test_send_again_asks_first_then_sends_the_failed_email_once_and_logs_who(
    marketer, emails, mail_server, django_capture_on_commit_callbacks
):
    failed = emails["failed"]
    confirm = html(marketer.get(AGAIN.format(failed.pk)))
    assert 'method="POST"' in confirm and "csrfmiddlewaretoken" in confirm
    failed.refresh_from_db()
    assert failed.status == Status.FAILED  # a GET changes nothing (a link checker, a prefetch)

    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.post(AGAIN.format(failed.pk))
    assert response.status_code == 302 and response["Location"] == INSPECT.format(failed.pk)
    [received] = mail_server.messages
    assert received.rcpt_tos == [ADDRESS] and received.subject == "Your whitepaper"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.SENT, 1)
    entry = ModelLogEntry.objects.get(action="outbox.send_again")
    assert (entry.object_id, entry.user.username) == (str(failed.pk), "mia")

    with django_capture_on_commit_callbacks(execute=True):
        marketer.post(AGAIN.format(failed.pk))  # sent now: nothing to send again
    assert len(mail_server.messages) == 1


def test_send_again_needs_its_permission(operator, emails, mail_server):
    failed = emails["failed"]
    for response in (operator.get(AGAIN.format(failed.pk)), operator.post(AGAIN.format(failed.pk))):
        assert response.status_code in (302, 403)
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and mail_server.messages == []


def test_send_again_refuses_a_post_without_the_csrf_token(django_user_model, emails):
    client = user_with(django_user_model, "mia", role=MARKETER)
    client.handler.enforce_csrf_checks = True
    assert client.post(AGAIN.format(emails["failed"].pk)).status_code == 403
    assert OutgoingEmail.objects.get(pk=emails["failed"].pk).status == Status.FAILED


def test_only_failed_emails_can_be_sent_again(marketer, emails):
    waiting = emails["waiting"]
    page = html(marketer.get(AGAIN.format(waiting.pk)))
    assert "Only failed emails can be sent again" in page and 'method="POST"' not in page
    marketer.post(AGAIN.format(waiting.pk))
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (Status.PENDING, 2)
    assert "Send again" not in html(marketer.get(INSPECT.format(waiting.pk)))


def test_an_event_email_shows_what_it_is_about(marketer):
    from events.services import registration_create
    from tests.factories import EventFactory

    event = EventFactory(title="RevOps Meetup Berlin", capacity=10)
    registration = registration_create(event, email=ADDRESS, first_name="Ana", last_name="Silva").registration
    email = OutgoingEmail.objects.get(registration=registration)
    page = html(marketer.get(INSPECT.format(email.pk)))
    assert "Event: Registered (confirmation with ticket)" in page
    assert "Registration: Ana Silva at RevOps Meetup Berlin" in page
    assert "(filled in when it is sent)" not in page and ADDRESS in page  # written down with the row
