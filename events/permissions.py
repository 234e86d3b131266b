"""Who may do what with events, where it is more than one model permission: the admin's views, forms
and the season import ask here."""

IMPORT_PERMISSION = "events.add_event"


def can_import_events(user) -> bool:
    """Importing a season creates events: for people who may add events."""
    return bool(user and user.is_active and user.has_perm(IMPORT_PERMISSION))


def can_publish_pages(user) -> bool:
    """Publishing generated pages is publishing pages: only for people allowed to publish some."""
    from wagtail.permission_policies.pages import PagePermissionPolicy

    return bool(user and user.is_active and PagePermissionPolicy().user_has_permission(user, "publish"))
