"""Where background exports are written: a private folder, never under MEDIA_ROOT, never given a URL.

`SALES_EXPORT_ROOT` (setting) names the folder; by default it is `private-media/sales-exports` beside
MEDIA_ROOT (as lead imports do, see forms/imports/storage.py). Files leave only through the download
view, which checks who asks and logs it. The folder is read each time, so tests and deployments can
move it; web servers and task workers must share it.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def export_root() -> str:
    configured = getattr(settings, "SALES_EXPORT_ROOT", None)
    if configured:
        return str(configured)
    return str(Path(settings.MEDIA_ROOT).resolve().parent / "private-media" / "sales-exports")


class PrivateExportStorage(FileSystemStorage):
    """A FileSystemStorage rooted at export_root(), without URLs, readable by its owner only."""

    def __init__(self):
        super().__init__(base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return export_root()

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Export files are private: they have no URL.")


def private_export_storage() -> PrivateExportStorage:
    return PrivateExportStorage()


def new_file_name(job_id: int, extension: str) -> str:
    """A name nobody can guess, unique across processes and databases sharing the folder."""
    return f"export-{job_id}-{secrets.token_hex(12)}.{extension}"


def open_for_writing(name: str):
    """The private path to write `name` to (as `<name>.part` until it is complete), folder made if missing."""
    storage = private_export_storage()
    final = Path(storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return final.with_name(final.name + ".part"), final


def path_of(name: str) -> Path:
    return Path(private_export_storage().path(name))


def delete(name: str) -> bool:
    if not name:
        return False
    storage = private_export_storage()
    existed = storage.exists(name)
    storage.delete(name)
    part = name + ".part"
    if storage.exists(part):
        storage.delete(part)
    return existed
