"""The admin menu item of a screen only some users may open.

Every such screen checks a permission in its views; its menu item checks the same permission, so the
item is shown exactly to those the screen lets in. Django's `has_perm` already answers False for an
inactive user and True for an active superuser, so the permission names are all an item needs.
"""

from functools import partial

from wagtail.admin.menu import MenuItem


class PermissionMenuItem(MenuItem):
    """Shown to users holding any of the permissions in `any_of` ("app_label.codename")."""

    def __init__(self, label, url, *, any_of, **kwargs):
        super().__init__(label, url, **kwargs)
        self.any_of = (any_of,) if isinstance(any_of, str) else tuple(any_of)

    def is_shown(self, request):
        return any(request.user.has_perm(permission) for permission in self.any_of)

    @classmethod
    def for_viewset(cls, *, any_of):
        """A ViewSet's `menu_item_class`: Wagtail calls it with the label, URL, name, icon and order."""
        return partial(cls, any_of=any_of)
