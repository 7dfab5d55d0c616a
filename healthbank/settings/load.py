"""Load-test environment (``make load``, bench/load.py): the production settings on one machine's loopback.

Never a real installation: it is what a load generator talks to. It differs from production in four
documented ways only (docs/operations.md, "The load-test environment"):

- **Captcha in test mode.** django-simple-captcha's documented ``CAPTCHA_TEST_MODE``: the word ``PASSED``
  answers every captcha, so simulated citizens can log in with their password as people do.
- **The load generator is the trusted proxy.** Its loopback address is in ``TRUSTED_PROXIES`` and each
  simulated citizen sends its own client address in ``X-Forwarded-For``, as the balancer would; the per-address
  login and device-binding limits then count each simulated person apart, instead of the whole load as one
  client that the limits (rightly) stop.
- **Plain HTTP on loopback.** No TLS proxy stands in front, so cookies are not marked Secure (a load
  generator's cookie jar does not send Secure cookies over http).
- **No mail server.** The Celery worker delivers the e-mails (device-bound notices) to files in
  ``HEALTHBANK_VAR_DIR/mail`` instead of SMTP, so the outbox is emptied as in production.

Keys come from ``HEALTHBANK_VAR_DIR/local-keys.json`` (made on first use, like the embedded install's);
``DATABASE_URL`` and ``REDIS_URL`` must be set, as in production: tasks go to the broker and a worker.
"""

from __future__ import annotations

import os
import warnings

from .base import VAR_DIR
from .keys import load_or_create_local_keys

VAR_DIR.mkdir(parents=True, exist_ok=True)
_keys = load_or_create_local_keys(VAR_DIR / "local-keys.json")
for _name, _key in (
    ("DJANGO_SECRET_KEY", "secret_key"),
    ("NATIONAL_ID_HASH_KEY", "national_id_hash_key"),
    ("NATIONAL_ID_ENCRYPTION_KEY", "national_id_encryption_key"),
):
    os.environ.setdefault(_name, _keys[_key])
os.environ.setdefault("HEALTHBANK_ENVIRONMENT", "load")

from .production import *  # noqa: E402, F403

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
NATIONAL_ID_HASH_KEY = os.environ["NATIONAL_ID_HASH_KEY"]
NATIONAL_ID_ENCRYPTION_KEY = os.environ["NATIONAL_ID_ENCRYPTION_KEY"]
VCARD_ENVIRONMENT = os.environ["HEALTHBANK_ENVIRONMENT"]

CONNECT_PEOPLE_ARE_SYNTHETIC = True  # the generated population
CAPTCHA_TEST_MODE = True
# The library warns at every start that test mode accepts any answer: that is this environment's point (above).
warnings.filterwarnings("ignore", message="CAPTCHA_TEST_MODE is enabled", category=RuntimeWarning)
LOGGING["loggers"]["captcha.conf.settings"] = {"level": "CRITICAL"}  # noqa: F405
TRUSTED_PROXIES = [r for r in os.environ.get("TRUSTED_PROXIES", "127.0.0.1/32").split(",") if r.strip()]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
