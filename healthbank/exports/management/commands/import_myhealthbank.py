"""An operator imports a person's My Health Bank download at the counter.

    python manage.py import_myhealthbank FILE --national-id A123456789 [--password PW] --operator counter

FILE is the download as the person brought it: JSON or XML, bare or in a zip (ZipCrypto or AES, with its
password). Prints what was imported and skipped per section; exits non-zero with the reason when refused (nothing
is stored then). The import is in the person's access log as the operator's.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from healthbank import policy
from healthbank.access.rules import operator_may_use_counter
from healthbank.core.national_id import NationalIdError, validate
from healthbank.exports.importer import ImportRefused, describe, import_download
from healthbank.identity.models import Person


class Command(BaseCommand):
    help = "Import a person's My Health Bank download (JSON or XML, bare or zipped) into their passbook."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the download: .json, .xml or a zip holding one")
        parser.add_argument("--national-id", required=True)
        parser.add_argument("--password", default=None, help="the zip's password")
        parser.add_argument("--operator", required=True, help="the staff user name of the operator at the counter")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["operator"]).first()
        if user is None or not operator_may_use_counter(user):
            raise CommandError("--operator: not an active staff member of the counter group.")
        try:
            national_id = validate(options["national_id"]).value
        except NationalIdError as exc:
            raise CommandError(f"--national-id: {exc}") from None
        person = Person.objects.by_national_id(national_id).first()
        if person is None:
            raise CommandError("--national-id: no person with this national ID.")
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
