"""Batch registration by an insurance unit (SPEC §3.3): the CSV as Excel on Traditional-Chinese Windows saves it.

File name ``<unit code 9><ROC date 7>.csv``, no header, columns: national ID,
e-mail, mobile (optional), landline ``area-number#ext`` (optional); Big5/cp950
or UTF-8 with or without BOM; CRLF or LF. Each row is accepted or rejected on
its own; the same file twice registers nobody twice; the result file never
holds a full ID and neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import national_id as nid
from healthbank.core.masking import mask_national_id
from healthbank.core.rocdate import RocDateError, parse_roc
from healthbank.identity.models import Enrolment, InsuranceUnit, Person

from .models import BatchUpload, OnlineAccount
from .services import Contacts, check_contacts, new_application
from .tasks import send_batch_result

FILE_NAME = re.compile(r"^(\d{9})(\d{7})\.csv$", re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BatchFileError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class RowResult:
    row: int
    masked_id: str
    accepted: bool
    reason: str = ""


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is shown as text instead."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchFileError("file", _("The file is neither UTF-8 nor Big5 text; save it from Excel as CSV."))


def check_file_name(name: str, unit: InsuranceUnit) -> None:
    match = FILE_NAME.match(name or "")
    if not match:
        raise BatchFileError(
            "file",
            _("Name the file <unit code><ROC date>.csv, e.g. %(example)s.") % {"example": f"{unit.code}1050730.csv"},
        )
    if match.group(1) != unit.code:
        raise BatchFileError("file", _("The file name's unit code is not your unit's code."))
    try:
        day = parse_roc(match.group(2))
    except RocDateError:
        raise BatchFileError("file", _("The date in the file name is not a real ROC date.")) from None
    if day > timezone.localdate():
        raise BatchFileError("file", _("The date in the file name is in the future."))


def _check_row(cells: list[str], unit: InsuranceUnit, seen: dict[str, int], people: dict[str, Person]) -> str:
    """The reason this row is rejected, or '' when it is accepted."""
    if not 2 <= len(cells) <= 4:
        return _("A row has 2 to 4 columns: national ID, e-mail, mobile, landline.")
    try:
        value = nid.validate(cells[0]).value
    except nid.NationalIdError as exc:
        return exc.message
    if value in seen:
        return _("Duplicate of row %(row)s.") % {"row": seen[value]}
    person = people.get(value)
    if person is None:
        return _("This person is not enrolled with your unit.")
    contacts = Contacts(
        email=cells[1].strip(),
        mobile=cells[2].strip() if len(cells) > 2 else "",
        landline=cells[3].strip() if len(cells) > 3 else "",
    )
    errors = check_contacts(contacts)
    if not contacts.mobile:
        errors.pop("mobile", None)  # the mobile is optional in a batch file
    if errors:
        return " ".join(m for ms in errors.values() for m in ms)
    account = getattr(person, "online_account", None)
    if account is not None and account.status != OnlineAccount.Status.PENDING:
        return _("Already registered.")
    if account is not None and account.channel != OnlineAccount.Channel.BATCH:
        return _("The person's own application is waiting for their confirmation.")
    return ""


def process_upload(unit: InsuranceUnit, file_name: str, data: bytes, *, language: str = "zh-hant") -> BatchUpload:
    """Check and register a file's rows; an identical file again returns the earlier result, registering nobody."""
    if len(data) > policy.BATCH_REGISTRATION_MAX_BYTES:
        raise BatchFileError(
            "file", _("The file is larger than %(mb)s MB.") % {"mb": policy.BATCH_REGISTRATION_MAX_BYTES // 2**20}
        )
    check_file_name(file_name, unit)
    digest = hashlib.sha256(data).hexdigest()
    earlier = BatchUpload.objects.filter(unit=unit, file_sha256=digest).first()
    if earlier is not None:
        return earlier
    text = decode(data)
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    values = {nid.normalize(r[0]) for r in rows if r and nid.is_valid(r[0])}
    hashes = {Person.hash_national_id(v): v for v in values}
    today = timezone.localdate()
    enrolled = {
        e.person.national_id_hash: e.person
        for e in Enrolment.objects.select_related("person", "person__online_account").filter(
            unit=unit, person__national_id_hash__in=hashes, started_on__lte=today
        )
        if e.ended_on is None or e.ended_on >= today
    }
    people = {hashes[h]: p for h, p in enrolled.items()}
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    with transaction.atomic():
        for number, cells in enumerate(rows, 1):
            reason = _check_row(cells, unit, seen, people)
            value = nid.normalize(cells[0]) if cells else ""
            masked = (
                mask_national_id(value)
                if nid.is_valid(value)
                else mask_national_id(cells[0].strip()[:10] if cells else "")
            )
            if nid.is_valid(value) and value not in seen:
                seen[value] = number
            if reason:
                results.append(RowResult(number, masked, False, reason))
                continue
            _register(people[value], cells, language)
            results.append(RowResult(number, masked, True))
        upload = BatchUpload.objects.create(
            unit=unit,
            file_name=file_name,
            file_sha256=digest,
            uploaded_at=timezone.now(),
            rows=len(results),
            accepted=sum(r.accepted for r in results),
            rejected=sum(not r.accepted for r in results),
            result_csv=result_file(results),
        )
        transaction.on_commit(lambda: send_batch_result.delay(str(upload.pk)))
    return upload


def _register(person: Person, cells: list[str], language: str) -> None:
    now = timezone.now()
    account = OnlineAccount.objects.filter(person=person).first() or OnlineAccount(
        person=person, channel=OnlineAccount.Channel.BATCH, created_at=now
    )
    account.email = cells[1].strip()
    account.mobile = cells[2].strip() if len(cells) > 2 else ""
    account.landline = cells[3].strip() if len(cells) > 3 else ""
    account.save()
    new_application(account, language, now)


def result_file(results: list[RowResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("row"), _("national ID"), _("result"), _("reason")])
    for r in results:
        outcome = _("accepted") if r.accepted else _("rejected")
        writer.writerow([r.row, neutralise(r.masked_id), outcome, neutralise(r.reason)])
    return out.getvalue()
