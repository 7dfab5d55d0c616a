"""Settings shared by every deployment; overlays change only what differs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("HEALTHBANK_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "captcha",
    "csp",
    "healthbank.core",
    "healthbank.audit",
    "healthbank.identity",
    "healthbank.accounts",
    "healthbank.devices",
    "healthbank.records",
    "healthbank.insurance",
    "healthbank.passbook",
    "healthbank.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "healthbank.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "healthbank.accounts.middleware.CitizenSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "healthbank.urls"
WSGI_APPLICATION = "healthbank.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "healthbank" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "healthbank.accounts.context_processors.kiosk",
            ]
        },
    }
]

# SQLite (embedded) unless DATABASE_URL names another database (PostgreSQL in production and CI).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'healthbank.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Our load balancers / reverse proxies (CIDR, comma-separated); only their X-Forwarded-For is believed.
TRUSTED_PROXIES = [r for r in os.environ.get("TRUSTED_PROXIES", "").split(",") if r.strip()]

# Sessions stay in the database (its clock is the application's); each request moves the idle expiry on.
SESSION_SAVE_EVERY_REQUEST = True

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "healthbank"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "healthbank_cache",
        }
    }

# Celery: Redis broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Taipei"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "healthbank" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Taipei"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "healthbank" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024  # above policy.INGEST_MAX_BODY_BYTES so we answer 413 ourselves

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "healthbank.records.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"device_bind": os.environ.get("DEVICE_BIND_RATE", "10/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HealthBank API",
    "DESCRIPTION": "Institution and agency ingestion API of HealthBank (健康存摺).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Keys for national IDs: a keyed hash (HMAC-SHA256) for look-ups and a Fernet key for storage.
# They come from the environment; overlays say where when it is not set.
NATIONAL_ID_HASH_KEY = os.environ.get("NATIONAL_ID_HASH_KEY", "")
NATIONAL_ID_ENCRYPTION_KEY = os.environ.get("NATIONAL_ID_ENCRYPTION_KEY", "")

# External government systems: adapters chosen here (healthbank/external/), simulators fed by data files.
EXTERNAL_ADAPTERS = {
    "household_registry": "healthbank.external.registry.SimulatedHouseholdRegistry",
    "mobile_carrier": "healthbank.external.carriers.SimulatedMobileCarriers",
    "citizen_certificate": "healthbank.external.certificates.SimulatedCertificateAuthority",
}
EXTERNAL_DATA_DIR = Path(os.environ.get("HEALTHBANK_EXTERNAL_DIR", VAR_DIR / "external"))
SIMULATED_CARDS_DIR = Path(os.environ.get("HEALTHBANK_CARDS_DIR", VAR_DIR / "cards"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
CARD_AGENT_URL = os.environ.get("CARD_AGENT_URL", "http://127.0.0.1:7777")  # cardagent on the person's computer

# Content-Security-Policy (django-csp): scripts, styles and images only from our own static files; no inline
# script, style attribute or handler anywhere. Pages may also talk to the card agent on the person's own
# loopback address (any port, so an agent moved to another port still works). Swagger UI gets what it needs
# on its own view (healthbank/urls.py).
_agent = urlsplit(CARD_AGENT_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "media-src": [SELF],
        "connect-src": [SELF, f"{_agent.scheme}://{_agent.hostname}:*"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = "HealthBank <no-reply@healthbank.example>"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "healthbank.core.logfilter.MaskNationalIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_ids"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request lines carry query strings (an operator's search by national ID): mask them too.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# Captcha on the web logins (django-simple-captcha): large digits, light noise, and the digits read
# aloud in the page's language by Debian's espeak-ng (Mandarin) and flite (English, its clear 16 kHz voice);
# a language without its program falls back to the other, and with neither the page offers no audio.
CAPTCHA_CHALLENGE_FUNCT = "healthbank.accounts.captcha.digits_challenge"
CAPTCHA_TIMEOUT = 5  # minutes
CAPTCHA_IMAGE_SIZE = (220, 72)
CAPTCHA_FONT_SIZE = 46
CAPTCHA_LETTER_ROTATION = (-8, 8)
CAPTCHA_FOREGROUND_COLOR = "#1d2b36"
CAPTCHA_NOISE_FUNCTIONS = ("captcha.helpers.noise_arcs",)
CAPTCHA_FILTER_FUNCTIONS = ()
CAPTCHA_VOICES = {  # language: (command with {text} and {out}, what goes between two digits)
    language: voice
    for language, voice in (
        ("zh-hant", (["espeak-ng", "-v", "cmn", "-s", "130", "-w", "{out}", "{text}"], "，")),
        ("en", (["flite", "-voice", "slt", "-t", "{text}", "-o", "{out}"], ", ")),
    )
    if shutil.which(voice[0][0])
}
# The library reads this only as "audio on" (its widget and refresh view); its own flite-only audio view is
# replaced by healthbank.accounts.captcha.captcha_audio (healthbank/urls.py).
CAPTCHA_FLITE_PATH = shutil.which("flite") or shutil.which("espeak-ng")
