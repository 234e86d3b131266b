"""The audit trail of the sales workspace: every profile view and every export, in Wagtail's own log
(wagtail.log_actions, the table behind Reports > Site history), read back by the audit-log report.

Entries carry who, when (the log's timestamp), what (the person, or the list's name), the filters
as a query string, the row count and whether personal data was masked.
"""

import logging

from django.contrib.auth.models import AnonymousUser
from wagtail import hooks
from wagtail.log_actions import log

from leads.admin_privacy import EXPORT_ACTION
from leads.models import Person

logger = logging.getLogger(__name__)

PROFILE_VIEW_ACTION = "sales.view_profile"
EXPORT_DOWNLOAD_ACTION = "sales.download_export"
# Every action the audit-log report shows: exports of any admin listing, profile views, downloads.
AUDIT_ACTIONS = [EXPORT_ACTION, PROFILE_VIEW_ACTION, EXPORT_DOWNLOAD_ACTION]


def record_profile_view(user, person: Person, *, masked: bool):
    log(person, PROFILE_VIEW_ACTION, user=user, title=f"PID-{person.pk}",
        data={"person": person.pk, "masked": masked})


def record_export(user, *, model, list_title: str, file_format: str, rows: int, params: str, masked: bool,
                  job_id: int | None = None, action: str = EXPORT_ACTION):
    """One entry per export (and per download of a background export's file)."""
    label = f"{list_title}: {file_format.upper()} export of {rows} rows"
    user = None if isinstance(user, AnonymousUser) else user
    log(model(pk=0), action, user=user, title=label[:255],
        data={"list": list_title, "format": file_format, "rows": rows, "filters": params, "masked": masked,
              "job": job_id})
    logger.info("%s exported %s (%s, %s rows, filters %r)", user, list_title, file_format, rows, params)


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(PROFILE_VIEW_ACTION, "View profile", "Viewed a person's profile")
    actions.register_action(EXPORT_DOWNLOAD_ACTION, "Download export", "Downloaded an exported list")
