"""Where uploaded import files live: a private folder, never under MEDIA_ROOT, never given a URL.

`LEAD_IMPORT_ROOT` (setting) names the folder; by default it is `private-media/lead-imports` beside
MEDIA_ROOT. The folder is read each time, so tests and deployments can move it without a migration.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


def import_root() -> str:
    configured = getattr(settings, "LEAD_IMPORT_ROOT", None)
    if configured:
        return str(configured)
    return str(Path(settings.MEDIA_ROOT).resolve().parent / "private-media" / "lead-imports")


@deconstructible
class PrivateImportStorage(FileSystemStorage):
    """A FileSystemStorage rooted at import_root(), without URLs: files leave only through a view."""

    def __init__(self):
        super().__init__(base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return import_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Import files are private: they have no URL.")

    def deconstruct(self):
        return ("forms.imports.storage.PrivateImportStorage", (), {})


def private_import_storage():
    return PrivateImportStorage()
