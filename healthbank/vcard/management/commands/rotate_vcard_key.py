"""python manage.py rotate_vcard_key [--drop-retired]: a new key signs the card QR codes from now on.

The previous keys stay published (``/api/vcard/v1/keys``) for ``policy.VCARD_KEY_PUBLISHED_FOR`` after
their successor appeared, so codes made a moment before still check out offline and at the scan;
``--drop-retired`` deletes the keys that are past that (docs/operations.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from healthbank.vcard import keys


class Command(BaseCommand):
    help = "Add a new signing key for the virtual card's QR codes (and optionally drop retired ones)."

    def add_arguments(self, parser):
        parser.add_argument("--drop-retired", action="store_true", help="delete keys no longer published")
        parser.add_argument("--list", action="store_true", help="only list the published keys")

    def handle(self, *args, drop_retired: bool, list: bool, **options):
        if not list:
            kid = keys.add_key()
            self.stdout.write(f"New signing key {kid}.")
        if drop_retired:
            for kid in keys.drop_retired():
                self.stdout.write(f"Dropped retired key {kid}.")
        ring = keys.ring()
        for kid in ring.published:
            self.stdout.write(f"published {kid}{'  (signing)' if kid == ring.signing_id else ''}")
