"""Batch registration by an insurance unit (SPEC §3.3): the CSV as Excel on Traditional-Chinese Windows saves it.

File name ``<unit code 9><ROC date 7>.csv``, no header, columns: national ID,
e-mail, mobile (optional), landline ``area-number#ext`` (optional); Big5/cp950
or UTF-8 with or without BOM; CRLF or LF. Each row is accepted or rejected on
its own; the same file twice registers nobody twice; the result file never
holds a full ID and neutralises spreadsheet formulas.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from healthbank import policy
from healthbank.core import national_id as nid
from healthbank.core.masking import mask_national_id
from healthbank.core.rocdate import RocDateError, format_roc_compact, parse_roc
from healthbank.identity.models import Enrolment, InsuranceUnit, Person

from . import emails, outbox
from .models import BatchUpload, OnlineAccount
from .services import Contacts, check_contacts, new_application

FILE_NAME = re.compile(r"^(\d{9})(\d{7})\.csv$", re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters no CSV of IDs, e-mails and phone numbers holds (tab, CR and LF are fine): NUL above all,
# which is what a UTF-16 file read as Big5 or UTF-8 is full of.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Why a row is rejected, stored as a code and rendered in the language of the upload (the unit's language).
REASONS = {
    "columns": gettext_lazy("A row has 2 to 4 columns: national ID, e-mail, mobile, landline."),
    "id_required": gettext_lazy("The national ID is missing."),
    "id_length": gettext_lazy("A national ID has 10 characters; this one has %(length)s."),
    "id_first_letter": gettext_lazy("A national ID starts with a letter A–Z."),
    "id_format": gettext_lazy("A national ID is a letter, then 1 or 2 (8, 9 or A–D for residents), then 8 digits."),
    "id_checksum": gettext_lazy("The national ID's check digit does not match; check the digits."),
    "duplicate": gettext_lazy("Duplicate of row %(row)s."),
    "not_enrolled": gettext_lazy("This person is not enrolled with your unit."),
    "email_missing": gettext_lazy("An e-mail address is required."),
    "email_invalid": gettext_lazy("This is not a valid e-mail address."),
    "mobile_invalid": gettext_lazy("A mobile number is 10 digits starting with 09, e.g. 0912345678."),
    "landline_invalid": gettext_lazy("Write a landline as area-number#extension, e.g. 02-27065866#1234."),
    "already_registered": gettext_lazy("Already registered."),
    "own_application": gettext_lazy("The person's own application is waiting for their confirmation."),
}


class BatchFileError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class RowResult:
    row: int
    masked_id: str
    reasons: list[str] = field(default_factory=list)  # codes of REASONS; none: accepted
    params: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def stored(self) -> dict:
        return {"row": self.row, "id": self.masked_id, "reasons": self.reasons, "params": self.params}


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is shown as text instead."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec a file is in, with or without a byte-order mark; None when it is not UTF-16.

    Without a mark: the columns are IDs, e-mails and phone numbers, all ASCII, so UTF-16
    puts a NUL in every other byte (the odd ones little-endian, the even ones big-endian).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) * 2 > len(odd) and even.count(0) * 10 < len(even):
        return "utf-16-le"
    if even.count(0) * 2 > len(even) and odd.count(0) * 10 < len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), Big5 (cp950) or UTF-16 (Excel's "Unicode text")."""
    encoding = _utf16(data)
    candidates = (encoding,) if encoding else ("utf-8-sig", "cp950")
    for candidate in candidates:
        try:
            text = data.decode(candidate)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BatchFileError("file", _("The file is neither UTF-8 nor Big5 text; save it from Excel as CSV."))
    text = text.removeprefix("\ufeff")
    found = CONTROL.search(text)
    if found:
        raise BatchFileError(
            "file",
            _(
                "Row %(row)s holds a control character (such as NUL) that CSV text never has: the file is not "
                "UTF-8, Big5 or UTF-16 text. Save it from Excel as CSV."
            )
            % {"row": text.count("\n", 0, found.start()) + 1},
        )
    return text


def read_rows(text: str) -> list[tuple[int, list[str]]]:
    """The non-empty rows, each with its line in the file (what Excel and Notepad call it), blank lines skipped.

    Commas, or tabs when the file has tabs and no comma (Excel's "Unicode text").
    """
    delimiter = "\t" if "\t" in text and "," not in text else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        row = reader.line_num
        if "field larger" in str(exc):
            message = _(
                "Row %(row)s has a cell longer than %(limit)s characters; a batch file holds only national IDs, "
                "e-mail addresses and phone numbers. Is a quotation mark left open?"
            ) % {"row": row, "limit": csv.field_size_limit()}
        else:
            message = _("Row %(row)s cannot be read as CSV; save the file from Excel as CSV.") % {"row": row}
        raise BatchFileError("file", message) from None
    return rows


def example_file_name(unit: InsuranceUnit) -> str:
    """Today's file name for this unit, e.g. ``0000000011151204.csv``: the example every page and message gives."""
    return f"{unit.code}{format_roc_compact(timezone.localdate())}.csv"


def check_file_name(name: str, unit: InsuranceUnit) -> None:
    match = FILE_NAME.match(name or "")
    if not match:
        raise BatchFileError(
            "file",
            _("Name the file <unit code><ROC date>.csv, e.g. %(example)s.") % {"example": example_file_name(unit)},
        )
    if match.group(1) != unit.code:
        raise BatchFileError("file", _("The file name's unit code is not your unit's code."))
    try:
        day = parse_roc(match.group(2))
    except RocDateError:
        raise BatchFileError("file", _("The date in the file name is not a real ROC date.")) from None
    if day > timezone.localdate():
        raise BatchFileError("file", _("The date in the file name is in the future."))


def _check_row(cells: list[str], seen: dict[str, int], people: dict[str, Person]) -> tuple[list[str], dict]:
    """The codes of why this row is rejected (none: accepted), with what their messages name."""
    if not 2 <= len(cells) <= 4:
        return ["columns"], {}
    try:
        value = nid.validate(cells[0]).value
    except nid.NationalIdError as exc:
        code = "id_" + exc.code if "id_" + exc.code in REASONS else "id_format"
        return [code], ({"length": len(nid.normalize(cells[0]))} if exc.code == "length" else {})
    if value in seen:
        return ["duplicate"], {"row": seen[value]}
    person = people.get(value)
    if person is None:
        return ["not_enrolled"], {}
    contacts = _contacts(cells)
    errors = check_contacts(contacts)
    reasons = []
    if "email" in errors:
        reasons.append("email_invalid" if contacts.email else "email_missing")
    if "mobile" in errors and contacts.mobile:  # the mobile is optional in a batch file
        reasons.append("mobile_invalid")
    if "landline" in errors:
        reasons.append("landline_invalid")
    if reasons:
        return reasons, {}
    account = getattr(person, "online_account", None)
    if account is not None and account.status != OnlineAccount.Status.PENDING:
        return ["already_registered"], {}
    if account is not None and account.channel != OnlineAccount.Channel.BATCH:
        return ["own_application"], {}
    return [], {}


def _contacts(cells: list[str]) -> Contacts:
    return Contacts(
        email=cells[1].strip(),
        mobile=cells[2].strip() if len(cells) > 2 else "",
        landline=cells[3].strip() if len(cells) > 3 else "",
    )


def process_upload(unit: InsuranceUnit, file_name: str, data: bytes, *, language: str | None = None) -> BatchUpload:
    """Check and register a file's rows; an identical file again returns the earlier result, registering nobody.

    ``language`` is the uploader's (default: the active one): the result file is written in it.
    A file that cannot be read at all is refused whole (BatchFileError) and nothing is stored.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if len(data) > policy.BATCH_REGISTRATION_MAX_BYTES:
        raise BatchFileError(
            "file", _("The file is larger than %(mb)s MB.") % {"mb": policy.BATCH_REGISTRATION_MAX_BYTES // 2**20}
        )
    check_file_name(file_name, unit)
    digest = hashlib.sha256(data).hexdigest()
    earlier = BatchUpload.objects.filter(unit=unit, file_sha256=digest).first()
    if earlier is not None:
        return earlier
    rows = read_rows(decode(data))
    try:
        return _register_rows(unit, file_name, digest, rows, language)
    except IntegrityError:  # the same file, uploaded twice at once: the other upload registered it
        earlier = BatchUpload.objects.filter(unit=unit, file_sha256=digest).first()
        if earlier is None:
            raise
        return earlier


def _register_rows(unit, file_name: str, digest: str, rows: list[tuple[int, list[str]]], language: str) -> BatchUpload:
    values = {nid.normalize(r[0]) for _, r in rows if r and nid.is_valid(r[0])}
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
    invitations = []
    with transaction.atomic():
        for number, cells in rows:
            reasons, params = _check_row(cells, seen, people)
            value = nid.normalize(cells[0]) if cells else ""
            masked = (
                mask_national_id(value)
                if nid.is_valid(value)
                else mask_national_id(cells[0].strip()[:10] if cells else "")
            )
            if nid.is_valid(value) and value not in seen:
                seen[value] = number
            results.append(RowResult(number, masked, reasons, params))
            if not reasons:
                invitations.append(_register(people[value], cells, unit))
        upload = BatchUpload.objects.create(
            unit=unit,
            file_name=file_name,
            file_sha256=digest,
            uploaded_at=timezone.now(),
            language=language,
            rows=len(results),
            accepted=sum(r.accepted for r in results),
            rejected=sum(not r.accepted for r in results),
            results=[r.stored() for r in results],
        )
        # Every e-mail is in the outbox with the registrations; one hand-over for the lot after the commit.
        transaction.on_commit(partial(outbox.hand_over, [e.pk for e in invitations]), robust=True)
        emails.batch_result(upload, result_file(upload))
    return upload


def _register(person: Person, cells: list[str], unit: InsuranceUnit):
    """A pending account with the file's contacts and a new link; its e-mail (naming the unit) is returned, unsent.

    The link opens in the default language: the person chose none (the unit's language is the unit's), and the
    e-mail and the page are both bilingual.
    """
    now = timezone.now()
    account = OnlineAccount.objects.filter(person=person).first() or OnlineAccount(
        person=person, channel=OnlineAccount.Channel.BATCH, created_at=now
    )
    contacts = _contacts(cells)
    account.email, account.mobile, account.landline = contacts.email, contacts.mobile, contacts.landline
    account.save()
    return new_application(account, settings.LANGUAGE_CODE, now, unit=unit, deliver=False)[2]


def reason_text(code: str, params: dict) -> str:
    if code == "legacy":  # written before reasons were stored as codes: kept as it was written
        return params.get("text", "")
    return str(REASONS[code]) % params if params else str(REASONS[code])


def result_file(upload: BatchUpload) -> str:
    """The result file (row, masked ID, result, reasons), wholly in the language the upload was made in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    with translation.override(upload.language):
        writer.writerow([_("row"), _("national ID"), _("result"), _("reason")])
        for r in upload.results:
            outcome = _("rejected") if r["reasons"] else _("accepted")
            reasons = " ".join(reason_text(code, r.get("params") or {}) for code in r["reasons"])
            writer.writerow([r["row"], neutralise(r["id"]), outcome, neutralise(reasons)])
    return out.getvalue()
