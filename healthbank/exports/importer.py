"""Importing a My Health Bank download into a person's passbook (SPEC §8, issue 9).

``import_download`` reads the upload (``mhb_reading.read_download``), checks it is the person's (``b1.1``) and maps
every row back into ``records.models``, the inverse of ``writers.myhealthbank`` (the definition of how our records
map to the NHI's fields), in one transaction: a refusal or an error stores nothing.

Decisions (issue 9):

- Imported records have ``source = IMPORTED_SOURCE`` ("MHB") and ``source_record_id`` = SHA-256 of the section,
  the row's canonical form (whitespace and number spelling do not count) and its occurrence among identical rows
  of the file, so importing the same file twice adds nothing, and two identical rows (two equal lab values of one
  day) stay two. ``payload_digest`` is the SHA-256 of the canonical row.
- A row the passbook already holds (from the institutions, or imported from another file) is skipped as "already
  in your passbook". It is compared with ``document(collect(...))`` of the person's current data by the fields
  that name the event (``IDENTITY``: institution, date, card sequence …), not by every field, because a real
  download carries fields we never write (procedure codes, claim periods). Only the spans the pages show
  (``collect``) are compared: a row older than that is imported even if an older record matches it.
- Sections 11–14 hold one record per child row (a screening result, a follow-up measurement); those are the units
  imported, skipped and reported (row numbers "3.2": the third row's second result).
- Institutions by code (``r*.3``, ``r4.4``, ``r10.1``); an unknown code becomes ``Institution(listed=False)`` with
  the row's name, NHI division (``r*.1``, 0 when the row has none), phone and address where the section gives
  them, kind and specialty from the section (``SECTION_INSTITUTION``). Sections that name an institution only by
  name (r6, r11, R12–R14) take the institution of that exact name (a listed one first); otherwise an unlisted one
  whose synthetic code is ``SYNTHETIC_PREFIX`` + the first 7 hex digits of the name's SHA-256 (upper case), which
  no NHI code (digits only) can be. A vaccination whose place is unknown keeps the name in ``institution_name``
  without inventing an institution (the model allows it).
- Labs: ``lab_key``/``loinc``/``unit`` from the lab catalogue by the item's name (r7.10, Chinese or English, or
  our key); an item the catalogue does not know keeps its name as the key (first 20 characters) and no unit.
  Vaccines by their Chinese (or English) name; an unknown vaccine keeps its name as the code (first 20
  characters). ``r7.7``/``r8.7`` (upload time) go back into ``ingested_at``.
- Reports are pathology when ``r8.8`` is a pathology payment code or the title says 病理, imaging otherwise; a
  report is linked to the person's visit at that institution on ``r8.5``. Pharmacy rows (r1.5 empty, r1.6 the day,
  r1.7 "XXXX") become pharmacy visits without a card sequence; other r1 rows western-medicine visits.
- Order codes: a catalogued drug is a drug order, a catalogued payment code a non-drug order; an uncatalogued
  10-character code (7 in Chinese medicine) a drug. Inpatient drug orders carry no days in the format: the stay's
  length (at least 1). Care wishes: signed on the day they were registered (the format has one date).
- Texts longer than our field are cut to it (names, results, allergens); values, ranges and codes that do not
  fit make the row skipped with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from healthbank.access.rules import Reader
from healthbank.audit.models import AccessLog
from healthbank.audit.services import record_access
from healthbank.core import codes
from healthbank.records.models import (
    Allergy,
    CancerScreening,
    CareWish,
    DrugOrder,
    FollowUp,
    Institution,
    LabResult,
    NonDrugOrder,
    PreventiveCheck,
    Report,
    Vaccination,
    Visit,
    VisitDiagnosis,
)

from .choices import IMPORTED_SOURCE, MYHEALTHBANK_SECTIONS, ExportCategory
from .mhb_reading import ImportRefused, normalise, read_download
from .models import ImportRun
from .writers import myhealthbank as writer

__all__ = ["ImportRefused", "check_owner", "describe", "import_download"]

TAIPEI = ZoneInfo("Asia/Taipei")
SYNTHETIC_PREFIX = "MHB"
# Visits first: reports (r8) link to the visit of their day.
ORDER = ("r1", "r2", "r3", "r9", "r4", "r5", "r6", "r7", "r8", "r10", "r11", "r12", "r13", "r14")
FIRST_ROWS = 5  # row numbers a skip reason lists
# The fields that name one event in each section (what "already in your passbook" compares).
IDENTITY = {
    "r1": ("r1.3", "r1.5", "r1.6", "r1.7"),
    "r2": ("r2.3", "r2.5", "r2.9"),
    "r3": ("r3.3", "r3.5", "r3.6"),
    "r4": ("r4.1", "r4.2", "r4.4"),
    "r5": ("r5.1", "r5.2"),
    "r6": ("r6.1", "r6.3"),
    "r7": ("r7.3", "r7.6", "r7.10", "r7.11"),
    "r8": ("r8.3", "r8.6", "r8.9"),
    "r9": ("r9.3", "r9.5", "r9.6"),
    "r10": ("r10.1", "r10.5"),
    "r11": ("r11.1", "r11_1.1", "r11_1.2"),
    "r12": ("r12.2", "r12_1.2"),
    "r13": ("r13.2", "r13_1.2"),
    "r14": ("r14.2", "r14_1.2", "r14_1.3"),
}
K, S = Institution.Kind, Institution.Specialty
SECTION_INSTITUTION = {
    "r1": (K.CLINIC, S.WESTERN),
    "pharmacy": (K.PHARMACY, S.PHARMACY),
    "r2": (K.DISTRICT_HOSPITAL, S.WESTERN),
    "r3": (K.CLINIC, S.DENTAL),
    "r9": (K.CLINIC, S.CHINESE),
    "r6": (K.HEALTH_CENTER, S.WESTERN),
}
SKIP_MESSAGES = {
    "already_imported": gettext_noop("already imported from an earlier upload"),
    "in_passbook": gettext_noop("already in your passbook"),
    "missing": gettext_noop("%(field)s is missing"),
    "bad_date": gettext_noop("%(field)s is not a date"),
    "bad_number": gettext_noop("%(field)s is not a number we can keep"),
    "too_long": gettext_noop("%(field)s is longer than we can keep"),
    "bad_code": gettext_noop("%(field)s is not a valid code"),
    "unknown_kind": gettext_noop("%(field)s names nothing we know"),
}
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class _Skip(Exception):
    def __init__(self, code: str, field: str = ""):
        super().__init__(code)
        self.code, self.field = code, field


# --- whose file ---------------------------------------------------------------------------------------------------


def check_owner(person, masked: str | None) -> None:
    """Refuse a file without ``b1.1`` or whose visible ID characters are not the person's (``A12345****``)."""
    masked = (masked or "").strip().upper()
    # The NHI masks with "*"; any character that is not a letter or digit counts as masked.
    visible = [(i, ch) for i, ch in enumerate(masked) if ch.isascii() and ch.isalnum()]
    if not visible:
        raise ImportRefused("b1.1", _("The file does not say whose data it holds (no national ID in b1.1)."))
    own = (person.national_id or "").upper()
    if len(masked) != len(own) or any(own[i] != ch for i, ch in visible):
        raise ImportRefused("b1.1", _("The file holds another person's data: its national ID is not yours."))


# --- canonical rows -----------------------------------------------------------------------------------------------


def _canon_value(value):
    if isinstance(value, list):
        return [_canon_row(r) for r in value]
    if value is None:
        return None
    text = "".join(str(value).split())  # the JSON form drops report line breaks the XML form keeps
    if NUMBER.match(text):
        return format(Decimal(text).normalize(), "f")
    return text


def _canon_row(row: dict) -> dict:
    out = {}
    for key in sorted(row):
        value = _canon_value(row[key])
        if value not in (None, "", []):
            out[key] = value
    return out


def canonical(row: dict) -> str:
    return json.dumps(_canon_row(row), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass
class Unit:
    """One record to import: a row (or, in r11–r14, a child row with its parent's fields)."""

    section: str
    number: str
    row: dict
    children_key: str = ""

    @property
    def identity(self) -> tuple:
        return tuple(_canon_value(self.row.get(k)) for k in IDENTITY[self.section])


def units_of(section: str, rows: list[dict]) -> list[Unit]:
    units = []
    for n, row in enumerate(rows, start=1):
        if section in ("r11", "r12", "r13", "r14"):
            parent = {k: v for k, v in row.items() if not isinstance(v, list)}
            for m, child in enumerate(row.get(f"{section}_1", []), start=1):
                units.append(Unit(section, f"{n}.{m}", parent | child))
        else:
            units.append(Unit(section, str(n), row))
    return units


# --- values -------------------------------------------------------------------------------------------------------


def _text(row: dict, key: str, limit: int | None = None, *, required: bool = False, cut: bool = True) -> str:
    value = row.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if not text and required:
        raise _Skip("missing", key)
    if limit is not None and len(text) > limit:
        if not cut:
            raise _Skip("too_long", key)
        text = text[:limit]
    return text


def _date(row: dict, key: str, *, required: bool = True) -> dt.date | None:
    text = re.sub(r"[-/.]", "", _text(row, key))
    if not text:
        if required:
            raise _Skip("missing", key)
        return None
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 6 and text.isdigit():  # the document gives some dates as YYYYMM
            return dt.date(int(text[:4]), int(text[4:]), 1)
    except ValueError:
        pass
    raise _Skip("bad_date", key)


def _uploaded(row: dict, key: str, default: dt.datetime) -> dt.datetime:
    text = _text(row, key)
    if len(text) == 12 and text.isdigit():
        try:
            return dt.datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=TAIPEI)
        except ValueError:
            return default
    return default


def _decimal(row: dict, key: str, digits: int = 10, places: int = 2) -> Decimal | None:
    text = _text(row, key)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise _Skip("bad_number", key) from error
    # Compare before rounding: quantize cannot hold 1e308 at two places and would raise.
    if not number.is_finite() or abs(number) >= Decimal(10) ** (digits - places):
        raise _Skip("bad_number", key)
    return number.quantize(Decimal(1).scaleb(-places))


def _whole(row: dict, key: str, *, limit: int = 2**31 - 1) -> int | None:
    number = _decimal(row, key, 14, 2)
    if number is None:
        return None
    if number < 0 or number > limit:
        raise _Skip("bad_number", key)
    return int(number)


def _plain(text: str | None) -> str | None:
    """A follow-up value as the demo and the ingestion keep them: "7.60" → "7.6", text as is."""
    if text is None:
        return None
    text = text.strip()
    if NUMBER.match(text):
        return format(Decimal(text).normalize(), "f")
    return text


def _code(row: dict, key: str, limit: int, *, required: bool = True) -> str:
    text = _text(row, key, required=required).upper()
    if len(text) > limit or (text and not re.fullmatch(r"[0-9A-Z.\-]+", text)):
        raise _Skip("bad_code", key)
    return text


# --- catalogues looked up by name ---------------------------------------------------------------------------------


def _catalogue_keys() -> dict[str, str]:
    found: dict[str, str] = {}
    for key, tests in codes.lab_tests().items():
        for test in tests:
            for name in (test.name_zh, test.name_en, test.loinc, key):
                if name:
                    found.setdefault(name.strip().lower(), key)
    return found


def _vaccine_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for code, vaccine in codes.vaccines().items():
        for name in (vaccine.name_zh, vaccine.name_en, code):
            if name:
                found.setdefault(name.strip().lower(), code)
    return found


def _is_drug(code: str, section: str) -> bool:
    if code in codes.drugs():
        return True
    if code in codes.payment_codes():
        return False
    return len(code) == 10 or (section == "r9" and len(code) == 7)


# --- the import ---------------------------------------------------------------------------------------------------


@dataclass
class _Section:
    imported: int = 0
    skipped: int = 0
    skips: dict = field(default_factory=dict)

    def skip(self, code: str, key: str, number: str) -> None:
        self.skipped += 1
        entry = self.skips.setdefault((code, key), {"code": code, "field": key, "count": 0, "rows": []})
        entry["count"] += 1
        if len(entry["rows"]) < FIRST_ROWS:
            entry["rows"].append(number)

    def as_report(self) -> dict:
        return {"imported": self.imported, "skipped": self.skipped, "skips": list(self.skips.values())}


class _Importer:
    def __init__(self, person, now: dt.datetime):
        self.person = person
        self.now = now
        self.institutions: dict[str, Institution] = {}
        self.by_name: dict[str, Institution] = {}
        self.lab_keys = _catalogue_keys()
        self.vaccine_codes = _vaccine_codes()

    # the passbook as our own export writes it
    def passbook_identities(self, sections) -> dict[str, Counter]:
        from healthbank.passbook.viewing import open_viewing

        from .collect import collect

        categories = [MYHEALTHBANK_SECTIONS[s] for s in sections]
        viewing = open_viewing(Reader.person(self.person), self.person.pk, "zh-hant", known=self.person)
        bdata = normalise(writer.document(collect(viewing, categories))["myhealthbank"]["bdata"])
        return {s: Counter(u.identity for u in units_of(s, bdata.get(s, []))) for s in sections}

    def already_imported(self) -> set[str]:
        models = (Visit, LabResult, Report, Allergy, Vaccination, PreventiveCheck, CancerScreening, FollowUp, CareWish)
        found: set[str] = set()
        for model in models:
            found.update(
                model.objects.filter(person=self.person, source=IMPORTED_SOURCE).values_list(
                    "source_record_id", flat=True
                )
            )
        return found

    def run(self, document: dict) -> dict[str, _Section]:
        sections = [s for s in ORDER if document.get(s)]
        in_passbook = self.passbook_identities(sections) if sections else {}
        done = self.already_imported()
        report: dict[str, _Section] = {}
        for section in sections:
            outcome = report[section] = _Section()
            seen: Counter = Counter()
            for unit in units_of(section, document[section]):
                text = canonical(unit.row)
                seen[text] += 1
                record_id = hashlib.sha256(f"{section}\n{text}\n{seen[text]}".encode()).hexdigest()
                if record_id in done:
                    outcome.skip("already_imported", "", unit.number)
                    continue
                if in_passbook[section][unit.identity] > 0:
                    in_passbook[section][unit.identity] -= 1
                    outcome.skip("in_passbook", "", unit.number)
                    continue
                base = {
                    "person": self.person,
                    "source": IMPORTED_SOURCE,
                    "source_record_id": record_id,
                    "payload_digest": hashlib.sha256(text.encode()).hexdigest(),
                    "ingested_at": self.now,
                }
                known = dict(self.institutions), dict(self.by_name)
                try:
                    with transaction.atomic():  # a row failing half-way leaves nothing of itself
                        getattr(self, f"build_{section}")(unit.row, base)
                except _Skip as skip:
                    # An institution the skipped row created was rolled back with it.
                    self.institutions, self.by_name = known
                    outcome.skip(skip.code, skip.field, unit.number)
                    continue
                done.add(record_id)
                outcome.imported += 1
        return report

    # institutions
    def by_code(self, row: dict, section: str, code_key: str, name_key: str, division_key: str = "", **extra):
        code = _text(row, code_key)
        if not code:
            if _text(row, name_key):
                return self.named(row, name_key, section)
            raise _Skip("missing", code_key)
        if len(code) > 10:
            raise _Skip("bad_code", code_key)
        if code not in self.institutions:
            found = Institution.objects.filter(code=code).first()
            if found is None:
                division = _text(row, division_key) if division_key else ""
                kind, specialty = SECTION_INSTITUTION.get(section, (K.CLINIC, S.WESTERN))
                found = Institution.objects.create(
                    code=code,
                    name=_text(row, name_key, 100) or code,
                    kind=kind,
                    specialty=specialty,
                    division=int(division) if division.isdigit() and 1 <= int(division) <= 6 else 0,
                    county="",
                    township="",
                    phone=extra.get("phone", "")[:20],
                    address=extra.get("address", "")[:200],
                    listed=False,
                )
            self.institutions[code] = found
        return self.institutions[code]

    def named(self, row: dict, name_key: str, section: str, *, create: bool = True) -> Institution | None:
        name = _text(row, name_key, 100, required=create)
        if name not in self.by_name:
            found = Institution.objects.filter(name=name).order_by("-listed", "code").first()
            if found is None and create:
                synthetic = SYNTHETIC_PREFIX + hashlib.sha256(name.encode()).hexdigest()[:7].upper()
                kind, specialty = SECTION_INSTITUTION.get(section, (K.CLINIC, S.WESTERN))
                found, _created = Institution.objects.get_or_create(
                    code=synthetic,
                    defaults={"name": name, "kind": kind, "specialty": specialty, "division": 0, "county": "",
                              "township": "", "phone": "", "address": "", "listed": False},
                )  # fmt: skip
            if found is None:
                return None
            self.by_name[name] = found
        return self.by_name[name]

    # visits: r1, r2, r3, r9
    def _visit(self, row, base, section, *, kind, day, end=None, sequence="", copay_key, points_key,
               primary_key, others_first, others_slots, institution_section=None) -> Visit:  # fmt: skip
        institution = self.by_code(row, institution_section or section, f"{section}.3", f"{section}.4", f"{section}.1")
        diagnoses = []
        primary = _code(row, primary_key, 8, required=False)
        if primary:
            diagnoses.append((1, codes.icd10_normalise(primary)))
        for n in range(others_slots):
            code = _code(row, f"{section}.{others_first + 2 * n}", 8, required=False)
            if code:
                diagnoses.append((len(diagnoses) + (1 if primary else 2), codes.icd10_normalise(code)))
        if any(len(code) > 8 for _position, code in diagnoses):
            raise _Skip("bad_code", primary_key)
        visit = Visit.objects.create(
            **base,
            kind=kind,
            institution=institution,
            visit_date=day,
            end_date=end,
            card_sequence=sequence[:4],
            copayment=_whole(row, copay_key) or 0,
            points=_whole(row, points_key) or 0,
        )
        VisitDiagnosis.objects.bulk_create(
            [VisitDiagnosis(person=self.person, visit=visit, position=p, icd10=c) for p, c in diagnoses]
        )
        return visit

    def _orders(self, visit: Visit, section: str, lines: list[dict], fields: dict, *, stay_days: int | None = None):
        drugs, others = [], []
        for line in lines:
            code = _code(line, fields["code"], 12, required=False)
            if not code:
                continue  # a child without its order code (the document's sample has one) says nothing
            quantity = _decimal(line, fields["quantity"], 10, 2)
            quantity = Decimal(1) if quantity is None else quantity
            if _is_drug(code, section):
                if len(code) > 10:
                    raise _Skip("bad_code", fields["code"])
                days = stay_days if stay_days is not None else (_whole(line, fields["days"], limit=32767) or 0)
                drugs.append(
                    DrugOrder(person=self.person, visit=visit, position=len(drugs) + 1, drug_code=code,
                              days_supplied=days, quantity=quantity)
                )  # fmt: skip
            else:
                known = codes.payment_codes().get(code)
                tooth = _whole(line, fields["tooth"], limit=99) if "tooth" in fields else None
                others.append(
                    NonDrugOrder(person=self.person, visit=visit, position=len(others) + 1, payment_code=code,
                                 quantity=quantity, tooth=tooth, body_site=known.body_site[:20] if known else "",
                                 is_surgery=bool(known and known.kind == "surgery"))
                )  # fmt: skip
        DrugOrder.objects.bulk_create(drugs)
        NonDrugOrder.objects.bulk_create(others)

    def build_r1(self, row, base):
        pharmacy = not _text(row, "r1.5") and bool(_text(row, "r1.6"))
        day = _date(row, "r1.6" if pharmacy else "r1.5")
        sequence = "" if pharmacy else _text(row, "r1.7")
        visit = self._visit(
            row, base, "r1", kind=Visit.Kind.PHARMACY if pharmacy else Visit.Kind.WESTERN, day=day,
            sequence=sequence, copay_key="r1.12", points_key="r1.13", primary_key="r1.8", others_first=14,
            others_slots=5, institution_section="pharmacy" if pharmacy else "r1",
        )  # fmt: skip
        self._orders(visit, "r1", row.get("r1_1", []), {"code": "r1_1.1", "quantity": "r1_1.3", "days": "r1_1.4"})

    def build_r2(self, row, base):
        start, end = _date(row, "r2.5"), _date(row, "r2.6", required=False)
        visit = self._visit(
            row, base, "r2", kind=Visit.Kind.INPATIENT, day=start, end=end, sequence=_text(row, "r2.9"),
            copay_key="r2.14", points_key="r2.15", primary_key="r2.10", others_first=16, others_slots=19,
        )  # fmt: skip
        stay = max((end - start).days, 1) if end else 1
        self._orders(visit, "r2", row.get("r2_1", []), {"code": "r2_1.4", "quantity": "r2_1.6"}, stay_days=stay)

    def build_r3(self, row, base):
        visit = self._visit(
            row, base, "r3", kind=Visit.Kind.DENTAL, day=_date(row, "r3.5"), sequence=_text(row, "r3.6"),
            copay_key="r3.11", points_key="r3.12", primary_key="r3.7", others_first=13, others_slots=5,
        )  # fmt: skip
        fields = {"code": "r3_1.1", "quantity": "r3_1.3", "tooth": "r3_1.4", "days": "r3_1.6"}
        self._orders(visit, "r3", row.get("r3_1", []), fields)

    def build_r9(self, row, base):
        visit = self._visit(
            row, base, "r9", kind=Visit.Kind.CHINESE, day=_date(row, "r9.5"), sequence=_text(row, "r9.6"),
            copay_key="r9.11", points_key="r9.12", primary_key="r9.7", others_first=13, others_slots=5,
        )  # fmt: skip
        self._orders(visit, "r9", row.get("r9_1", []), {"code": "r9_1.1", "quantity": "r9_1.3", "days": "r9_1.4"})

    def build_r4(self, row, base):
        area, number = _text(row, "r4.6"), _text(row, "r4.7")
        phone = f"{area}-{number}" if area and number else number
        institution = self.by_code(row, "r4", "r4.4", "r4.5", phone=phone, address=_text(row, "r4.8"))
        Allergy.objects.create(
            **base,
            institution=institution,
            uploaded_on=_date(row, "r4.1"),
            allergen=_text(row, "r4.2", 100, required=True),
            reaction=_text(row, "r4.10", 100),
            doctor_name=_text(row, "r4.3", 40),
        )

    def build_r5(self, row, base):
        code, words = _text(row, "r5.2"), _text(row, "r5.3")
        kinds = {c: kind for kind, (c, _text_) in writer.WISH_CODES.items()}
        kind = kinds.get(code) or (
            CareWish.Kind.ORGAN_DONATION if "器官" in words else CareWish.Kind.HOSPICE if "安寧" in words else None
        )
        if kind is None:
            raise _Skip("unknown_kind", "r5.2")
        day = _date(row, "r5.1")
        CareWish.objects.create(**base, kind=kind, signed_on=day, registered_on=day)

    def build_r6(self, row, base):
        name = _text(row, "r6.3", required=True)
        code = self.vaccine_codes.get(name.lower(), name[:20])
        place = _text(row, "r6.5", 100)
        institution = self.named(row, "r6.5", "r6", create=False) if place else None
        Vaccination.objects.create(
            **base,
            vaccine_code=code,
            vaccinated_on=_date(row, "r6.1"),
            institution=institution,
            institution_name="" if institution else place,
        )

    def build_r7(self, row, base):
        institution = self.by_code(row, "r7", "r7.3", "r7.4", "r7.1")
        name = _text(row, "r7.10", required=True)
        key = self.lab_keys.get(name.lower())
        test = codes.lab_test(key, self.person.sex) if key else None
        value = _text(row, "r7.11", 40, required=True, cut=False)
        LabResult.objects.create(
            **(base | {"ingested_at": _uploaded(row, "r7.7", self.now)}),
            institution=institution,
            collected_on=_date(row, "r7.6"),
            lab_key=key or name[:20],
            loinc=test.loinc if test else "",
            name=(test.name_zh if test else name)[:100],
            value=value,
            value_numeric=_numeric(value),
            unit=test.unit if test else "",
            reference_range=_text(row, "r7.12", 40, cut=False),
        )

    def build_r8(self, row, base):
        institution = self.by_code(row, "r8", "r8.3", "r8.4", "r8.1")
        order = _text(row, "r8.8").upper()
        known = codes.payment_codes().get(order)
        title = _text(row, "r8.9", 200) or (known.name_zh[:200] if known else "")
        if not title:
            raise _Skip("missing", "r8.9")
        pathology = (known is not None and known.kind == "pathology") or "病理" in title
        visit_day = _date(row, "r8.5", required=False)
        visit = None
        if visit_day is not None:
            visit = (
                Visit.objects.filter(person=self.person, institution=institution, visit_date=visit_day)
                .order_by("kind", "card_sequence", "pk")
                .first()
            )
        Report.objects.create(
            **(base | {"ingested_at": _uploaded(row, "r8.7", self.now)}),
            kind=Report.Kind.PATHOLOGY if pathology else Report.Kind.IMAGING,
            institution=institution,
            visit=visit,
            performed_on=_date(row, "r8.6"),
            title=title,
            text=row.get("r8.10") or "",
        )

    def build_r10(self, row, base):
        area, number = _text(row, "r10.3"), _text(row, "r10.4")
        institution = self.by_code(row, "r10", "r10.1", "r10.2", phone=f"{area}-{number}" if area else number)
        serology = {"1": "negative", "2": "positive"}
        PreventiveCheck.objects.create(
            **base,
            institution=institution,
            checked_on=_date(row, "r10.5"),
            height_cm=_decimal(row, "r10.6", 5, 1),
            weight_kg=_decimal(row, "r10.7", 5, 1),
            waist_cm=_decimal(row, "r10.9", 5, 1),
            systolic=_whole(row, "r10.10", limit=32767),
            diastolic=_whole(row, "r10.11", limit=32767),
            cholesterol_total=_decimal(row, "r10.14", 6, 1),
            triglycerides=_decimal(row, "r10.15", 6, 1),
            hdl=_decimal(row, "r10.16", 6, 1),
            ldl=_decimal(row, "r10.17", 6, 1),
            fasting_glucose=_decimal(row, "r10.20", 6, 1),
            bun=_decimal(row, "r10.23", 6, 1),
            creatinine=_decimal(row, "r10.24", 6, 2),
            egfr=_decimal(row, "r10.25", 6, 1),
            urine_protein=_text(row, "r10.28", 10),
            got=_whole(row, "r10.31", limit=32767),
            gpt=_whole(row, "r10.32", limit=32767),
            hbsag=serology.get(_text(row, "r10.35"), ""),
            anti_hcv=serology.get(_text(row, "r10.39"), ""),
        )

    def build_r11(self, row, base):
        category = _text(row, "r11.1", required=True)
        kinds = {names[0]: kind for kind, names in writer.SCREENING_NAMES.items()}
        kind = kinds.get(category)
        for word, candidate in (("子宮頸", "cervical"), ("乳", "breast"), ("大腸", "colorectal"), ("口腔", "oral")):
            if kind is None and word in category:
                kind = candidate
        if kind is None:
            raise _Skip("unknown_kind", "r11.1")
        verdict = _text(row, "r11_1.3")
        CancerScreening.objects.create(
            **base,
            kind=kind,
            institution=self.named(row, "r11_1.2", "r11"),
            screened_on=_date(row, "r11_1.1"),
            result=_text(row, "r11_1.4", 200) or verdict[:200] or _skip("missing", "r11_1.4"),
            abnormal=verdict.startswith("異常") or verdict.startswith("陽性"),
        )

    def _follow_up(self, row, base, section: str, program: str, fields: dict):
        values = {}
        for key, lab in fields.items():
            value = _plain(row.get(key))
            if value:
                values[lab] = value
        FollowUp.objects.create(
            **base,
            program=program,
            institution=self.named(row, f"{section}.2", section),
            measured_on=_date(row, f"{section}_1.2"),
            values=values,
        )

    def build_r12(self, row, base):
        self._follow_up(row, base, "r12", FollowUp.Program.DIABETES, writer.DIABETES_FIELDS)

    def build_r13(self, row, base):
        self._follow_up(row, base, "r13", FollowUp.Program.CKD_EARLY, writer.CKD_FIELDS)

    def build_r14(self, row, base):
        kind = _text(row, "r14_1.3").upper()
        if "C" in kind:
            program = FollowUp.Program.HEPATITIS_C
        elif "B" in kind:
            program = FollowUp.Program.HEPATITIS_B
        else:
            raise _Skip("unknown_kind" if kind else "missing", "r14_1.3")
        self._follow_up(row, base, "r14", program, writer.HEPATITIS_FIELDS)


def _skip(code: str, key: str):
    raise _Skip(code, key)


def _numeric(text: str) -> Decimal | None:
    """As the ingestion stores it (records.services): the value when it is a plain finite number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) < 10**8 else None


# --- the entry point ----------------------------------------------------------------------------------------------


def import_download(person, data: bytes, file_name: str, password: str | None = None, *, requested_by=None,
                    operator=None) -> ImportRun:  # fmt: skip
    """Import a My Health Bank download into ``person``'s passbook; ``ImportRefused`` and nothing stored if refused.

    ``requested_by`` is the person (or the parent) who uploaded it, ``operator`` the staff user at a counter.
    Returns the stored ``ImportRun`` with the per-section report (``describe`` puts it in words).
    """
    document = read_download(data, file_name, password)
    check_owner(person, document.get("b1.1"))
    now = timezone.now()
    with transaction.atomic():
        outcome = _Importer(person, now).run(document)
        run = ImportRun.objects.create(
            person=person,
            requested_by=requested_by,
            operator=operator,
            file_name=file_name[:200],
            digest=hashlib.sha256(data).hexdigest(),
            imported=sum(s.imported for s in outcome.values()),
            skipped=sum(s.skipped for s in outcome.values()),
            report={section: s.as_report() for section, s in outcome.items()},
            imported_at=now,
        )
        kind = AccessLog.ActorKind.PERSON
        label = f"person {person.pk}"
        if requested_by is not None and requested_by.pk != person.pk:
            kind, label = AccessLog.ActorKind.PARENT, f"person {requested_by.pk}"
        record_access(
            person.pk,
            what=AccessLog.What.DOWNLOAD_IMPORTED,
            detail="myhealthbank",
            operator=operator,
            actor_kind=kind,
            actor_label="" if operator is not None else label,
        )
    return run


def describe(report: dict) -> list[str]:
    """The report in sentences, one per section, in the active language."""
    lines = []
    for section in ORDER:
        if section not in report:
            continue
        entry = report[section]
        name = ExportCategory(MYHEALTHBANK_SECTIONS[section]).label
        line = _("%(section)s (%(key)s): imported %(imported)d, skipped %(skipped)d") % {
            "section": name,
            "key": section,
            "imported": entry["imported"],
            "skipped": entry["skipped"],
        }
        reasons = []
        for skip in entry["skips"]:
            why = _(SKIP_MESSAGES[skip["code"]]) % {"field": skip["field"]}
            rows = ", ".join(skip["rows"]) + ("…" if skip["count"] > len(skip["rows"]) else "")
            reasons.append(_("%(count)d %(why)s (rows %(rows)s)") % {"count": skip["count"], "why": why, "rows": rows})
        lines.append(line + (": " + "; ".join(reasons) if reasons else ""))
    return lines
