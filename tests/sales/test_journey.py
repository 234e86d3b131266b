"""The issue's "done when", as a new user would try it, through the login form and the admin's URLs:
a rep sees only their own leads, reads a person's whole story and score explanation, accepts one and
rejects another with a reason, downloads a whitepaper's lead list with masked contact details; an
administrator then finds the profile views and the export in the audit log."""

import csv
import io
import re

import pytest
from django.test import Client

from leads.models import ScoringRule, StageTransition
from leads.services import person_rescore
from tests.factories.leads import InteractionFactory, LeadFactory
from tests.sales.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_reps_day_and_the_administrators_audit(org, book):
    rita1, rita2, ravi1 = book["rita1"], book["rita2"], book["ravi1"]
    for person in (rita1, ravi1):
        LeadFactory(person=person, origin_type="content", origin_id="42", origin_label="State of RevOps 2026")
        InteractionFactory(
            person=person,
            type="content_download",
            object_type="whitepaper",
            object_id="42",
            object_label="State of RevOps 2026",
        )
    ScoringRule.objects.create(
        name="Whitepaper download", kind="interest", interaction_type="content_download", points=15
    )
    person_rescore(rita1)  # as capture does after a download

    rep = Client()
    login = rep.post("/admin/login/", {"username": "rita", "password": PASSWORD})
    assert login.status_code == 302

    people = rep.get("/admin/leads/person/").content.decode()
    assert "RitaLead1" in people and "RitaLead2" in people and "RaviLead1" not in people
    assert rita1.email not in people  # no personal-data right: masked

    profile = rep.get(f"/admin/leads/person/inspect/{rita1.pk}/").content.decode()
    assert "Score explanation" in profile and "Whitepaper download" in profile
    assert "State of RevOps 2026" in profile  # the lead and the download in the timeline

    accepted = rep.post(f"/admin/leads/person/sales-feedback/{rita1.pk}/", {"action": "accept"})
    rejected = rep.post(
        f"/admin/leads/person/sales-feedback/{rita2.pk}/", {"action": "reject", "reason": "Student project, no budget"}
    )
    assert accepted.status_code == rejected.status_code == 302
    rita1.refresh_from_db()
    rita2.refresh_from_db()
    assert (rita1.stage, rita2.stage) == ("sql", "nurture")
    rejection = StageTransition.objects.get(person=rita2, to_stage="nurture")
    assert rejection.actor == org["rita"] and "no budget" in rejection.reason

    lead_lists = rep.get("/admin/sales/lead-lists/").content.decode()
    assert "State of RevOps 2026" in lead_lists
    download = rep.post(
        "/admin/sales/exports/new/",
        {
            "list": "people",
            "params": "source=content:42",
            "title": "Whitepaper: State of RevOps 2026",
            "use_default_columns": "1",
            "format": "csv",
        },
    )
    assert download.status_code == 200
    assert re.search(
        r'filename="whitepaper-state-of-revops-2026-\d{4}-\d{2}-\d{2}\.csv"', download["Content-Disposition"]
    )
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Last name"] for row in rows] == ["Example"]  # only Rita's converter, not Ravi's
    assert rows[0]["Email"] == "r***@meridian-bank.example"

    admin = Client()
    admin.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    audit = admin.get("/admin/sales/audit-log/").content.decode()
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", audit.split("<tbody>", 1)[1], flags=re.S)
    # Rita's own rows (the user filter lists every user's name, so the page's text alone proves nothing).
    assert any(f"PID-{rita1.pk}" in row and "View profile" in row and "Rita" in row for row in rows)
    assert any("Whitepaper: State of RevOps 2026" in row and "Rita" in row for row in rows)
