"""Settings shared by every deployment; overlays change only what differs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

from healthbank import policy

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
    "axes",
    "csp",
    "oauth2_provider",
    "healthbank.core",
    "healthbank.audit",
    "healthbank.identity",
    "healthbank.accounts",
    "healthbank.devices",
    "healthbank.records",
    "healthbank.insurance",
    "healthbank.access",
    "healthbank.passbook",
    "healthbank.exports",
    "healthbank.vcard",
    "healthbank.staff",
    "healthbank.mobile",
    "healthbank.fhir",
    "healthbank.connect",
    "healthbank.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the outage middleware: the 503 page that replaces a failed response still gets its CSP header.
    "csp.middleware.CSPMiddleware",
    "healthbank.middleware.DependencyOutageMiddleware",
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
    "healthbank.middleware.NoStoreAppApiMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out staff login into the lockout page
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
# Persistent connections are checked before reuse (conn_health_checks), so the first request of each
# worker after a PostgreSQL restart reconnects instead of failing on a dead socket.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'healthbank.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:  # a database that does not answer is an outage (503) after seconds, not a worker held for minutes
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Our load balancers / reverse proxies (CIDR, comma-separated); only their X-Forwarded-For is believed.
TRUSTED_PROXIES = [r for r in os.environ.get("TRUSTED_PROXIES", "").split(",") if r.strip()]

# Sessions stay in the database (its clock is the application's); each request moves the idle expiry on.
SESSION_SAVE_EVERY_REQUEST = True

REDIS_URL = os.environ.get("REDIS_URL", "")
# One stuck Redis must not hold every worker: short socket timeouts (a login then answers 503 at once,
# healthbank.core.outage), and one reconnect on a dropped connection (after a Redis restart), none on a timeout.
CACHE_SOCKET_TIMEOUT = float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.5"))
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as _RedisConnectionError
    from redis.retry import Retry

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "healthbank"),
            "OPTIONS": {
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
                "socket_timeout": CACHE_SOCKET_TIMEOUT,
                "retry": Retry(NoBackoff(), 1, supported_errors=(_RedisConnectionError,)),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "healthbank_cache",
            # Django culls a third of the table (by key order) past 300 rows: the virtual card's one-time marks
            # (vcard:latest, vcard:used) would be the first to go. Expired rows are culled first either way.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

# Celery: Redis broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Taipei"
# A broker that is away fails a hand-over at once (refused) or within 2 s (frozen); the outbox sweep delivers
# later. The socket timeout stays above the worker's 1 s BRPOP poll.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is acknowledged when done, so one a killed worker held runs again (the outbox claims make that safe).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "deliver-pending-emails": {
        "task": "healthbank.accounts.tasks.deliver_pending_emails",
        "schedule": policy.OUTBOX_SWEEP_EVERY.total_seconds(),
    },
    "sweep-download-packages": {
        "task": "healthbank.exports.tasks.sweep_exports_task",
        "schedule": policy.DOWNLOAD_SWEEP_EVERY.total_seconds(),
    },
    "ebill-ready-notices": {  # 電子繳款單: the previous month's bill, once a month (insurance/ebill.py)
        "task": "healthbank.insurance.tasks.send_ebill_notices_task",
        "schedule": crontab(minute=0, hour=8, day_of_month=str(policy.EBILL_NOTICE_DAY)),
    },
    "clear-expired-oauth-tokens": {  # issue 14: used codes' leftovers, expired tokens (DOT's clear_expired)
        "task": "healthbank.connect.tasks.clear_expired_tokens",
        "schedule": crontab(minute=30, hour=3),
    },
    "forget-ended-attempt-windows": {
        "task": "healthbank.accounts.tasks.forget_ended_attempt_windows",
        "schedule": 3600.0,
    },
}

# Staff login (the operator pages): django-axes refuses a user name + address pair after
# OPERATOR_LOGIN_MAX_FAILURES failures for OPERATOR_LOGIN_COOL_OFF, so nobody elsewhere can lock
# an operator out, and a lock ends by itself (decisions.md). Citizens never use Django's auth.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = policy.OPERATOR_LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = policy.OPERATOR_LOGIN_COOL_OFF
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "healthbank.core.http.client_address"
AXES_LOCKOUT_CALLABLE = "healthbank.staff.lockout.locked_out"
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged

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
    "DEFAULT_PARSER_CLASSES": ["healthbank.core.api.JSONParser"],
    "EXCEPTION_HANDLER": "healthbank.core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"device_bind": os.environ.get("DEVICE_BIND_RATE", "10/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HealthBank API",
    "DESCRIPTION": "Institution and agency ingestion API and the mobile app API of HealthBank (健康存摺).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"SerologyResultEnum": ["", "positive", "negative"]},  # hbsag and anti_hcv share it
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "healthbank.core.api.document_outages",  # every operation may answer 503 (with Retry-After)
        "healthbank.core.api.document_body_limit",  # every operation with a body may answer 413
        "healthbank.passbook.api.common.document_passbook_parameters",  # passbook parameters may answer 400
    ],
}

# Keys for national IDs: a keyed hash (HMAC-SHA256) for look-ups and a Fernet key for storage.
# They come from the environment; overlays say where when it is not set.
NATIONAL_ID_HASH_KEY = os.environ.get("NATIONAL_ID_HASH_KEY", "")
NATIONAL_ID_ENCRYPTION_KEY = os.environ.get("NATIONAL_ID_ENCRYPTION_KEY", "")

# Log in with HealthBank (OpenID Connect) and connected health apps (issue 14): django-oauth-toolkit, its
# application model ours (connect.Application). The signing keys and the pairwise-subject key are set by each
# overlay from the environment or OIDC_KEY_DIR (settings/keys.py oidc_keys; docs/operations.md).
OAUTH2_PROVIDER_APPLICATION_MODEL = "connect.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"  # DOT's own; named so our models may refer to it
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105 - a model name
OIDC_KEY_DIR = Path(os.environ.get("HEALTHBANK_OIDC_KEY_DIR", VAR_DIR / "oidc-keys"))
# Whether this system's people are synthetic (generate_population): only then may a sandbox app connect them.
CONNECT_PEOPLE_ARE_SYNTHETIC = False
CONNECT_PAIRWISE_KEY = ""
# The demo agency's registration (client id and secret) for demo/taxfiling.py, written by --demo-logins.
DEMO_TAX_FILING_CONFIG = VAR_DIR / "demo-taxfiling.json"
# The demo health app's registration for demo/healthapp.py (血糖日記, a sandbox app), written by --demo-logins.
DEMO_HEALTH_APP_CONFIG = VAR_DIR / "demo-healthapp.json"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OAUTH2_VALIDATOR_CLASS": "healthbank.connect.oidc.Validator",
    "OIDC_SERVER_CLASS": "healthbank.connect.oidc.Server",
    "SCOPES_BACKEND_CLASS": "healthbank.connect.scopes.ScopesBackend",
    "APPLICATION_ADMIN_CLASS": "healthbank.connect.admin.ApplicationAdmin",
    "PKCE_REQUIRED": True,
    # RFC 9700: S256 only, no implicit or password grant, tokens kept as hashes, the issuer in the response.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REQUEST_APPROVAL_PROMPT": "force",  # the person sees the consent page every time
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["pairwise"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": policy.CONNECT_AUTHORIZATION_CODE_SECONDS,
    "ACCESS_TOKEN_EXPIRE_SECONDS": policy.CONNECT_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": policy.CONNECT_ID_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": policy.CONNECT_REFRESH_TOKEN_SECONDS,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

# External government systems: adapters chosen here (healthbank/external/), simulators fed by data files.
EXTERNAL_ADAPTERS = {
    "household_registry": "healthbank.external.registry.SimulatedHouseholdRegistry",
    "mobile_carrier": "healthbank.external.carriers.SimulatedMobileCarriers",
    "citizen_certificate": "healthbank.external.certificates.SimulatedCertificateAuthority",
    "bank": "healthbank.external.bank.SimulatedBank",
    "card_maker": "healthbank.external.card_maker.SimulatedCardMaker",
}
EXTERNAL_DATA_DIR = Path(os.environ.get("HEALTHBANK_EXTERNAL_DIR", VAR_DIR / "external"))
SIMULATED_CARDS_DIR = Path(os.environ.get("HEALTHBANK_CARDS_DIR", VAR_DIR / "cards"))
# The virtual card (issue 10): its QR signing keys and its applicants' photos live outside the web root.
VCARD_KEY_DIR = Path(os.environ.get("HEALTHBANK_VCARD_KEY_DIR", VAR_DIR / "vcard-keys"))
VCARD_PHOTO_DIR = Path(os.environ.get("HEALTHBANK_VCARD_PHOTO_DIR", VAR_DIR / "vcard-photos"))
# Township-office requests (issue 11): the PDFs people send with them, outside the web root (images: VCARD_PHOTO_DIR).
TOWNSHIP_DOCUMENT_DIR = Path(os.environ.get("HEALTHBANK_TOWNSHIP_DOCUMENT_DIR", VAR_DIR / "township-documents"))
# Which HealthBank signs the card QR codes: a code from another one (a test system) is refused by name.
VCARD_ENVIRONMENT = os.environ.get("HEALTHBANK_ENVIRONMENT", "embedded")
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

# Logs: one line per record (core.logformat) on stdout, or in LOG_FILE when set (a daemonised gunicorn has no
# stdout). WatchedFileHandler reopens the file after logrotate moves it. Celery workers use the same handlers.
LOG_FILE = os.environ.get("LOG_FILE", "")
_log_handler = (
    {"class": "logging.handlers.WatchedFileHandler", "filename": LOG_FILE, "encoding": "utf-8"}
    if LOG_FILE
    else {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_ids": {"()": "healthbank.core.logfilter.MaskNationalIdFilter"},
        "outage_answered": {"()": "healthbank.core.logfilter.OutageAnsweredElsewhere"},
    },
    "formatters": {
        "one_line": {
            "()": "healthbank.core.logformat.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
        }
    },
    "handlers": {
        "console": {**_log_handler, "filters": ["mask_ids"], "formatter": "one_line"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request lines carry query strings (an operator's search by national ID): mask them too.
    # One failure, one line: a refused request (4xx) is the client's and gunicorn's access line records it,
    # so Django's request logger writes only server failures, and each of those once (_has_been_logged).
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR", "filters": ["outage_answered"]},
        # WeasyPrint (the doctor summary's PDF) tells every step of every page at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

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
