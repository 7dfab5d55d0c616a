"""Production: PostgreSQL, Redis, SMTP; every secret from the environment, none defaulted."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .keys import with_oidc_keys

# REDIS_URL too: without it base.py falls back to the database cache and tasks run inside web requests,
# which in production would silently trade the throttles' and the outbox's design for the embedded one.
# HEALTHBANK_ENVIRONMENT names this HealthBank in every card QR it signs: a test system's codes are refused here.
_REQUIRED = ("DJANGO_SECRET_KEY", "NATIONAL_ID_HASH_KEY", "NATIONAL_ID_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL")
for _name in (*_REQUIRED, "HEALTHBANK_ENVIRONMENT"):
    if not os.environ.get(_name):
        raise RuntimeError(f"{_name} must be set in production")
CELERY_TASK_ALWAYS_EAGER = False  # tasks run in workers, never inside a web request

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405

# Log in with HealthBank: OIDC_RSA_PRIVATE_KEY (+ OIDC_RSA_PREVIOUS_PRIVATE_KEY, OIDC_PAIRWISE_KEY) from the
# environment, or the files of HEALTHBANK_OIDC_KEY_DIR on one machine (docs/operations.md).
OAUTH2_PROVIDER, CONNECT_PAIRWISE_KEY = with_oidc_keys(
    OAUTH2_PROVIDER,  # noqa: F405
    OIDC_KEY_DIR,  # noqa: F405
    policy.CONNECT_SIGNING_KEYS_PUBLISHED,  # noqa: F405
)
