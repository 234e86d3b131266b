"""Marketing operations see what came in and why it was flagged, in the Wagtail admin."""

import re

import pytest

from leads.services import lead_capture

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    good = lead_capture(
        source="form", payload={"email": "jane@meridian-bank.de", "company": "Meridian"}, origin_label="State of RevOps"
    )
    junk = lead_capture(source="form", payload={"email": "test@example.com", "first_name": "Test"})
    return good, junk


@pytest.mark.parametrize(
    "url",
    [
        "/admin/leads/person/",
        "/admin/leads/company/",
        "/admin/leads/lead/",
        "/admin/leads/interaction/",
        "/admin/leads/scoring-rules/",
        "/admin/leads/scoring-rules/new/",
        "/admin/leads/sales-reps/",
        "/admin/leads/crm-deliveries/",
        "/admin/leads/crm-delivery-attempts/",
    ],
)
def test_listings_open(admin_client_logged_in, captured, url):
    assert admin_client_logged_in.get(url).status_code == 200


def test_flagged_leads_show_their_reasons(admin_client_logged_in, captured):
    _, junk = captured
    listing = admin_client_logged_in.get("/admin/leads/lead/?verdict=flagged").content.decode()
    assert junk.lid in listing and "test_data" in listing
    detail = admin_client_logged_in.get(f"/admin/leads/lead/inspect/{junk.pk}/").content.decode()
    assert "matches the test-data pattern" in detail


def test_people_filter_and_search(admin_client_logged_in, captured):
    html = admin_client_logged_in.get("/admin/leads/person/?is_test=true").content.decode()
    assert "test@example.com" in html and "jane@meridian-bank.de" not in html
    html = admin_client_logged_in.get("/admin/leads/person/?q=meridian").content.decode()
    assert "jane@meridian-bank.de" in html


# Exporting the people list moved to the sales workspace's exports (audit-logged, masked, its own permission):
# tests/sales/test_lists.py (the list's Export button) and tests/sales/test_exports.py (the files).


def test_lead_store_settings_screen(admin_client_logged_in):
    response = admin_client_logged_in.get("/admin/settings/leads/leadstoresettings/", follow=True)
    assert response.status_code == 200 and "Test patterns" in response.content.decode()


def test_visitors_cannot_see_the_lead_store(client, captured):
    response = client.get("/admin/leads/person/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_person_inspect_shows_score_explanation_and_stage_history(admin_client_logged_in):
    from leads.models import ScoringRule

    ScoringRule.objects.create(name="Whitepaper download", kind="interest", interaction_type="form_submit", points=12)
    lead = lead_capture(source="form", payload={"email": "jane@meridian-bank.de"})
    html = admin_client_logged_in.get(f"/admin/leads/person/inspect/{lead.person_id}/").content.decode()
    # The sales workspace's 360 view shows the explanation as a table: one row per rule.
    assert "Score explanation" in html
    assert re.search(r"<td>Interest</td>\s*<td>Whitepaper download</td>\s*<td[^>]*>12</td>", html)
    assert re.search(r"data-points[^>]*>12</td>", html)
    assert "No stage changes yet" in html


def test_marketer_defines_a_fit_rule_in_the_admin(admin_client_logged_in):
    from leads.models import ScoringRule

    response = admin_client_logged_in.post(
        "/admin/leads/scoring-rules/new/",
        {
            "name": "Banking",
            "kind": "fit",
            "is_active": "on",
            "points": "20",
            "attribute": "company__industry",
            "operator": "in",
            "value": "banking, insurance",
            "cap_period_days": "30",
            "lookback_days": "365",
        },
    )
    assert response.status_code == 302
    assert ScoringRule.objects.get(name="Banking").value_list == ["banking", "insurance"]
    response = admin_client_logged_in.post(
        "/admin/leads/scoring-rules/new/",
        {
            "name": "Broken",
            "kind": "fit",
            "points": "5",
            "attribute": "company__employee_count",
            "operator": "gte",
            "value": "lots",
            "cap_period_days": "30",
            "lookback_days": "365",
        },
    )
    assert response.status_code == 200 and "Enter a number" in response.content.decode()


def test_captured_records_cannot_be_added_or_edited_by_hand(admin_client_logged_in, captured):
    good, _ = captured
    assert "Add lead" not in admin_client_logged_in.get("/admin/leads/lead/").content.decode()
    for url in [
        "/admin/leads/lead/new/",
        f"/admin/leads/lead/edit/{good.pk}/",
        f"/admin/leads/lead/delete/{good.pk}/",
        "/admin/leads/interaction/new/",
    ]:
        response = admin_client_logged_in.get(url)
        assert response.status_code in (302, 403), url
        assert "/admin/leads/lead/edit" not in response.get("Location", "")
    assert admin_client_logged_in.get(f"/admin/leads/lead/inspect/{good.pk}/").status_code == 200


@pytest.fixture
def mql(captured):
    from leads.models import Person
    from leads.services import stage_change

    person = Person.objects.get(email="jane@meridian-bank.de")
    stage_change(person, "mql", reason_type="rule", reason="test")
    return person


def test_sales_feedback_button_and_screen(admin_client_logged_in, mql):
    inspect = admin_client_logged_in.get(f"/admin/leads/person/inspect/{mql.pk}/").content.decode()
    assert f"/admin/leads/person/sales-feedback/{mql.pk}/" in inspect
    screen = admin_client_logged_in.get(f"/admin/leads/person/sales-feedback/{mql.pk}/")
    assert screen.status_code == 200 and "Record feedback" in screen.content.decode()


def test_a_rejection_needs_a_reason_and_then_goes_to_nurture(admin_client_logged_in, mql):
    url = f"/admin/leads/person/sales-feedback/{mql.pk}/"
    response = admin_client_logged_in.post(url, {"action": "reject", "reason": "   "})
    assert response.status_code == 200 and "Give a reason for the rejection" in response.content.decode()
    response = admin_client_logged_in.post(url, {"action": "reject", "reason": "No budget"})
    assert response.status_code == 302
    mql.refresh_from_db()
    assert mql.stage == "nurture" and mql.interest_penalty == 20
    transition = mql.stage_transitions.order_by("-occurred_at", "-pk").first()
    assert transition.reason == "Rejected by sales: No budget" and transition.actor.username == "editor"
    history = admin_client_logged_in.get(f"/admin/leads/person/inspect/{mql.pk}/").content.decode()
    # The profile's stage history shows the move and its reason (its layout is the 360 view's business).
    assert "Rejected by sales: No budget" in history and "Nurture" in history


@pytest.mark.parametrize(
    "action, stage", [("accept", "sql"), ("opportunity", "opportunity"), ("customer", "customer"), ("lead", "lead")]
)
def test_other_feedback_moves_the_stage(admin_client_logged_in, mql, action, stage):
    admin_client_logged_in.post(f"/admin/leads/person/sales-feedback/{mql.pk}/", {"action": action})
    mql.refresh_from_db()
    assert mql.stage == stage


def test_feedback_needs_the_work_leads_permission(client, django_user_model, mql):
    """Sales feedback is its own right (leads.work_leads), not editing the person (change_person)."""
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw")
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_person", "change_person", "view_all_people"])
    )
    client.force_login(viewer)
    assert client.get(f"/admin/leads/person/inspect/{mql.pk}/").status_code == 200
    response = client.post(f"/admin/leads/person/sales-feedback/{mql.pk}/", {"action": "accept"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    mql.refresh_from_db()
    assert mql.stage == "mql"
    assert "sales-feedback" not in client.get(f"/admin/leads/person/inspect/{mql.pk}/").content.decode()

    viewer.user_permissions.add(Permission.objects.get(codename="work_leads"))
    viewer = django_user_model.objects.get(pk=viewer.pk)  # permissions are cached on the user object
    client.force_login(viewer)
    assert (
        f"/admin/leads/person/sales-feedback/{mql.pk}/"
        in client.get(f"/admin/leads/person/inspect/{mql.pk}/").content.decode()
    )
    assert client.post(f"/admin/leads/person/sales-feedback/{mql.pk}/", {"action": "accept"}).status_code == 302
    mql.refresh_from_db()
    assert mql.stage == "sql"
