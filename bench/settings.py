"""Settings for bench/bench_site.py: production settings, made runnable on 127.0.0.1.

Everything comes from cms.settings.production (DEBUG off, whitenoise, compressed manifest
static files, the same middleware and caches); only what stops production from running locally
over plain HTTP is changed, plus where the bench keeps its own database, media and static files.
"""

import os
from pathlib import Path

# production refuses to start without SECRET_KEY, so give it one before importing it.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

from cms.settings.env import database_from_url, env_int, env_str
from cms.settings.production import *  # noqa: F403

BENCH_DIR = Path(__file__).resolve().parent
BENCH_DATA_DIR = BENCH_DIR / ".data"
BENCH_PORT = env_int("BENCH_PORT", 8799)

# Plain HTTP on the loopback interface.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

ROOT_URLCONF = "bench.urls"

DATABASES = {
    "default": database_from_url(
        env_str("BENCH_DATABASE_URL") or f"sqlite:///{BENCH_DATA_DIR / 'bench.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}

# bench_forms.py keeps the demo's PDFs and images in a directory of its own and removes it afterwards.
MEDIA_ROOT = Path(env_str("BENCH_MEDIA_ROOT") or BENCH_DATA_DIR / "media")
STATIC_ROOT = BENCH_DATA_DIR / "static"

# By default no db_worker runs during a bench: everything happens inside the request or the build.
# bench/bench_forms.py sets BENCH_BACKGROUND_TASKS_BACKEND=django_tasks_db.DatabaseBackend for its
# queued mode (and runs `manage.py db_worker --backend background` itself). A bench-only name, so a
# BACKGROUND_TASKS_BACKEND left in the shell from production cannot change bench_site.py's figures.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {
        "BACKEND": env_str("BENCH_BACKGROUND_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
        "QUEUES": ["default"],
    },
}

WAGTAILADMIN_BASE_URL = f"http://127.0.0.1:{BENCH_PORT}"
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAIL_HEADLESS_PREVIEW = {
    **WAGTAIL_HEADLESS_PREVIEW,  # noqa: F405
    "CLIENT_URLS": {"default": HEADLESS_PREVIEW_URL or WAGTAILADMIN_BASE_URL},  # noqa: F405
}

# Nothing is sent anywhere during a bench.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
