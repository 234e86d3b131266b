"""A small sales organisation: one user per role, two teams, and people owned by each rep."""

import pytest
from django.contrib.auth.models import Group

from leads.models import SalesRep
from sales.roles import ADMINISTRATOR, EDITOR, MARKETER, SALES_MANAGER, SALES_REP, roles_ensure
from tests.factories.leads import CompanyFactory, PersonFactory

PASSWORD = "pw-sales-123-secret"


@pytest.fixture
def roles(db):
    """The role groups (migrate makes them; a live-server test's flush takes them away again)."""
    return roles_ensure()


@pytest.fixture
def make_role_user(django_user_model, roles):
    def make(username, role, *, team=None, extra_permissions=()):
        from django.contrib.auth.models import Permission

        user = django_user_model.objects.create_user(
            username, f"{username}@signalpage.test", PASSWORD, first_name=username.capitalize()
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        for label in extra_permissions:
            app_label, codename = label.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        if team:
            SalesRep.objects.create(user=user, team=team, weight=0 if role == SALES_MANAGER else 1)
        return user

    return make


@pytest.fixture
def org(make_role_user):
    """Who is who. Inbound: rep Rita, rep Ravi, manager Mona. Enterprise: rep Erin."""
    users = {
        "rita": make_role_user("rita", SALES_REP, team="Inbound"),
        "ravi": make_role_user("ravi", SALES_REP, team="Inbound"),
        "erin": make_role_user("erin", SALES_REP, team="Enterprise"),
        "mona": make_role_user("mona", SALES_MANAGER, team="Inbound"),
        "mark": make_role_user("mark", MARKETER),
        "eddie": make_role_user("eddie", EDITOR),
        "ada": make_role_user("ada", ADMINISTRATOR),
    }
    return users


@pytest.fixture
def book(org):
    """People owned by each rep (two each), plus one nobody owns, at two companies."""
    meridian = CompanyFactory(name="Meridian Bank", industry="banking", employee_band="5000+", country="DE")
    atlas = CompanyFactory(name="Atlas Health", industry="healthcare", employee_band="1000-4999", country="GB")
    people = {}
    for owner in ("rita", "ravi", "erin"):
        for n in (1, 2):
            people[f"{owner}{n}"] = PersonFactory(
                email=f"{owner}.lead{n}@meridian-bank.example",
                first_name=f"{owner.capitalize()}Lead{n}",
                last_name="Example",
                phone="+4930123456",
                owner=org[owner],
                company=meridian if n == 1 else atlas,
                stage="mql",
                grade="A1" if n == 1 else "B2",
                fit_score=70 if n == 1 else 45,
                interest_score=65 if n == 1 else 35,
            )
    people["nobody"] = PersonFactory(email="orphan@atlashealth.example", first_name="Orphan", company=atlas)
    return people
