"""The file as a whole: its size and row limits, reading an upload, and the error that refuses it."""

import os
from pathlib import Path

from django.conf import settings


class ImportFileError(ValueError):
    """The file cannot be imported at all; the message says why and what to do."""


def max_bytes() -> int:
    return int(getattr(settings, "EVENT_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "EVENT_IMPORT_MAX_ROWS", 2_000))


def read_upload(file) -> tuple[bytes, str]:
    """(bytes, file name) from an upload, an open binary file, a path or bytes; the size limit first."""
    limit = max_bytes()
    if isinstance(file, bytes | bytearray):
        data, name = bytes(file), ""
    elif isinstance(file, str | os.PathLike):
        path = Path(file)
        if path.stat().st_size > limit:
            raise ImportFileError(too_big(path.stat().st_size))
        data, name = path.read_bytes(), path.name
    else:
        size = getattr(file, "size", None)
        if size and size > limit:
            raise ImportFileError(too_big(size))
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)  # never more than the limit in memory, whatever the upload claims
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = os.path.basename(getattr(file, "name", "") or "")
    if len(data) > limit:
        raise ImportFileError(too_big(len(data)))
    return data, name


def too_big(size: int) -> str:
    return (
        f"The file is {size / (1024 * 1024):.1f} MB; the limit is {max_bytes() / (1024 * 1024):.0f} MB. "
        f"Split the season into smaller files."
    )


def too_many(limit: int, what: str) -> str:
    return f"The file has more than {limit:,} {what}, the most one import takes: split it into smaller files."
