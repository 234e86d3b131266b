"""Who may use the campaign editor's screens: whoever may add or change campaigns."""

from django.core.exceptions import PermissionDenied

EDIT_PERMISSIONS = ("campaigns.add_campaign", "campaigns.change_campaign")


def can_edit_campaigns(user) -> bool:
    return any(user.has_perm(permission) for permission in EDIT_PERMISSIONS)


def require_campaign_editor(user) -> None:
    if not can_edit_campaigns(user):
        raise PermissionDenied
