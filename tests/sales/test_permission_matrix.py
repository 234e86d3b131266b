"""Each role against each list, profile, action and export of the sales workspace, by direct URL.

Rita and Ravi are reps in team Inbound, Erin a rep in Enterprise, Mona the Inbound manager, Mark a
marketer, Eddie an editor, Ada an administrator (tests/sales/conftest.py). "refused" is Wagtail's
answer to a missing permission (a redirect to the dashboard); "hidden" is a 404, the same answer as
for an id that does not exist, so nobody learns that somebody else's person exists.
"""

import json

import pytest

from tests.factories.leads import CompanyFactory

pytestmark = pytest.mark.django_db

OK, REFUSED, HIDDEN = 200, "refused", 404
ROLES = ["rita", "mona", "mark", "eddie", "ada"]


def outcome(response):
    if (
        response.status_code == 302
        and response["Location"].startswith("/admin/")
        and "/login/" not in response["Location"]
    ):
        return REFUSED
    return response.status_code


def urls(book):
    from tests.factories.leads import LeadFactory

    rita1, erin1 = book["rita1"], book["erin1"]
    rita_lead = LeadFactory(person=rita1, raw_payload=json.dumps({"email": rita1.email}))
    erin_lead = LeadFactory(person=erin1, raw_payload=json.dumps({"email": erin1.email}))
    enterprise_only = CompanyFactory(name="Enterprise Only AG")
    erin1.company = enterprise_only
    erin1.save()
    return {
        "people list": "/admin/leads/person/",
        "companies list": "/admin/leads/company/",
        "leads list": "/admin/leads/lead/",
        "own team's person": f"/admin/leads/person/inspect/{rita1.pk}/",
        "other team's person": f"/admin/leads/person/inspect/{erin1.pk}/",
        "own team's lead": f"/admin/leads/lead/inspect/{rita_lead.pk}/",
        "other team's lead": f"/admin/leads/lead/inspect/{erin_lead.pk}/",
        "other team's company": f"/admin/leads/company/inspect/{enterprise_only.pk}/",
        "edit other team's person": f"/admin/leads/person/edit/{erin1.pk}/",
        "sales feedback, own team": f"/admin/leads/person/sales-feedback/{rita1.pk}/",
        "sales feedback, other team": f"/admin/leads/person/sales-feedback/{erin1.pk}/",
        "export people": "/admin/sales/exports/new/?list=people",
        "lead lists": "/admin/sales/lead-lists/",
        "saved filters": "/admin/sales/saved-filters/",
        "audit log": "/admin/sales/audit-log/",
    }


EXPECTED = {
    #                               rita     mona     mark     eddie    ada
    "people list": (OK, OK, OK, REFUSED, OK),
    "companies list": (OK, OK, OK, REFUSED, OK),
    "leads list": (OK, OK, OK, REFUSED, OK),
    "own team's person": (OK, OK, OK, REFUSED, OK),
    "other team's person": (HIDDEN, HIDDEN, OK, REFUSED, OK),
    "own team's lead": (OK, OK, OK, REFUSED, OK),
    "other team's lead": (HIDDEN, HIDDEN, OK, REFUSED, OK),
    "other team's company": (HIDDEN, HIDDEN, OK, REFUSED, OK),
    "edit other team's person": (REFUSED, REFUSED, REFUSED, REFUSED, OK),
    "sales feedback, own team": (OK, OK, REFUSED, REFUSED, OK),
    "sales feedback, other team": (HIDDEN, HIDDEN, REFUSED, REFUSED, OK),
    "export people": (OK, OK, OK, REFUSED, OK),
    "lead lists": (OK, OK, OK, REFUSED, OK),
    "saved filters": (OK, OK, OK, REFUSED, OK),
    "audit log": (REFUSED, REFUSED, REFUSED, REFUSED, OK),
}


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
def test_every_screen_answers_each_role_as_expected(client, org, book, role_index, role):
    client.force_login(org[role])
    got = {name: outcome(client.get(url)) for name, url in urls(book).items()}
    expected = {name: row[role_index] for name, row in EXPECTED.items()}
    assert got == expected


def test_a_rep_sees_only_their_own_people_in_every_list(client, org, book):
    from tests.factories.leads import LeadFactory

    for key in ("rita1", "ravi1", "erin1", "nobody"):
        LeadFactory(person=book[key])
    client.force_login(org["rita"])
    people = client.get("/admin/leads/person/").content.decode()
    assert "RitaLead1" in people and "RitaLead2" in people
    assert "RaviLead1" not in people and "ErinLead1" not in people and "Orphan" not in people
    # The leads list names each lead's person (a rep's addresses are masked, so names are what would show).
    leads_page = client.get("/admin/leads/lead/").content.decode()
    assert "RitaLead1 Example" in leads_page
    assert "RaviLead1" not in leads_page and "ErinLead1" not in leads_page and "Orphan" not in leads_page
    erin_only = CompanyFactory(name="Enterprise Only AG")
    book["erin1"].company = erin_only
    book["erin1"].save()
    companies = client.get("/admin/leads/company/").content.decode()
    assert "Meridian Bank" in companies and "Enterprise Only AG" not in companies


def test_a_manager_sees_the_team_but_not_the_other_team(client, org, book):
    client.force_login(org["mona"])
    people = client.get("/admin/leads/person/").content.decode()
    assert "RitaLead1" in people and "RaviLead2" in people
    assert "ErinLead1" not in people


def test_team_access_granted_to_one_rep_widens_their_view(client, make_role_user, book, org):
    from sales.roles import SALES_REP

    tess = make_role_user("tess", SALES_REP, team="Inbound", extra_permissions=["leads.view_team_people"])
    client.force_login(tess)
    people = client.get("/admin/leads/person/").content.decode()
    assert "RitaLead1" in people and "ErinLead1" not in people
    assert client.get(f"/admin/leads/person/inspect/{book['ravi1'].pk}/").status_code == 200


def test_visitors_are_sent_to_the_login_page(client, book):
    for url in urls(book).values():
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.parametrize("role,masked", [("rita", True), ("mona", False), ("mark", False), ("ada", False)])
def test_contact_details_are_masked_without_the_personal_data_right(client, org, book, role, masked):
    client.force_login(org[role])
    person = book["rita1"]
    pages = [
        client.get("/admin/leads/person/").content.decode(),
        client.get(f"/admin/leads/person/inspect/{person.pk}/").content.decode(),
    ]
    for html in pages:
        assert (person.email in html) is not masked
    profile = pages[1]
    assert ("+4930123456" in profile) is not masked


def test_a_rep_cannot_edit_somebody_elses_person_even_with_the_change_right(client, make_role_user, book):
    from sales.roles import SALES_REP

    fixer = make_role_user("fixer", SALES_REP, team="Inbound", extra_permissions=["leads.change_person"])
    client.force_login(fixer)
    assert client.get(f"/admin/leads/person/edit/{book['erin1'].pk}/").status_code == 404
    response = client.post(f"/admin/leads/person/edit/{book['erin1'].pk}/", {"first_name": "Hijacked"})
    assert response.status_code == 404
    book["erin1"].refresh_from_db()
    assert book["erin1"].first_name != "Hijacked"


def test_a_lead_page_masks_the_person_and_the_raw_submission(client, org, book):
    from tests.factories.leads import LeadFactory

    lead = LeadFactory(person=book["rita1"], raw_payload=json.dumps({"email": book["rita1"].email}))
    client.force_login(org["rita"])
    html = client.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()
    assert book["rita1"].email not in html and "RitaLead1" in html
    client.force_login(org["mona"])
    assert book["rita1"].email in client.get(f"/admin/leads/lead/inspect/{lead.pk}/").content.decode()
