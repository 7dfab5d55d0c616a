"""An operator imports a person's My Health Bank download at the counter.

    python manage.py import_myhealthbank FILE --national-id A123456789 [--password PW] --operator counter

FILE is the download as the person brought it: JSON or XML, bare or in a zip (ZipCrypto or AES, with its
password). Prints what was imported and skipped per section; exits non-zero with the reason when refused (nothing
is stored then). The import is in the person's access log as the operator's.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from healthbank import policy
from healthbank.exports.importer import ImportRefused, describe, import_download
from healthbank.exports.management.counter import counter_operator, person_by_national_id


class Command(BaseCommand):
    help = "Import a person's My Health Bank download (JSON or XML, bare or zipped) into their passbook."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the download: .json, .xml or a zip holding one")
        parser.add_argument("--national-id", required=True)
        parser.add_argument("--password", default=None, help="the zip's password")
        parser.add_argument("--operator", required=True, help="the staff user name of the operator at the counter")

    def handle(self, *args, **options):
        user = counter_operator(options["operator"])
        person = person_by_national_id(options["national_id"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file: {path} is not a file.")
        if path.stat().st_size > policy.IMPORT_MAX_UPLOAD_BYTES:
            # Refused before reading it into memory; the importer says the same for uploads.
            raise CommandError(f"file: larger than {policy.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        try:
            run = import_download(person, path.read_bytes(), path.name, options["password"] or None, operator=user)
        except ImportRefused as refused:
            raise CommandError(f"{refused.field}: {refused.reason}") from None
        for line in describe(run.report):
            self.stdout.write(line)
        self.stdout.write(f"{path.name}: imported {run.imported}, skipped {run.skipped}.")
