"""Double opt-in (issue 17, item 4): where the country's policy asks for it, a form that grants consent sends
a confirmation email with a signed link, and consent counts only once the person confirms. The ledger keeps
the wording, when it was given, and when and how it was confirmed. Countries without it are unchanged."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from campaigns.signing import recipient_token
from forms.models import ConsentPolicy, ConsentRecord
from forms.services.consent import CONFIRM_SALT
from leads.models import Person
from outbox.models import OutgoingEmail
from tests.forms.conftest import EU_TEXT, GOOD_ANSWERS, submit

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"http://testserver(/consent/[^/\s]+/)")
Confirmation = ConsentRecord.Confirmation


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the outbox's delivery), as a real request's commit does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def german_double_opt_in(consent_policies):
    ConsentPolicy.objects.filter(country="DE").update(double_opt_in=True)
    return consent_policies


def german_fill(client, whitepaper, committing, **answers):
    with committing():
        response = submit(
            client,
            whitepaper.url,
            {**GOOD_ANSWERS, "marketing_consent": "on", **answers},
            headers={"CF-IPCountry": "DE"},
        )
    assert response.status_code == 200
    return response


def confirm_path(mail_server) -> str:
    [received] = [item for item in mail_server.messages if "confirm" in item.subject.lower()]
    return CONFIRM_LINK.search(received.text).group(1)


def test_the_shipped_policies_ask_for_double_opt_in_in_germany_austria_and_switzerland():
    policies = dict(ConsentPolicy.objects.values_list("country", "double_opt_in"))
    assert policies["DE"] is policies["AT"] is policies["CH"] is True
    assert policies["FR"] is policies["GB"] is policies["*"] is False


def test_a_german_fill_counts_only_after_the_emailed_link_is_confirmed(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    german_fill(client, whitepaper, committing)

    person = Person.objects.get()
    assert person.consent == "unknown"  # not yet
    [awaiting] = ConsentRecord.objects.all()
    assert (awaiting.granted, awaiting.confirmation, awaiting.text, awaiting.channel) == (
        True,
        Confirmation.AWAITING,
        EU_TEXT,
        "web",
    )
    [received] = [item for item in mail_server.to("jana.novak@meridian-bank.de") if "confirm" in item.subject]
    assert received.subject == "Please confirm that you'd like to hear from us"
    assert received.text.startswith("Hello Jana,") and EU_TEXT in received.text
    path = confirm_path(mail_server)
    email = OutgoingEmail.objects.get(kind="forms.consent_confirmation")
    assert (email.about, email.status) == (awaiting, OutgoingEmail.Status.SENT)

    # The mail scanner (or the person) opens the link: a page with a button, nothing recorded.
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    html = page.content.decode()
    assert "Yes, confirm" in html and 'method="post"' in html
    assert ConsentRecord.objects.count() == 1 and Person.objects.get().consent == "unknown"

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    done = browser.post(path, {"csrfmiddlewaretoken": token}, REMOTE_ADDR="198.51.100.7")
    assert done.status_code == 200 and "Thank you for confirming" in done.content.decode()
    assert Person.objects.get().consent == "granted"
    confirming = ConsentRecord.objects.get(confirms=awaiting)
    assert (confirming.granted, confirming.confirmation, confirming.channel, confirming.text) == (
        True,
        Confirmation.DOUBLE_OPT_IN,
        "email",
        EU_TEXT,
    )
    assert confirming.recorded_at >= awaiting.recorded_at and confirming.ip_address == "198.51.100.7"
    assert confirming.email == awaiting.email and confirming.lead == awaiting.lead

    # A second click confirms nothing more.
    again = browser.post(path, {"csrfmiddlewaretoken": token})
    assert again.status_code == 200 and "Thank you for confirming" in again.content.decode()
    assert ConsentRecord.objects.count() == 2


def test_the_confirm_post_needs_the_pages_csrf_token(client, whitepaper, german_double_opt_in, mail_server, committing):
    german_fill(client, whitepaper, committing)
    response = Client(enforce_csrf_checks=True).post(confirm_path(mail_server))
    assert response.status_code == 403
    assert ConsentRecord.objects.count() == 1 and Person.objects.get().consent == "unknown"


def test_an_unticked_box_under_double_opt_in_sends_no_confirmation(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    german_fill(client, whitepaper, committing, marketing_consent="")
    record = ConsentRecord.objects.get()
    assert (record.granted, record.confirmation) == (False, Confirmation.NOT_REQUIRED)
    assert not OutgoingEmail.objects.filter(kind="forms.consent_confirmation").exists()


def test_a_us_fill_is_unchanged_consent_at_once_and_no_confirmation(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    with committing():
        submit(client, whitepaper.url, {**GOOD_ANSWERS, "country": "US"}, headers={"CF-IPCountry": "US"})
    record = ConsentRecord.objects.get()
    assert (record.granted, record.confirmation, record.policy_country) == (True, Confirmation.NOT_REQUIRED, "US")
    assert Person.objects.get().consent == "granted"
    assert not OutgoingEmail.objects.filter(kind="forms.consent_confirmation").exists()
    assert all("confirm" not in item.subject.lower() for item in mail_server.messages)


def test_a_german_fill_without_double_opt_in_keeps_todays_single_opt_in(
    client, whitepaper, consent_policies, mail_server, committing
):
    german_fill(client, whitepaper, committing)
    assert ConsentRecord.objects.get().confirmation == Confirmation.NOT_REQUIRED
    assert Person.objects.get().consent == "granted"
    assert not OutgoingEmail.objects.filter(kind="forms.consent_confirmation").exists()


def test_confirming_after_an_unsubscribe_grants_again(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    german_fill(client, whitepaper, committing)
    Person.objects.update(consent="withdrawn")
    path = confirm_path(mail_server)
    client.get(path)
    client.post(path)
    assert Person.objects.get().consent == "granted"


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "",
        "x" * 5000,
        "<script>alert(1)</script>",
        "'; DROP TABLE leadforms_consentrecord; --",
    ],
)
def test_tampered_links_are_refused_and_record_nothing(
    client, whitepaper, german_double_opt_in, mail_server, committing, token
):
    german_fill(client, whitepaper, committing)
    for method in (client.get, client.post):
        response = method(f"/consent/{token}/") if token else method("/consent/%20/")
        assert response.status_code == 404
    assert ConsentRecord.objects.count() == 1 and Person.objects.get().consent == "unknown"


def test_a_link_with_one_character_changed_or_signed_for_something_else_is_refused(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    german_fill(client, whitepaper, committing)
    path = confirm_path(mail_server)
    token = path.split("/")[2]
    record = ConsentRecord.objects.get()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_purpose = recipient_token(record.pk, "confirm")  # campaigns' salt, not forms'
    other_record = signing.dumps(record.pk + 1, salt=CONFIRM_SALT)  # authentic, but no such decision
    for bad in (flipped, other_purpose, other_record, signing.dumps("1", salt=CONFIRM_SALT)):
        assert client.post(f"/consent/{bad}/").status_code == 404
    assert ConsentRecord.objects.count() == 1 and Person.objects.get().consent == "unknown"


def test_a_link_for_a_decision_that_needed_no_confirmation_confirms_nothing(client, consent_policies, whitepaper):
    submit(client, whitepaper.url, {**GOOD_ANSWERS, "marketing_consent": "on"}, headers={"CF-IPCountry": "DE"})
    record = ConsentRecord.objects.get()  # single opt-in: not awaiting
    token = signing.dumps(record.pk, salt=CONFIRM_SALT)
    assert client.post(f"/consent/{token}/").status_code == 404
    assert ConsentRecord.objects.count() == 1


def test_an_expired_link_says_so_and_records_nothing(client, whitepaper, german_double_opt_in, mail_server, committing):
    german_fill(client, whitepaper, committing)
    path = confirm_path(mail_server)
    with freeze_time(timezone.now() + timedelta(days=31)):
        response = client.post(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert ConsentRecord.objects.count() == 1 and Person.objects.get().consent == "unknown"


def test_hostile_names_stay_text_in_the_email_and_the_page(
    client, whitepaper, german_double_opt_in, mail_server, committing
):
    whitepaper.gate_form.title = "<script>alert('x')</script>"
    whitepaper.gate_form.save_revision().publish()
    german_fill(client, whitepaper, committing, first_name="<b>Jana</b>")
    [received] = [item for item in mail_server.messages if "confirm" in item.subject]
    assert received.html is None and received.text.startswith("Hello <b>Jana</b>,")  # plain text only
    html = client.get(confirm_path(mail_server)).content.decode()
    assert "<script>alert('x')</script>" not in html and "&lt;script&gt;" in html
