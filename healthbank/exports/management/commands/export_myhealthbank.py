"""臨櫃下載: an operator produces a person's package at the counter, after checking an ID document.

    python manage.py export_myhealthbank --national-id A123456789 --out package.zip \
        --operator counter --document national_id_card [--formats html,json,xml,fhir] [--password PW]

Every category the access rule lets the operator read after the check; the reads and the production are in the
person's access log as the operator's.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from healthbank.audit.models import IdDocument
from healthbank.exports import services
from healthbank.exports.choices import ExportFormat
from healthbank.exports.management.counter import counter_operator, person_by_national_id


class Command(BaseCommand):
    help = "Produce a person's encrypted My Health Bank package at the counter (after an ID-document check)."

    def add_arguments(self, parser):
        parser.add_argument("--national-id", required=True)
        parser.add_argument("--out", required=True, help="where to write the zip (a file that does not exist yet)")
        parser.add_argument("--operator", required=True, help="the staff user name of the operator at the counter")
        parser.add_argument("--document", required=True, choices=IdDocument.values, help="the ID document checked")
        parser.add_argument(
            "--formats", default=",".join(ExportFormat.values), help="comma-separated: html,json,xml,fhir"
        )
        parser.add_argument("--password", default="", help="instead of the national ID with an upper-case first letter")

    def handle(self, *args, **options):
        operator = counter_operator(options["operator"])
        person = person_by_national_id(options["national_id"])
        out = Path(options["out"])
        if out.exists():
            raise CommandError(f"--out: {out} exists already; nothing was overwritten.")
        formats = [f.strip() for f in options["formats"].split(",") if f.strip()]
        try:
            content, name = services.export_at_counter(
                operator, person, document=options["document"], formats=formats, password=options["password"]
            )
        except services.ExportRefused as refused:
            raise CommandError(f"--{refused.field}: {refused.message}") from None
        partial = out.with_name(out.name + ".partial")
        partial.write_bytes(content)
        os.replace(partial, out)
        self.stdout.write(f"{out} ({len(content)} bytes; the person's file name would be {name})")
