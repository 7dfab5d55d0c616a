"""A new OpenID Connect signing key in OIDC_KEY_DIR; the one before it stays published (docs/operations.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from healthbank import policy
from healthbank.settings.keys import add_oidc_signing_key


class Command(BaseCommand):
    help = "Add a new RS256 signing key for ID tokens; restart the web servers to start signing with it."

    def handle(self, *args, **options):
        folder = settings.OIDC_KEY_DIR
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = add_oidc_signing_key(folder, stamp)
        keep = policy.CONNECT_SIGNING_KEYS_PUBLISHED
        for old in sorted(folder.glob("*.pem"))[:-keep]:
            old.unlink()  # no longer published: ID tokens live minutes, and the key before the newest still checks
        self.stdout.write(f"New signing key {path.name}; restart the web servers. Published: the newest {keep}.")
