"""The admin menu item of a screen only some users may open (core.admin_menu.PermissionMenuItem)."""

import pytest
from django.contrib.auth.models import Permission, User

from core.admin_menu import PermissionMenuItem

pytestmark = pytest.mark.django_db


def shown(item, user, rf):
    request = rf.get("/admin/")
    request.user = user
    return item.is_shown(request)


def user_with(username, *codenames, **fields):
    user = User.objects.create_user(username, **fields)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh instance: no cached permissions


def test_shown_to_users_holding_any_of_the_permissions(rf):
    item = PermissionMenuItem(
        "Segments", "/x/", any_of=("personalization.view_segment", "personalization.change_segment")
    )
    assert shown(item, user_with("viewer", "view_segment"), rf)
    assert shown(item, user_with("editor", "change_segment"), rf)
    assert not shown(item, user_with("adder", "add_segment"), rf)


def test_one_permission_may_be_given_as_a_string(rf):
    item = PermissionMenuItem("Segments", "/x/", any_of="personalization.view_segment")
    assert shown(item, user_with("viewer", "view_segment"), rf)
    assert not shown(item, user_with("nobody"), rf)


def test_inactive_users_never_and_superusers_always_see_it(rf):
    item = PermissionMenuItem("Segments", "/x/", any_of="personalization.view_segment")
    assert not shown(item, user_with("gone", "view_segment", is_active=False), rf)
    assert shown(item, user_with("root", is_superuser=True), rf)
    assert not shown(item, user_with("gone-root", is_superuser=True, is_active=False), rf)


def test_a_viewsets_menu_item_class_builds_the_item_wagtail_asks_for(rf):
    make = PermissionMenuItem.for_viewset(any_of="personalization.view_segment")
    item = make(label="Segments", url="/x/", name="segments", icon_name="group", order=5)
    assert (item.label, item.url, item.name, item.icon_name, item.order) == ("Segments", "/x/", "segments", "group", 5)
    assert shown(item, user_with("viewer", "view_segment"), rf)
    assert not shown(item, user_with("nobody"), rf)
