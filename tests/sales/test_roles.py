"""The six roles as Wagtail groups (sales/roles.py): made by migrate, holding what each role's screens
need and nothing more, topped up and never trimmed."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from sales.roles import (
    ADMINISTRATOR,
    DOOR_STAFF,
    EDITOR,
    MARKETER,
    ROLES,
    SALES_MANAGER,
    SALES_REP,
    TELEMARKETER,
    roles_ensure,
)

pytestmark = pytest.mark.django_db


def held(name):
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")
    }


def test_migrate_makes_the_six_groups(db):
    Group.objects.filter(name__in=ROLES).delete()
    call_command("migrate", verbosity=0)
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == {
        EDITOR,
        MARKETER,
        SALES_REP,
        SALES_MANAGER,
        DOOR_STAFF,
        TELEMARKETER,
        ADMINISTRATOR,
    }
    assert "leads.work_leads" in held(SALES_REP)
    assert held(DOOR_STAFF) == {"wagtailadmin.access_admin", "events.check_in_registration"}


def test_every_permission_a_role_names_exists(roles):
    """roles_ensure skips names it cannot find: a typo would quietly take a right away from a role."""
    for name, role in ROLES.items():
        assert held(name) == set(role["permissions"]), name


WHAT_ROLES_NEED = {
    # the admin at all; lists and profiles; sales actions; exports; contact details; whose people
    SALES_REP: {
        "wagtailadmin.access_admin",
        "leads.view_person",
        "leads.view_company",
        "leads.view_lead",
        "leads.work_leads",
        "leads.export_people",
        "sales.view_savedfilter",
        "sales.add_savedfilter",
        "events.add_registration",
    },  # "Register someone" for a customer
    SALES_MANAGER: {
        "wagtailadmin.access_admin",
        "leads.view_person",
        "leads.work_leads",
        "leads.export_people",
        "leads.view_personal_data",
        "leads.view_team_people",
        "events.add_registration",
    },
    # The admin and the door; the events listing comes with the door's right (events.permissions).
    DOOR_STAFF: {"wagtailadmin.access_admin", "events.check_in_registration"},
    # The call queue, phones in full to dial them, tags for what a call taught them.
    TELEMARKETER: {
        "wagtailadmin.access_admin",
        "leads.qualify_by_phone",
        "leads.view_personal_data",
        "leads.tag_people",
    },
    MARKETER: {
        "wagtailadmin.access_admin",
        "leads.view_person",
        "leads.export_people",
        "leads.view_personal_data",
        "leads.view_all_people",
        "leads.view_interaction",
        "leads.change_scoringrule",
        "personalization.change_segment",
        "events.change_event",
        "wagtailimages.add_image",
    },
    EDITOR: {"wagtailadmin.access_admin", "wagtailimages.add_image", "wagtaildocs.add_document", "cms.change_topic"},
    ADMINISTRATOR: {
        "wagtailadmin.access_admin",
        "leads.view_person",
        "leads.work_leads",
        "leads.export_people",
        "leads.view_personal_data",
        "leads.view_all_people",
        "sales.view_audit_log",
        "leads.change_salesrep",
        "auth.change_user",
        "auth.change_group",
        "leads.qualify_by_phone",
    },
}
NOT_THEIRS = {
    SALES_REP: {
        "leads.view_personal_data",
        "leads.view_team_people",
        "leads.view_all_people",
        "leads.view_interaction",
        "leads.view_salesrep",
        "leads.change_salesrep",
        "leads.change_person",
        "sales.view_audit_log",
        "events.view_registration",
        "events.change_event",
        "events.view_event",
        "events.check_in_registration",
    },
    SALES_MANAGER: {
        "leads.view_all_people",
        "leads.view_interaction",
        "leads.change_salesrep",
        "leads.change_person",
        "sales.view_audit_log",
        "events.view_registration",
        "auth.change_user",
        "events.change_event",
        "events.view_event",
        "events.change_registration",
    },
    # No pages, no lead store, no sales, no exports, no registrations list, no addresses in clear.
    DOOR_STAFF: {
        "leads.view_personal_data",
        "leads.view_person",
        "leads.view_company",
        "leads.view_lead",
        "leads.export_people",
        "leads.work_leads",
        "events.view_event",
        "events.change_event",
        "events.add_event",
        "events.view_registration",
        "events.change_registration",
        "events.add_registration",
        "wagtailimages.add_image",
        "wagtaildocs.add_document",
        "outbox.view_outgoingemail",
        "sales.view_audit_log",
        "personalization.view_segment",
    },
    # Only the queue: no sales lists, profiles, exports or sales actions, no pages, no events.
    TELEMARKETER: {
        "leads.view_person",
        "leads.view_company",
        "leads.view_lead",
        "leads.export_people",
        "leads.work_leads",
        "leads.view_all_people",
        "leads.view_interaction",
        "sales.view_audit_log",
        "events.view_event",
        "events.add_registration",
        "wagtailimages.add_image",
        "outbox.view_outgoingemail",
    },
    MARKETER: {"leads.work_leads", "sales.view_audit_log", "leads.change_person", "auth.change_user"},
    EDITOR: {
        "leads.view_person",
        "leads.view_company",
        "leads.view_lead",
        "leads.export_people",
        "leads.work_leads",
        "leads.view_personal_data",
        "sales.view_audit_log",
    },
    ADMINISTRATOR: set(),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_has_what_its_screens_need_and_nothing_more(roles, role):
    permissions = held(role)
    assert WHAT_ROLES_NEED[role] <= permissions, WHAT_ROLES_NEED[role] - permissions
    assert not NOT_THEIRS[role] & permissions, NOT_THEIRS[role] & permissions


def test_page_and_collection_rights(roles):
    def pages(name):
        return set(GroupPagePermission.objects.filter(group__name=name).values_list("permission__codename", flat=True))

    assert pages(EDITOR) == pages(MARKETER) == {"add_page", "change_page", "publish_page"}
    assert pages(SALES_REP) == pages(SALES_MANAGER) == pages(DOOR_STAFF) == set()
    assert {"bulk_delete_page", "lock_page"} <= pages(ADMINISTRATOR)
    assert GroupCollectionPermission.objects.filter(group__name=EDITOR, permission__codename="add_image").exists()
    assert not GroupCollectionPermission.objects.filter(group__name__in=[SALES_REP, DOOR_STAFF]).exists()


def _snapshot():
    return (
        sorted(Group.objects.values_list("name", flat=True)),
        sorted(Group.permissions.through.objects.values_list("group__name", "permission_id")),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    )


def test_roles_ensure_is_idempotent(roles):
    before = _snapshot()
    roles_ensure()
    roles_ensure()
    assert _snapshot() == before


def test_roles_ensure_never_removes_what_an_administrator_added(roles):
    rep = Group.objects.get(name=SALES_REP)
    granted = Permission.objects.get(content_type__app_label="leads", codename="view_personal_data")
    rep.permissions.add(granted)
    team = Group.objects.create(name="Sales reps who call")
    team.permissions.add(granted)
    roles_ensure()
    call_command("migrate", verbosity=0)
    assert "leads.view_personal_data" in held(SALES_REP)
    assert list(team.permissions.all()) == [granted]


def test_a_removed_group_permission_is_given_back(roles):
    manager = Group.objects.get(name=SALES_MANAGER)
    manager.permissions.remove(Permission.objects.get(codename="view_team_people"))
    roles_ensure()
    assert "leads.view_team_people" in held(SALES_MANAGER)


# --- The role decisions, seen through the admin -------------------------------------------------------
def refused(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_sales_roles_do_not_get_the_unscoped_lead_store_screens(client, org, book):
    """The interaction log and the sales reps' routing list show everybody: not for reps and managers,
    and a manager cannot move themselves to another team (which would widen their view)."""
    rep_record = org["mona"].sales_rep
    for username in ("rita", "mona"):
        client.force_login(org[username])
        assert client.get("/admin/leads/person/").status_code == 200
        assert refused(client.get("/admin/leads/interaction/")), username
        assert refused(client.get("/admin/leads/sales-reps/")), username
        assert refused(client.get(f"/admin/leads/sales-reps/edit/{rep_record.pk}/")), username
    client.force_login(org["mark"])
    assert client.get("/admin/leads/interaction/").status_code == 200
    client.force_login(org["ada"])
    assert client.get(f"/admin/leads/sales-reps/edit/{rep_record.pk}/").status_code == 200


def test_an_editor_gets_the_admin_but_no_lead_store(client, org):
    client.force_login(org["eddie"])
    assert client.get("/admin/").status_code == 200
    for url in ("/admin/leads/person/", "/admin/leads/company/", "/admin/leads/lead/", "/admin/leads/interaction/"):
        assert refused(client.get(url)), url


def test_the_demo_has_a_door_staff_login_and_sales_logins_that_register_someone(settings):
    """load_demo's logins (cms.demo.leads): one per role, door staff included; the sales ones may use
    "Register someone"."""
    from cms.demo.leads import DEMO_LOGINS, DemoLeadLoader
    from cms.demo.loader import LoadReport

    settings.DEMO_USER_ENABLED = True
    DemoLeadLoader(LoadReport()).sales_team()
    logins = {role: username for role, username, _sees in DEMO_LOGINS}
    assert logins[DOOR_STAFF] == "dora.door"
    dora = get_user_model().objects.get(username="dora.door")
    assert dora.groups.filter(name=DOOR_STAFF).exists()
    assert dora.has_perm("events.check_in_registration") and not dora.has_perm("leads.view_personal_data")
    for username in ("sara.keller", "nina.berg", "jonas.weber"):
        assert get_user_model().objects.get(username=username).has_perm("events.add_registration"), username
