"""Respite settings: one file, configured from environment variables.

Development defaults are safe and convenient; production (``RESPITE_ENV=production``) fails closed:
no default secret, DEBUG off, secure cookies and HSTS on.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envsecret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME or from the file named by NAME_FILE (Docker/systemd secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


RESPITE_ENV = os.environ.get("RESPITE_ENV", "development")
PRODUCTION = RESPITE_ENV == "production"

DEBUG = envbool("DEBUG", default=False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105
SECRET_KEY = envsecret("SECRET_KEY", None if PRODUCTION else _DEV_SECRET)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set in production.")

# Fernet keys (urlsafe base64, 32 bytes), comma separated, newest first. Older keys still decrypt,
# so a key can be rotated: prepend a new key, run `respite rotate_keys`, then drop the old one.
_DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktaW5zZWN1cmUtZW5jcnlwdGlvbi1rZXk="  # noqa: S105
RESPITE_ENCRYPTION_KEYS = [
    k.strip()
    for k in (
        envsecret("RESPITE_ENCRYPTION_KEY", None if PRODUCTION else _DEV_ENCRYPTION_KEY) or ""
    ).split(",")
    if k.strip()
]
if not RESPITE_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "RESPITE_ENCRYPTION_KEY (or RESPITE_ENCRYPTION_KEY_FILE) must be set in production."
    )


def _keys_in_repository(secrets: list[str]) -> list[str]:
    """The secrets that appear in Respite's own files (code, docs, examples): public, so unusable.

    Reads the package and, when running from a checkout, the repository's docs and examples.
    Runs once at start-up in production only."""
    roots = [BASE_DIR]
    if (PROJECT_DIR / "pyproject.toml").exists():
        roots += [
            PROJECT_DIR / name
            for name in ("docs", "bench", "deploy", "README.md", "CONTRIBUTING.md")
        ]
        roots += list(PROJECT_DIR.glob("*.example")) + list(PROJECT_DIR.glob("*compose*.y*ml"))
        roots += list(PROJECT_DIR.glob(".env*"))
    needles = [s for s in secrets if s]
    found: set[str] = set()
    for root in roots:
        files = [root] if root.is_file() else (root.rglob("*") if root.is_dir() else [])
        for path in files:
            if not path.is_file() or path.suffix in {
                ".mo",
                ".pyc",
                ".png",
                ".ico",
                ".woff2",
                ".safetensors",
            }:
                continue
            try:
                if path.stat().st_size > 2_000_000:
                    continue
                text = path.read_text(errors="ignore")
            except OSError:
                continue
            found.update(n for n in needles if n in text)
    return [n for n in needles if n in found]


if PRODUCTION:
    # Fail closed: a key printed in this file or anywhere in the repository is known to everyone.
    _public = {_DEV_SECRET, _DEV_ENCRYPTION_KEY}
    _public.update(_keys_in_repository([SECRET_KEY, *RESPITE_ENCRYPTION_KEYS]))
    if SECRET_KEY in _public or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "SECRET_KEY is a development key, appears in Respite's repository, or is shorter than 40 "
            "characters. Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if any(k in _public for k in RESPITE_ENCRYPTION_KEYS):
        raise ImproperlyConfigured(
            "RESPITE_ENCRYPTION_KEY is the development key or appears in Respite's repository. Generate "
            "one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "respite.core",
    "respite.screening",
    "respite.directory",
    "respite.counseling",
    "respite.peers",
    "respite.pulse",
    "respite.assessments",
    "respite.credentialing",
    "respite.community",
    "respite.ops",
]

MIDDLEWARE = [
    # First: answers /healthz, /readyz and /metrics, and times every other request.
    "respite.ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: marks a session verified (django-otp), then keeps a password-only session of a
    # role that must use one away from every page but the second-factor pages.
    "django_otp.middleware.OTPMiddleware",
    "respite.core.middleware.TwoFactorMiddleware",
    "respite.core.middleware.StaffTimeZoneMiddleware",
    "respite.core.middleware.DjangoAdminGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "respite.core.middleware.NoStoreMiddleware",
    "respite.screening.errors.BrandedErrorMiddleware",
]

# Form widgets through Jinja2 (Django's own widget templates in their Jinja2 versions): a radio or
# select option is a few microseconds instead of a nested Django template each (issue 19).
FORM_RENDERER = "respite.core.renderers.FormRenderer"
# django-ninja's bundled Swagger UI page and files, for /api/v1/docs (never a CDN: the page works
# under the strict CSP; respite.api renders it). Found without importing ninja: as an installed app it
# was imported by every process at start-up, a fifth of the CPU of `respite score` (issue 19).
_ninja_spec = importlib.util.find_spec("ninja")
if _ninja_spec is None or not _ninja_spec.submodule_search_locations:
    raise ImproperlyConfigured("django-ninja is not installed (make install)")
_NINJA_DIR = Path(_ninja_spec.submodule_search_locations[0])

ROOT_URLCONF = "respite.urls"
WSGI_APPLICATION = "respite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", _NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                # csrf_token drawn with one read of the random source (Django's built-in one, which
                # always runs first, makes 32 to 64); the same token to Django's middleware.
                "respite.core.csrf.csrf",
                "respite.core.context_processors.portal",
                "respite.core.context_processors.staff",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (embedded, zero setup); PostgreSQL through DATABASE_URL.
_default_sqlite = PROJECT_DIR / "var" / "respite.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{_default_sqlite}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Django's backend, flushing the write-ahead log after each commit outside the write lock
    # (respite/core/backends/sqlite3/base.py); hence synchronous=NORMAL below, not FULL.
    DATABASES["default"]["ENGINE"] = "respite.core.backends.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on busy_timeout
        # instead of failing with "database is locked" when a read lock is upgraded.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL; "
            # secure_delete: deleted rows are overwritten with zeros, not left in free pages.
            "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Auth ------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:staff_home"
LOGOUT_REDIRECT_URL = "home"

# --- i18n --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static", _NINJA_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", PROJECT_DIR / "var" / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Request limits: refuse oversized bodies with 400 instead of reading them ------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security headers -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = (
    "respite.screening.errors.csrf_failure"  # branded, in the worker's language, with a retry
)
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": other sites never learn which page linked them. ("no-referrer" makes Chromium send
# "Origin: null" on same-site form posts, which Django's CSRF check rightly refuses.)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 8
# Database sessions whose stored expiry says at most the hour (core/sessions.py).
SESSION_ENGINE = "respite.core.sessions"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline scripts at all; the one inline <style> (the portal's brand colour) carries a nonce.
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Logging: never IP addresses, user agents, answers or free text ----------------------------
# LOG_FORMAT=json writes one JSON object per line (for journald/Loki/ELK); both formats are scrubbed.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"privacy": {"()": "respite.core.logging.PrivacyFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "respite.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["privacy"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's access log prints the client address; Respite keeps it out.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # WeasyPrint narrates every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Email (staff reminders and escalations only; workers are never emailed) ----------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Respite <respite@localhost>")
# Mail is sent by `respite worker`, never in a request; a hung server must not hold a worker forever.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)

# --- Background work (`respite worker`) -----------------------------------------------------------
# The queue is a table in Respite's own database: enqueued in the request's transaction, shared by
# every worker process on every machine.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds before each new try of an email that could not be sent (about a day in all).
RESPITE_TASK_RETRY_DELAYS = [
    int(s)
    for s in os.environ.get(
        "RESPITE_TASK_RETRY_DELAYS", "30,120,600,1800,3600,10800,21600,43200"
    ).split(",")
]
# Web Push for workers who opt in (RFC 8030/8291/8292). Without a key in production, push is not offered.
RESPITE_VAPID_PRIVATE_KEY = envsecret("RESPITE_VAPID_PRIVATE_KEY", "") or ""
RESPITE_VAPID_DEV_KEY_PATH = PROJECT_DIR / "var" / "vapid-dev.pem"
RESPITE_VAPID_SUBJECT = os.environ.get("RESPITE_VAPID_SUBJECT", "mailto:respite@localhost")
# The browsers' push services: the server posts to these hosts only (an endpoint comes from a browser).
RESPITE_PUSH_HOSTS = [
    h.strip().lower()
    for h in os.environ.get(
        "RESPITE_PUSH_HOSTS",
        "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com",
    ).split(",")
    if h.strip()
]
RESPITE_PUSH_INSECURE_HOSTS: list[str] = []  # tests only: a local push service over http
# A task still RUNNING after this many seconds belonged to a worker that died; it is queued again.
RESPITE_TASK_STALE_AFTER = envint("RESPITE_TASK_STALE_AFTER", 30 * 60)
# How often `respite worker` looks for periodic jobs that are due.
RESPITE_SCHEDULER_INTERVAL = envint("RESPITE_SCHEDULER_INTERVAL", 30)
# /readyz answers 503 once a due task has waited this long for a worker (no worker running?).
RESPITE_TASK_BACKLOG_MAX_AGE = envint("RESPITE_TASK_BACKLOG_MAX_AGE", 15 * 60)

# --- Respite ---------------------------------------------------------------------------------
# Public address of the portal, for links in emails sent from scheduled jobs (no request to ask).
RESPITE_SITE_URL = os.environ.get("RESPITE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
RESPITE_MIN_GROUP_SIZE = max(5, envint("RESPITE_MIN_GROUP_SIZE", 5))
RESPITE_MIN_GROUP_SIZE_TEXT = max(10, envint("RESPITE_MIN_GROUP_SIZE_TEXT", 10))
# Access-code throttle: strict per code, generous per network address (staff share hospital NAT).
RESPITE_CODE_FAILURES_PER_CODE = envint("RESPITE_CODE_FAILURES_PER_CODE", 5)
RESPITE_CODE_FAILURES_PER_ADDRESS = envint("RESPITE_CODE_FAILURES_PER_ADDRESS", 200)
RESPITE_THROTTLE_WINDOW_SECONDS = envint("RESPITE_THROTTLE_WINDOW_SECONDS", 15 * 60)
# Every access-code look-up answers after at least this many seconds, found or not, so the time a
# look-up takes says nothing about whether the code exists (see core.privacy.lookup_code).
RESPITE_CODE_LOOKUP_SECONDS = float(os.environ.get("RESPITE_CODE_LOOKUP_SECONDS", "0.1"))
# Reverse proxies (addresses or networks, comma separated) whose X-Forwarded-For is believed. Empty:
# the connecting address is the client. See docs/deploy.md and core.privacy.client_address.
# Calls of the anonymous credentialing auditor API per client network and throttle window.
RESPITE_ANONYMOUS_AUDITS_PER_ADDRESS = envint("RESPITE_ANONYMOUS_AUDITS_PER_ADDRESS", 60)
RESPITE_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("RESPITE_TRUSTED_PROXIES", "").split(",") if p.strip()
]
# Django admin is off in production unless an operator turns it on (its sign-in is throttled like
# the staff sign-in); every staff task has a console page.
RESPITE_DJANGO_ADMIN = envbool("RESPITE_DJANGO_ADMIN", not PRODUCTION)
# Two-factor sign-in (TOTP, django-otp) for every role that reads or routes worker content and for
# admins (respite.core.twofactor). Not an operator setting: only the test suite switches it off, for
# tests that are about something else.
RESPITE_TWO_FACTOR_REQUIRED = True
OTP_TOTP_ISSUER = os.environ.get("RESPITE_TOTP_ISSUER", "Respite")
# django-otp's own back-off is per device, so anyone holding the password could lock its owner out
# from anywhere; Respite's throttle below is per (account, network) instead.
OTP_TOTP_THROTTLE_FACTOR = 0
# Failed second-factor codes per account and client network, and per account from any network, in
# one throttle window (RESPITE_THROTTLE_WINDOW_SECONDS).
RESPITE_TWO_FACTOR_FAILURES_PER_NETWORK = envint("RESPITE_TWO_FACTOR_FAILURES_PER_NETWORK", 5)
RESPITE_TWO_FACTOR_FAILURES_PER_ACCOUNT = envint("RESPITE_TWO_FACTOR_FAILURES_PER_ACCOUNT", 30)
# Failed passwords (staff and Django admin sign-in) per account and client network in one throttle
# window, fewer in each window that follows an exhausted one; past the per-account figure (all networks
# together) only networks with no failure for that account this window may try. See
# core.privacy.check_account_sign_in.
RESPITE_SIGN_IN_FAILURES_PER_NETWORK = envint("RESPITE_SIGN_IN_FAILURES_PER_NETWORK", 5)
RESPITE_SIGN_IN_FAILURES_PER_ACCOUNT = envint("RESPITE_SIGN_IN_FAILURES_PER_ACCOUNT", 100)
RESPITE_CHROMIUM = os.environ.get("RESPITE_CHROMIUM", "/usr/bin/chromium")

# --- Operations (respite.ops): /metrics is off unless a bearer token or an allow list is set ----
RESPITE_METRICS_TOKEN = envsecret("RESPITE_METRICS_TOKEN", "") or ""
RESPITE_METRICS_ALLOW = [
    a.strip() for a in os.environ.get("RESPITE_METRICS_ALLOW", "").split(",") if a.strip()
]
