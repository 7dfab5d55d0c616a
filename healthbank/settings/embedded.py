"""The default: one machine, embedded SQLite, file e-mail, eager Celery. Used by `make demo`."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import VAR_DIR
from .keys import load_or_create_local_keys, with_oidc_keys

# Tracebacks are for developers who ask for them (HEALTHBANK_DEBUG=1); the demo shows the friendly error pages.
DEBUG = os.environ.get("HEALTHBANK_DEBUG") == "1"
VAR_DIR.mkdir(parents=True, exist_ok=True)
_keys = load_or_create_local_keys(VAR_DIR / "local-keys.json")
SECRET_KEY = SECRET_KEY or _keys["secret_key"]  # noqa: F405
NATIONAL_ID_HASH_KEY = NATIONAL_ID_HASH_KEY or _keys["national_id_hash_key"]  # noqa: F405
NATIONAL_ID_ENCRYPTION_KEY = NATIONAL_ID_ENCRYPTION_KEY or _keys["national_id_encryption_key"]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"

# Serve static files from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Eager Celery runs each task inside the request or command that sends it: its "task succeeded" lines would be
# printed in the middle of `make demo`'s printout; failures still show (WARNING and up). The in-memory broker has
# no host name by design, so kombu's warning that none was supplied says nothing here.
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}  # noqa: F405
LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}  # noqa: F405

# Log in with HealthBank: keys in var/oidc-keys (made on first use); the demo's people are synthetic and the
# demo relying party (demo/taxfiling.py) answers on plain http on this machine.
CONNECT_PEOPLE_ARE_SYNTHETIC = True
OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"] = ["https", "http"]  # noqa: F405
OAUTH2_PROVIDER, CONNECT_PAIRWISE_KEY = with_oidc_keys(
    OAUTH2_PROVIDER,  # noqa: F405
    OIDC_KEY_DIR,  # noqa: F405
    policy.CONNECT_SIGNING_KEYS_PUBLISHED,  # noqa: F405
)
