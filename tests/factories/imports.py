"""Files to import (CSV in any encoding and delimiter, XLSX) and users with or without the import permission."""

import csv
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile


def csv_bytes(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def admin_user(username, *, can_import=True):
    """A Wagtail admin user (not a superuser), with or without "Can import leads"."""
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-import-123")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    if can_import:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="leadforms", codename="import_leads"))
    return user
