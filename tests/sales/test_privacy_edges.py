"""Where personal data and the audit trail could slip out around the sales screens themselves:
Wagtail's Site history, a lead's cleaning reasons, a shared saved filter, history and usage pages,
and query strings Python reads as digits but int() does not ("²")."""

import re

import pytest
from django.test import Client

from sales.roles import SALES_REP
from tests.factories.leads import LeadFactory

pytestmark = pytest.mark.django_db


def site_history_csv(client) -> str:
    response = client.get("/admin/reports/site-history/?export=csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def test_site_history_keeps_the_audit_trail_and_people_for_auditors(client, org, book):
    erin1 = book["erin1"]
    manager = Client()
    manager.force_login(org["mona"])
    assert manager.get(f"/admin/leads/person/inspect/{book['rita1'].pk}/").status_code == 200
    admin = Client()
    admin.force_login(org["ada"])
    edited = admin.post(
        f"/admin/leads/person/edit/{erin1.pk}/",
        {
            "first_name": "Erin Changed",
            "last_name": erin1.last_name,
            "phone": erin1.phone,
            "job_title": "",
            "seniority": "",
            "country": "DE",
            "company": erin1.company_id,
            "consent": "unknown",
            "owner": org["erin"].pk,
        },
    )
    assert edited.status_code == 302

    client.force_login(org["rita"])
    rita_sees = site_history_csv(client)
    assert "View profile" not in rita_sees and erin1.email not in rita_sees
    assert client.get("/admin/reports/site-history/").status_code == 200  # the report itself still works
    ada_sees = site_history_csv(admin)
    assert "View profile" in ada_sees and erin1.email in ada_sees


def test_a_leads_cleaning_reasons_never_quote_a_masked_address(client, org, book):
    lead = LeadFactory(
        person=book["rita1"],
        verdict="flagged",
        landing_page="https://x.example/wp?email=r@x.example",
        flags=[{"code": "invalid_email", "reason": "email 'rita.secret@acme' is not valid"}],
        processing_error="could not parse 'rita.secret@acme'",
    )
    client.force_login(org["rita"])
    html = client.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()
    assert "rita.secret@acme" not in html and "r@x.example" not in html
    assert "invalid_email" in html and "https://x.example/wp" in html
    client.force_login(org["mona"])
    assert "rita.secret@acme" in client.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()


def test_a_filter_searching_for_an_address_cannot_be_shared(client, org, book):
    client.force_login(org["mona"])
    response = client.post(
        "/admin/sales/saved-filters/create/",
        {"name": "Rita's lead", "list_name": "people", "query": f"q={book['rita1'].email}", "is_shared": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["is_shared"][0].message == (
        "A filter that searches for an email address can't be shared."
    )
    private = client.post(
        "/admin/sales/saved-filters/create/",
        {"name": "Rita's lead", "list_name": "people", "query": f"q={book['rita1'].email}"},
    )
    assert private.status_code == 302


@pytest.mark.parametrize("page", ["history", "usage"])
def test_history_and_usage_pages_are_scoped_like_the_profile(client, make_role_user, book, page):
    fixer = make_role_user(
        "fixer", SALES_REP, team="Inbound", extra_permissions=["leads.change_person", "leads.change_company"]
    )
    client.force_login(fixer)
    assert client.get(f"/admin/leads/person/{page}/{book['erin1'].pk}/").status_code == 404
    assert client.get(f"/admin/leads/person/copy/{book['erin1'].pk}/").status_code == 404


@pytest.mark.parametrize(
    "url,status",
    [
        ("/admin/leads/person/?owner=%C2%B2", 200),  # the list shows, the filter says it is not valid
        ("/admin/leads/company/?owner=%C2%B2", 200),
        ("/admin/leads/lead/?owner=%C2%B2", 200),
        ("/admin/sales/exports/new/?list=people&owner=%C2%B2", 400),  # an export refuses it, naming the filter
        ("/admin/sales/lead-lists/?q=%C2%B2", 200),
    ],
)
def test_superscript_digits_are_a_bad_value_not_a_crash(client, org, book, url, status):
    client.force_login(org["ada"])
    response = client.get(url)
    assert response.status_code == status
    if status == 400:  # named in the error itself ("Owner" is also a column of the export form)
        assert re.search(r'role="alert">Owner: Choose an owner', response.content.decode())
