"""Keeping an upload between the preview and the import, in the lead imports' private store.

forms.imports.storage.PrivateImportStorage: never under MEDIA_ROOT, no URL, files 0600 and folders
0700. Event uploads have a folder of their own in it, "events/" (EVENT_IMPORT_ROOT names another
folder instead). An upload is kept under a random name that only the uploader's session knows, deleted
once imported; uploads nobody went on to import are purged after a day, whenever another is kept.
"""

import os
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from forms.imports.storage import PrivateImportStorage, import_root

from .files import ImportFileError

UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(csv|ics)$")
KEPT_FOR = timedelta(days=1)


@deconstructible
class EventUploadStorage(PrivateImportStorage):
    """The private import store, rooted at its "events" folder (or EVENT_IMPORT_ROOT), read each time."""

    @property
    def base_location(self):
        configured = getattr(settings, "EVENT_IMPORT_ROOT", None)
        return str(configured) if configured else os.path.join(import_root(), "events")

    def deconstruct(self):
        return ("events.imports.storage.EventUploadStorage", (), {})


def upload_storage() -> EventUploadStorage:
    return EventUploadStorage()


def upload_keep(data: bytes, source: str) -> str:
    """Store the upload under a random name (readable only by us); returns the name."""
    uploads_purge()
    name = f"{secrets.token_hex(16)}.{'ics' if source == 'ics' else 'csv'}"
    return upload_storage().save(name, ContentFile(data))  # 128 random bits: the name is free


def upload_read(name: str) -> bytes:
    if not UPLOAD_NAME.match(name or ""):
        raise ImportFileError("The uploaded file is no longer kept: upload it again.")
    try:
        with upload_storage().open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ImportFileError("The uploaded file is no longer kept: upload it again.") from None


def upload_delete(name: str) -> None:
    if UPLOAD_NAME.match(name or ""):
        upload_storage().delete(name)


def uploads_purge(older_than: timedelta = KEPT_FOR) -> int:
    """Delete uploads nobody went on to import (their session ended, the tab was closed)."""
    storage = upload_storage()
    try:
        _folders, names = storage.listdir("")
    except FileNotFoundError:
        return 0
    cutoff, count = timezone.now() - older_than, 0
    for name in names:
        if not UPLOAD_NAME.match(name):
            continue
        try:
            stale = storage.get_modified_time(name) < cutoff
        except FileNotFoundError:  # imported (or purged by another server) meanwhile
            continue
        if stale:
            storage.delete(name)
            count += 1
    return count
