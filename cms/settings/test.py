"""The pytest suite."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One folder per xdist worker: each worker removes its own when it finishes.
MEDIA_ROOT = BASE_DIR / ".pytest-media" / os.environ.get("PYTEST_XDIST_WORKER", "main")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Tests render templates without running collectstatic first.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILAPI_BASE_URL = "http://testserver"
# Variant statistics are written at once, so a test reads what a request counted.
PERSONALIZATION_STATS_FLUSH_SECONDS = 0
# Campaign opens and clicks are written by the test that flushes them, never by a timer thread later.
CAMPAIGN_TRACKING_FLUSH_TIMER = False
