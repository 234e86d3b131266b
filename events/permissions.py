"""Who may do what with events, where it is more than one model permission: the admin's views, forms
and the season import ask here.

Which events someone sees in the admin:
- people who work on events (any of view, add, change or delete event: marketers, administrators) see
  every event, drafts too;
- door staff ("Can check people in at the door") and salespeople ("Can add registration", the right
  behind "Register someone") see the published events: every event but drafts, which are not
  announced yet. They find the door and "Register someone" there, and nothing opens a draft for them.
"""

from .models import Event

IMPORT_PERMISSION = "events.add_event"
CHECK_IN_PERMISSION = "events.check_in_registration"
REGISTER_SOMEONE_PERMISSION = "events.add_registration"
EVENT_PERMISSIONS = ("events.view_event", "events.add_event", "events.change_event", "events.delete_event")


def _active(user) -> bool:
    return bool(user and user.is_active)


def can_import_events(user) -> bool:
    """Importing a season creates events: for people who may add events."""
    return _active(user) and user.has_perm(IMPORT_PERMISSION)


def can_check_in(user) -> bool:
    return _active(user) and user.has_perm(CHECK_IN_PERMISSION)


def can_register_someone(user) -> bool:
    return _active(user) and user.has_perm(REGISTER_SOMEONE_PERMISSION)


def sees_every_event(user) -> bool:
    """Drafts included: for the people who work on events."""
    return _active(user) and any(user.has_perm(permission) for permission in EVENT_PERMISSIONS)


def sees_published_events(user) -> bool:
    """The events listing without any event permission: door staff and salespeople find their screens there."""
    return can_check_in(user) or can_register_someone(user)


def events_visible_to(user, events=None):
    """The events this user may see (and open the per-event screens of); none for anybody else."""
    events = Event.objects.all() if events is None else events
    if sees_every_event(user):
        return events
    if sees_published_events(user):
        return events.exclude(status=Event.Status.DRAFT)
    return events.none()


def can_publish_pages(user) -> bool:
    """Publishing generated pages is publishing pages: only for people allowed to publish some."""
    from wagtail.permission_policies.pages import PagePermissionPolicy

    return _active(user) and PagePermissionPolicy().user_has_permission(user, "publish")
