"""The import itself: the events of a preview's good rows, then all their landing pages in one call."""

import logging
import time
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from wagtail.log_actions import log

from events.models import Event
from events.permissions import can_publish_pages
from events.services.events import landing_pages_generate
from events.signals import events_changed

from .rows import INVALID, SKIPPED, ImportPreview, event_from, mark_duplicates

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    publish: bool = False
    created: list[Event] = field(default_factory=list)
    pages: list = field(default_factory=list)  # [(event, page, "created" / "updated" / "unchanged")]
    skipped: list = field(default_factory=list)  # [(label, title, reason)]

    @property
    def created_count(self) -> int:
        return len(self.created)

    @property
    def skipped_count(self) -> int:
        return len(self.skipped)

    @property
    def pages_created(self) -> int:
        return sum(1 for _event, _page, what in self.pages if what == "created")


def events_import(preview: ImportPreview, *, publish: bool, user) -> ImportResult:
    """Create the events of the good rows, then their landing pages (drafts, or published) in one call.

    All or nothing: if the pages cannot be made, no event is kept either, so running it again after a
    fix does not leave events without pages. Rows with errors, duplicates and cancelled entries are
    counted as skipped with their reason."""
    if publish and user is not None and not can_publish_pages(user):
        raise PermissionDenied(
            "Publishing the landing pages needs permission to publish pages: import them as "
            "drafts for an editor to publish."
        )
    result = ImportResult(publish=publish)
    started = time.perf_counter()
    with transaction.atomic():
        # Again, inside the transaction: an import (or the same file) may have run since the preview.
        for row in preview.rows:
            if row.status == SKIPPED and row.skip_reason.startswith(("already exists", "repeats")):
                row.skip_reason = ""
        mark_duplicates(preview.rows)
        for row in preview.rows:
            if row.status == INVALID:
                result.skipped.append(
                    (
                        row.label,
                        row.title,
                        "; ".join(f"{where}: {message}" if where else message for where, message in row.errors),
                    )
                )
                continue
            if row.status == SKIPPED:
                result.skipped.append((row.label, row.title, row.skip_reason))
                continue
            event = event_from(row.values)
            try:
                event.full_clean()  # checked in the preview already; only a changed preview fails here
            except ValidationError as error:
                result.skipped.append((row.label, row.title, "; ".join(error.messages)))
                continue
            if row.values.get("topics"):
                event.topics.add(*row.values["topics"])  # held on the event until it is saved
            event.save()
            log(instance=event, action="wagtail.create", user=user, data={"source": f"{preview.source} import"})
            result.created.append(event)
        if result.created:
            result.pages = landing_pages_generate(result.created, publish=publish, user=user)
            ids = [event.pk for event in result.created]
            transaction.on_commit(lambda: events_changed.send(sender=Event, event_ids=ids))
    logger.info(
        "Event import (%s, %s): %s created, %s skipped, %s pages, %.1f s",
        preview.source,
        preview.filename,
        result.created_count,
        result.skipped_count,
        len(result.pages),
        time.perf_counter() - started,
    )
    return result
