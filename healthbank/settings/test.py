"""Tests: SQLite unless DATABASE_URL/REDIS_URL are set; fresh random keys every run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .keys import new_keys, with_oidc_keys

_keys = new_keys()
SECRET_KEY = _keys["secret_key"]
NATIONAL_ID_HASH_KEY = _keys["national_id_hash_key"]
NATIONAL_ID_ENCRYPTION_KEY = _keys["national_id_encryption_key"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 is tested explicitly
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if REDIS_URL:  # noqa: F405
    # Several test runs may share one Redis: keep their keys apart.
    CACHES["default"]["KEY_PREFIX"] = f"hbtest{os.getpid()}"  # noqa: F405

# Serve static files from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The simulated outside world of each test run lives in its own scratch folder.
_scratch = Path(tempfile.mkdtemp(prefix="healthbank-test-"))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not Django's shared in-memory database: parallel tests (throttles under a burst) need
    # SQLite's real locking, which waits for a writer; the shared-cache memory database fails at once.
    DATABASES["default"]["TEST"] = {"NAME": str(_scratch / "test.sqlite3")}  # noqa: F405
EXTERNAL_DATA_DIR = _scratch / "external"
SIMULATED_CARDS_DIR = _scratch / "cards"
VCARD_KEY_DIR = _scratch / "vcard-keys"
VCARD_PHOTO_DIR = _scratch / "vcard-photos"
TOWNSHIP_DOCUMENT_DIR = _scratch / "township-documents"
VCARD_ENVIRONMENT = "test"

# No worker runs beside the test suite: tasks execute in-process (the real task code, eagerly).
CELERY_TASK_ALWAYS_EAGER = True

# Log in with HealthBank: a signing key and a pairwise key of this run, in its scratch folder.
OIDC_KEY_DIR = _scratch / "oidc-keys"
DEMO_TAX_FILING_CONFIG = _scratch / "demo-taxfiling.json"
DEMO_HEALTH_APP_CONFIG = _scratch / "demo-healthapp.json"
CONNECT_PEOPLE_ARE_SYNTHETIC = True
OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"] = ["https", "http"]  # noqa: F405
OAUTH2_PROVIDER, CONNECT_PAIRWISE_KEY = with_oidc_keys(
    OAUTH2_PROVIDER,  # noqa: F405
    OIDC_KEY_DIR,
    policy.CONNECT_SIGNING_KEYS_PUBLISHED,  # noqa: F405
)
