"""Settings shared by every environment. Everything deployment-specific comes from the environment
(see the table in README.md); with nothing set you get SQLite and an in-process cache."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from .env import (
    database_from_url,
    env_bool,
    env_currency,
    env_currency_rates,
    env_int,
    env_list,
    env_provider_secrets,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core",
    "cms",
    "forms",
    "events",
    "personalization",
    "leads",
    "sales",
    "outbox",
    "campaigns",
    "reports",
    "anymail",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "wagtail_headless_preview",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "corsheaders",
    "axes",  # admin login throttling
    "csp",  # its system checks and {% load csp %}
    "ninja",  # the API docs (/api/v1/docs) serve Swagger UI from ninja's static files, not a CDN
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
]

MIDDLEWARE = [
    # Outermost: whatever any layer below answers, a redirect never leaves for a scheme-relative URL.
    "core.redirects.OffSiteRedirectGuard",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Security headers of every response but static files (see core/csp.py for the choice by path).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "core.csp.PermissionsPolicyByViewMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # A query string no view should see (NUL, undecodable bytes, ids no database holds) is a 400 naming
    # the parameter, before sessions, visitors or views read it; after CORS so front ends can read why.
    "core.edge.QueryStringGuard",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "personalization.middleware.VisitorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: refuses a login attempt from a locked-out account or address.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # site/ holds the public site's templates and no Python (see DESIGN.md).
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database: SQLite file unless DATABASE_URL says otherwise -------------------------------
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
# A read replica of it for reports and exports (core/read_replica.py says which reads go there). Tests
# take it as the primary's mirror: the same test database, through a connection of its own.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    from django.core.exceptions import ImproperlyConfigured

    try:
        DATABASES["replica"] = database_from_url(
            DATABASE_REPLICA_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
        ) | {"TEST": {"MIRROR": "default"}}
    except ImproperlyConfigured as error:  # its message names DATABASE_URL: name the variable that was wrong
        raise ImproperlyConfigured(str(error).replace("DATABASE_URL", "DATABASE_REPLICA_URL")) from None
    DATABASE_ROUTERS = ["core.read_replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions: in-process unless REDIS_URL is set ---------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "signalpage"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"


# --- Background work ------------------------------------------------------------------------
# Wagtail's own housekeeping (search index, reference index) runs on "default"; keeping that
# immediate means publishing never waits on a worker. Our own slow work (CRM push, emails,
# rescoring, big exports) goes to "background", which is the database queue in production.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {
        "BACKEND": env_str("BACKGROUND_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
        "QUEUES": ["default"],
    },
}

# --- Admin login throttling (django-axes) ------------------------------------------------------
# Every login goes through Axes first: after LOGIN_FAILURE_LIMIT wrong passwords an account is locked
# (from any address) and so is the address (for any account), each for LOGIN_LOCKOUT_MINUTES; a
# lock-out is logged (core.logins). The client address is REMOTE_ADDR, as everywhere in the product:
# behind a proxy, let the platform's proxy settings put the client's address there.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.logins.lockout_response"
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lock-outs are still logged

# Workers (`manage.py db_worker`, core.workers): a heartbeat every WORKER_HEARTBEAT_SECONDS; a worker
# silent for WORKER_DEAD_AFTER_SECONDS is dead and its tasks run again elsewhere (at most
# WORKER_MAX_TASK_RUNS times in all); every WORKER_SWEEP_SECONDS the apps' sweeps below run.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15)
WORKER_DEAD_AFTER_SECONDS = env_int("WORKER_DEAD_AFTER_SECONDS", 120)
WORKER_SWEEP_SECONDS = env_int("WORKER_SWEEP_SECONDS", 60)
WORKER_MAX_TASK_RUNS = env_int("WORKER_MAX_TASK_RUNS", 3)
# Anonymous behaviour (page views of visitors nobody has identified) is kept this many days, then
# deleted by `manage.py purge_anonymous_behaviour` (run it daily): what joins a person stays theirs.
ANONYMOUS_BEHAVIOUR_RETENTION_DAYS = env_int("ANONYMOUS_BEHAVIOUR_RETENTION_DAYS", 90)
# Web behaviour into the lead store (leads.behaviour): off, pages still personalise but no page view
# reaches a person's history or score. The switch an operator pulls without a deploy, and what the
# serving bench compares (bench/bench_recording.py).
BEHAVIOUR_RECORDING = env_bool("BEHAVIOUR_RECORDING", True)

WORKER_SWEEPS = [
    "outbox.services.outbox_sweep",  # emails due whose task was lost; emails a dead worker was sending
    "leads.services.crm.crm_pushes_sweep",  # CRM pushes due whose task was lost
    "leads.services.capture.leads_unprocessed_sweep",  # captured leads never processed
    "leads.behaviour.page_views_sweep",  # buffered page views whose flush task was lost
    "campaigns.tracking_buffer.tracking_sweep",  # buffered campaign opens and clicks (held 15 s for the trap)
    "campaigns.sending.campaigns_sending_sweep",  # campaign email: dead senders, scheduled sends, A/B winners
    "reports.rollups.rollups_sweep",  # the reports' rollups: journeys of people marked changed
    "reports.digest.digest_sweep",  # the weekly digest: each subscriber's week from Monday 07:00 site time
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "static_collected")
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env_str("SITE_NAME", "Northwind Signal")
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {
    # modelsearch picks PostgreSQL full-text search itself when the database is PostgreSQL.
    "default": {"BACKEND": "modelsearch.backends.database"},
}
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # documents go through Wagtail's view so privacy holds
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "pptx", "xlsx", "csv", "txt", "zip"]
# Refuses moving a gated whitepaper's PDF to a public collection (cms.gated_documents).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.documents.DocumentForm"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "avif", "svg"]
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_ENABLE_UPDATE_CHECK = False

# --- Headless -------------------------------------------------------------------------------
# The public site's address, for links in emails sent by background tasks (no request to ask).
SITE_BASE_URL = env_str("SITE_BASE_URL", WAGTAILADMIN_BASE_URL)
# Events: how long after the end the thank-you and sorry-we-missed-you emails go out.
EVENTS_FOLLOW_UP_DELAY_MINUTES = env_int("EVENTS_FOLLOW_UP_DELAY_MINUTES", 120)
WAGTAILAPI_BASE_URL = env_str("WAGTAILAPI_BASE_URL", WAGTAILADMIN_BASE_URL)
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_LIMIT_MAX = 100
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
# A headless front end's preview route, e.g. https://www.example.com/api/preview; empty turns
# the "Headless front end" preview mode off and editors use the built-in site preview.
HEADLESS_PREVIEW_URL = env_str("HEADLESS_PREVIEW_URL")
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": HEADLESS_PREVIEW_URL or WAGTAILADMIN_BASE_URL},
    "ENFORCE_TRAILING_SLASH": False,
}
# How long a preview token handed to the front end stays valid.
HEADLESS_PREVIEW_TOKEN_MAX_AGE = env_int("HEADLESS_PREVIEW_TOKEN_MAX_AGE", 60 * 60)

# --- Content-Security-Policy and Permissions-Policy (core/csp.py picks the policy by path) ----------
# The two hosts our video players come from (cms.blocks.video_embed_url, events.views.embed_url). Any
# page's body may hold a video block, which swaps in a player iframe when the visitor presses play,
# and pages are served from the output cache (HTML only, no per-view headers): so these two are
# allowed as frames everywhere rather than per page. Nothing else comes from another host.
VIDEO_PLAYER_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
# The public site: our own files only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Scripts from our origin, or inline with this response's nonce: no inline handlers, no eval
        # (htmx runs with allowEval off, see base.html). JSON-LD is data, which CSP does not block.
        "script-src": [SELF, NONCE],
        "style-src": [SELF],  # no <style> and no style="": everything is in the static CSS
        "img-src": [SELF, "data:"],  # data: for SVG and QR codes written into the page
        "frame-src": [SELF, *VIDEO_PLAYER_ORIGINS],
        # Only our own pages may frame ours: the page editor's preview panel frames the page, rendered
        # for a request with the page's own path (so under this policy, not the admin's).
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# The Wagtail admin: Wagtail's widgets and panels print inline <script> and style="" with no nonce
# (wagtail/wagtail#1288), so 'unsafe-inline' stays for scripts and styles; nothing in it uses an
# inline event handler (script-src-attr 'none'), eval, or another host. blob: for images Wagtail
# shows before upload; frames for the preview (the headless front end's when one is configured).
_headless_origin = "{0.scheme}://{0.netloc}".format(urlsplit(HEADLESS_PREVIEW_URL)) if HEADLESS_PREVIEW_URL else None
CONTENT_SECURITY_POLICY_ADMIN = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": [SELF, UNSAFE_INLINE],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "frame-src": [SELF, *VIDEO_PLAYER_ORIGINS, *([_headless_origin] if _headless_origin else [])],
    },
}
# Avatars come from our own server, not Gravatar: the admin loads nothing from another host either.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Browser features nobody on the site needs are off, also for frames; the video players may autoplay
# (after the visitor pressed play), go full screen and play protected media. Only features Chromium
# knows (it logs an error for each unknown one: interest-cohort, ambient-light-sensor, bluetooth...).
_players = ["self", *VIDEO_PLAYER_ORIGINS]
PERMISSIONS_POLICY = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "browsing-topics",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "otp-credentials",
            "payment",
            "screen-wake-lock",
            "serial",
            "usb",
            "window-management",
            "xr-spatial-tracking",
        )
    },
    "autoplay": _players,
    "encrypted-media": _players,
    "fullscreen": _players,
    "picture-in-picture": _players,
}
# Views (by URL name) that need more: the door's check-in screen scans tickets with the camera.
PERMISSIONS_POLICY_VIEWS = {"wagtailsnippets_events_event:check_in": {"camera": ["self"]}}

# --- CRM push (leads) ------------------------------------------------------------------------
# MQLs and fast-lane leads are POSTed here as signed JSON; empty keeps them queued (never lost).
CRM_WEBHOOK_URL = env_str("CRM_WEBHOOK_URL")
CRM_WEBHOOK_SECRET = env_str("CRM_WEBHOOK_SECRET")
CRM_WEBHOOK_TIMEOUT = env_int("CRM_WEBHOOK_TIMEOUT", 10)
CRM_MAX_ATTEMPTS = env_int("CRM_MAX_ATTEMPTS", 10)

# --- Gated forms -----------------------------------------------------------------------------
# The first-party cookie that tells a returning visitor apart (progressive profiling, skipping a gate).
VISITOR_COOKIE_NAME = env_str("VISITOR_COOKIE_NAME", "sp_vid")
VISITOR_COOKIE_MAX_AGE = env_int("VISITOR_COOKIE_MAX_AGE", 365 * 24 * 3600)
# The visitor's country, as a CDN or load balancer puts it in a header (Cloudflare: CF-IPCountry,
# CloudFront: CloudFront-Viewer-Country). Decides the consent policy until the visitor answers.
VISITOR_COUNTRY_HEADER = env_str("VISITOR_COUNTRY_HEADER", "CF-IPCountry")
# --- Personalisation -------------------------------------------------------------------------
# "always": remember visitors (cookie, visit history) from the first page view; "opt-in": only
# once the site's consent banner has set PERSONALIZATION_CONSENT_COOKIE to "granted" (or "1").
# Without it, visitors still get content for what this request says (campaign, device, country).
PERSONALIZATION_CONSENT_MODE = env_str("PERSONALIZATION_CONSENT_MODE", "always")
if PERSONALIZATION_CONSENT_MODE not in ("always", "opt-in"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"PERSONALIZATION_CONSENT_MODE is {PERSONALIZATION_CONSENT_MODE!r}: use 'always' or 'opt-in'."
    )
PERSONALIZATION_CONSENT_COOKIE = env_str("PERSONALIZATION_CONSENT_COOKIE", "sp_consent")
# Browsers sending the Global Privacy Control signal (Sec-GPC: 1) are not tracked.
PERSONALIZATION_HONOR_GPC = env_bool("PERSONALIZATION_HONOR_GPC", True)
# A visit ends after this many minutes without a page view (the next page view starts a new visit).
PERSONALIZATION_VISIT_GAP_MINUTES = env_int("PERSONALIZATION_VISIT_GAP_MINUTES", 30)
# A visitor's row is written once per visit and after this many page views in one visit.
PERSONALIZATION_SAVE_EVERY = env_int("PERSONALIZATION_SAVE_EVERY", 10)
# A repeat view that changes nothing segments read is not written to the visitor's cached state at once:
# its counters wait in the process until the next change, this long at most (seconds), or a sweep.
PERSONALIZATION_TOUCH_SECONDS = env_int("PERSONALIZATION_TOUCH_SECONDS", 60)
# Variant statistics are counted in the process and written this often (seconds).
PERSONALIZATION_STATS_FLUSH_SECONDS = env_int("PERSONALIZATION_STATS_FLUSH_SECONDS", 10)
# Rendered personalised pages are cached per (page revision, segment fingerprint) this long.
PERSONALIZATION_PAGE_CACHE_SECONDS = env_int("PERSONALIZATION_PAGE_CACHE_SECONDS", 300)
# Bearer tokens that may ask the content API for every variant (?variants=all), e.g. for edge rendering.
PERSONALIZATION_API_TOKENS = env_list("PERSONALIZATION_API_TOKENS")
# POST /api/v1/track (page views and custom events from headless front ends): events accepted per
# visitor id and per client address, "count/seconds", counted in the cache; past them the call is a 429.
# A reader sends a page view every few seconds at most; an office behind one address has many readers.
TRACK_RATE_LIMIT_VISITOR = env_rate("TRACK_RATE_LIMIT_VISITOR", "300/600")
TRACK_RATE_LIMIT_IP = env_rate("TRACK_RATE_LIMIT_IP", "3000/600")

# Spam and abuse: "count/seconds" windows, counted in the cache (shared across processes with Redis).
FORMS_RATE_LIMIT_IP = env_rate("FORMS_RATE_LIMIT_IP", "60/600")
FORMS_RATE_LIMIT_EMAIL = env_rate("FORMS_RATE_LIMIT_EMAIL", "10/3600")
FORMS_MIN_FILL_SECONDS = env_int("FORMS_MIN_FILL_SECONDS", 3)
FORMS_TOKEN_MAX_AGE = env_int("FORMS_TOKEN_MAX_AGE", 24 * 3600)
FORMS_MAX_BODY_BYTES = env_int("FORMS_MAX_BODY_BYTES", 64 * 1024)
# How long a gated download link (shown after the form and emailed) keeps working.
GATED_DOWNLOAD_MAX_AGE = env_int("GATED_DOWNLOAD_MAX_AGE", 7 * 24 * 3600)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Northwind Signal <hello@northwind-signal.example>")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# A hung mail server must fail a send well before an email stuck "being sent" is retried (the
# outbox's OUTBOX_SENDING_TIMEOUT_MINUTES; `manage.py check` warns when they are too close).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# The outbox (every email the product sends): attempts before an email is "failed" (the admin's
# Outbox, "Send again"), the longest wait between two (1, 2, 4 ... minutes up to it), how long an
# email may stay "being sent" before its worker counts as dead, and how long a due email may wait
# for its task before the sweep queues it again.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_MAX_BACKOFF_MINUTES = env_int("OUTBOX_MAX_BACKOFF_MINUTES", 120)
OUTBOX_SENDING_TIMEOUT_MINUTES = env_int("OUTBOX_SENDING_TIMEOUT_MINUTES", 15)
OUTBOX_REQUEUE_AFTER_MINUTES = env_int("OUTBOX_REQUEUE_AFTER_MINUTES", 10)

# Campaign email (docs/email.md). Bulk senders need marketing mail apart from transactional mail: its own
# From address (on a domain with SPF, DKIM and DMARC aligned). Its own backend too: SMTP (the same server
# settings as above) by default, or an email service provider through django-anymail, e.g.
# CAMPAIGN_EMAIL_BACKEND=anymail.backends.amazon_ses.EmailBackend with the provider's keys in ANYMAIL_*.
CAMPAIGN_FROM_EMAIL = env_str("CAMPAIGN_FROM_EMAIL", "Northwind Signal news <news@northwind-signal.example>")
CAMPAIGN_EMAIL_BACKEND = env_str("CAMPAIGN_EMAIL_BACKEND") or EMAIL_BACKEND
# The mailto: of List-Unsubscribe (RFC 8058 asks for an HTTPS link; many clients also want a mailto).
CAMPAIGN_UNSUBSCRIBE_MAILTO = env_str("CAMPAIGN_UNSUBSCRIBE_MAILTO", "unsubscribe@northwind-signal.example")
# How many recipients one sending task claims at a time (one SMTP connection each), and how long a claimed
# recipient may stay "being sent" before its worker counts as dead and another takes it up.
CAMPAIGN_SEND_CHUNK = env_int("CAMPAIGN_SEND_CHUNK", 100)
CAMPAIGN_SENDING_TIMEOUT_MINUTES = env_int("CAMPAIGN_SENDING_TIMEOUT_MINUTES", 5)
# Sending tasks per campaign at once (one per worker is enough: two workers, two), and attempts at a
# recipient the mail server refuses for now (4xx) before the row is "failed" (1, 2, 4, 8 minutes apart).
CAMPAIGN_SEND_PARALLEL = env_int("CAMPAIGN_SEND_PARALLEL", 2)
CAMPAIGN_MAX_ATTEMPTS = env_int("CAMPAIGN_MAX_ATTEMPTS", 5)
# Anymail: the provider's keys and the shared secret of its tracking webhook (bounces, complaints), as
# "user:password" in the webhook URL the provider calls (/email/anymail/<esp>/tracking/).
ANYMAIL = {key[len("ANYMAIL_") :]: value for key, value in os.environ.items() if key.startswith("ANYMAIL_") and value}

# Lead imports (CSV/XLSX): uploads hold personal data, so they live outside MEDIA_ROOT's public
# folders (default: private-media/lead-imports beside MEDIA_ROOT), shared by web servers and workers.
LEAD_IMPORT_ROOT = env_str("LEAD_IMPORT_ROOT") or None
LEAD_IMPORT_MAX_BYTES = env_int("LEAD_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
LEAD_IMPORT_MAX_ROWS = env_int("LEAD_IMPORT_MAX_ROWS", 200_000)
LEAD_IMPORT_BATCH_SIZE = env_int("LEAD_IMPORT_BATCH_SIZE", 1000)
LEAD_IMPORT_KEEP_DAYS = env_int("LEAD_IMPORT_KEEP_DAYS", 7)

# Sales exports (CSV/XLSX of the sales workspace's lists). Up to INLINE_MAX_ROWS rows download in the
# request; bigger lists are written by a background task to a private folder (default:
# private-media/sales-exports beside MEDIA_ROOT, shared by web servers and workers), kept KEEP_DAYS.
SALES_EXPORT_ROOT = env_str("SALES_EXPORT_ROOT") or None
SALES_EXPORT_INLINE_MAX_ROWS = env_int("SALES_EXPORT_INLINE_MAX_ROWS", 5000)
SALES_EXPORT_KEEP_DAYS = env_int("SALES_EXPORT_KEEP_DAYS", 7)
SALES_EXPORT_BATCH_SIZE = env_int("SALES_EXPORT_BATCH_SIZE", 2000)
SALES_EXPORT_PROGRESS_EVERY = env_int("SALES_EXPORT_PROGRESS_EVERY", 5000)
# A queued or running export older than this can be run again (its worker died or none is running).
SALES_EXPORT_STUCK_MINUTES = env_int("SALES_EXPORT_STUCK_MINUTES", 60)
# On PostgreSQL, read the next batch in a second connection while the current one is written.
SALES_EXPORT_PREFETCH = env_bool("SALES_EXPORT_PREFETCH", True)

# --- Demo -----------------------------------------------------------------------------------
# load_demo creates a demo superuser only where this is on; production settings force it off.
DEMO_USER_ENABLED = env_bool("DEMO_USER_ENABLED", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The task framework logs every task start and finish at INFO; failures still show.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}


# --- Lead intake webhooks (forms) -----------------------------------------------------------
# Providers allowed to POST leads to /api/v1/intake/<provider>, each with its own signing secret.
LEAD_INTAKE_SECRETS = env_provider_secrets("LEAD_INTAKE_SECRETS")
LEAD_INTAKE_MAX_BODY_BYTES = env_int("LEAD_INTAKE_MAX_BODY_BYTES", 64 * 1024)
# A signed call is accepted only this many seconds either side of its X-Signalpage-Timestamp.
LEAD_INTAKE_REPLAY_WINDOW = env_int("LEAD_INTAKE_REPLAY_WINDOW", 300)


# --- CRM feedback webhook (leads) -----------------------------------------------------------
# The CRM posts its opportunities' changes to /api/v1/crm/feedback signed with this secret; unset, the
# webhook is off (404). See docs/crm-feedback.md.
CRM_FEEDBACK_SECRET = env_str("CRM_FEEDBACK_SECRET")
CRM_FEEDBACK_MAX_BODY_BYTES = env_int("CRM_FEEDBACK_MAX_BODY_BYTES", 16 * 1024)
# A signed call is accepted only this many seconds either side of its X-Signalpage-Timestamp.
CRM_FEEDBACK_REPLAY_WINDOW = env_int("CRM_FEEDBACK_REPLAY_WINDOW", 300)
# Revenue is reported in one currency; a deal in another is converted at these fixed rates when it
# arrives (a deal in a currency without a rate is refused, 422 naming "currency").
REPORT_CURRENCY = env_currency("REPORT_CURRENCY", "EUR")
REPORT_CURRENCY_RATES = env_currency_rates("REPORT_CURRENCY_RATES")
