"""The NHI's My Health Bank download format (健康存摺醫療類), JSON and XML, written from a snapshot.

The format is /work/shared/reference/myhealthbank/IHK_JSON_J2_spec.txt (revised ROC 112-05-15), field for field,
and what real downloads do (its README). Apps written against real downloads read our files; our importer
(``exports.importer``) reads them back. One function per section below holds that section's key → field mapping.

Conventions (decided for HealthBank, issue 9):

- Root ``{"myhealthbank": {"bdata": {...}}}``; ``b1.1`` the masked national ID (``A12345****``), ``b1.2`` the
  download date ``YYYYMMDD`` (real downloads use ``b1.2``, not the document's table's ``b2.1``).
- ``r0`` is the download declaration: one row ``{"r0.1": <sentence>}`` saying HealthBank produced the file in
  the My Health Bank download format, for personal health management, and that data may lag 24–48 hours.
- Sections 12–14 are written ``R12``, ``R13``, ``R14`` (as real downloads and the document's sample); every inner
  key stays lower-case (``r12.1``, ``r12_1``, ``r12_1.1``).
- X(n) fields are strings, 9(n) fields are JSON numbers (integers when whole), a value we do not have is
  ``null`` (the key is still written, document §五), a section without rows is left out (§五 備註) and so is a
  row's empty child list (``r1_1`` … as the document's R12 sample). The one empty string is a pharmacy row's
  ``r1.5``. Dates are ``YYYYMMDD`` (Gregorian); ``r7.7``/``r8.7`` are ``YYYYMMDDHHMM`` in Taiwan time (the
  record's ``ingested_at``: an importer stores it back there).
- Diagnosis codes are written without their dot, as the NHI writes them (``E11.9`` → ``E119``);
  ``codes.icd10_normalise`` puts it back. Procedure fields (ICD-10-PCS, which we do not keep), claim periods,
  allergy severity, programme stages and enrolment dates are ``null``: every value must come from what we store,
  so that export → import → export gives the same document (apart from ``b1.2`` and ``r0``).
- Rows are in the snapshot's order (oldest first); child orders drugs first, then non-drug orders, each by
  position.
- Values the format has no field for are not written: a visit's department, a drug's frequency, an allergy's
  drug code, a report's kind, follow-up values other than the numbered ones (AFP, HBV DNA …), withdrawn care
  wishes (the card only carries wishes in force). The HTML and FHIR files of the same package carry them.

XML: the same tree, one element per key, a list repeats its element (each ``r1`` row is an ``<r1>`` holding
``<r1.1>`` … and its ``<r1_1>`` elements), no attributes, UTF-8 with an XML declaration. ``null`` leaves the
element out, ``""`` is an empty element. Unlike real XML downloads ours includes r9–R14. The schema is
``exports/schemas/myhealthbank.xsd``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from healthbank import policy
from healthbank.core import codes
from healthbank.records.models import CancerScreening, CareWish, FollowUp

from ..choices import MYHEALTHBANK_SECTIONS

TAIPEI = ZoneInfo("Asia/Taipei")
DECLARATION = (
    "本檔案由 HealthBank 依健保署「健康存摺」醫療類下載格式產出，僅供個人健康管理參考；"
    "資料來自各醫事機構及機關上傳，可能有 24 至 48 小時的延遲。"
)
# Sections 12–14 appear upper-case in real downloads and in the document's sample.
OUTPUT_KEY = {"r12": "R12", "r13": "R13", "r14": "R14"}
PHARMACY_CARD_SEQUENCE = "XXXX"  # what real downloads put in r1.7 of a pharmacy dispensing row
# Characters XML 1.0 cannot carry at all (JSON escapes them); a sent report could hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# ---------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------


def _date(day: dt.date | None) -> str | None:
    return day.strftime("%Y%m%d") if day else None


def _uploaded(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(TAIPEI).strftime("%Y%m%d%H%M") if moment else None


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _number(value) -> int | float | None:
    """A 9(n) field: a JSON number, whole numbers without a fraction (28.00 → 28, 0.95 → 0.95)."""
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _icd(code: str | None) -> str | None:
    return code.replace(".", "") if code else None


def _division(institution) -> tuple[str | None, str | None]:
    if institution is None:
        return None, None
    name = policy.NHI_DIVISIONS.get(institution.division)
    return str(institution.division), (name[0] if name else None)


def _phone(phone: str) -> tuple[str | None, str | None]:
    """ "02-2345678" → ("02", "2345678"): the document keeps the area code apart."""
    if not phone:
        return None, None
    area, dash, number = phone.partition("-")
    return (area, number) if dash else (None, phone)


def _diagnosis_name(code: str) -> str | None:
    known = codes.diagnoses().get(code)
    return (known.name_zh or known.name_en) if known else None


def _drug_name(code: str) -> str | None:
    known = codes.drugs().get(code)
    return known.name if known else None


def _payment_name(code: str) -> str | None:
    known = codes.payment_codes().get(code)
    return (known.name_zh or known.name_en) if known else None


def _pairs(prefix: str, first_key: int, diagnoses: list, slots: int) -> dict:
    out = {}
    for n in range(slots):
        d = diagnoses[n] if n < len(diagnoses) else None
        out[f"{prefix}.{first_key + 2 * n}"] = _icd(d.icd10) if d else None
        out[f"{prefix}.{first_key + 2 * n + 1}"] = _diagnosis_name(d.icd10) if d else None
    return out


def _nulls(prefix: str, first: int, last: int) -> dict:
    return {f"{prefix}.{n}": None for n in range(first, last + 1)}


def _primary_and_others(visit) -> tuple[list, list]:
    found = list(visit.diagnoses.all())
    if found and found[0].position == 1:
        return [found[0]], found[1:]
    return [], found


# ---------------------------------------------------------------------------------------------------------
# Teeth (r3_1.4 / r3_1.5): FDI numbers, the name as the NHI writes it ("右上第一顆恆牙")
# ---------------------------------------------------------------------------------------------------------

_QUADRANT = {1: "右上", 2: "左上", 3: "左下", 4: "右下", 5: "右上", 6: "左上", 7: "左下", 8: "右下"}
_ORDINAL = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八"}


def tooth_name(tooth: int) -> str | None:
    """The Chinese name of an FDI tooth number: 11 → 右上第一顆恆牙, 55 → 右上第五顆乳牙."""
    quadrant, n = divmod(tooth, 10)
    if quadrant not in _QUADRANT or n not in _ORDINAL or (quadrant >= 5 and n > 5):
        return None
    return f"{_QUADRANT[quadrant]}第{_ORDINAL[n]}顆{'乳牙' if quadrant >= 5 else '恆牙'}"


# ---------------------------------------------------------------------------------------------------------
# Sections: one function per section, rows → list of dicts in the document's key order
# ---------------------------------------------------------------------------------------------------------


def _visit_head(prefix: str, visit) -> dict:
    division, division_name = _division(visit.institution)
    return {
        f"{prefix}.1": division,
        f"{prefix}.2": division_name,
        f"{prefix}.3": visit.institution.code,
        f"{prefix}.4": visit.institution.name,
    }


def _orders(visit) -> list:
    """Drug orders then non-drug orders, as (kind, order) in position order."""
    return [("drug", o) for o in visit.drug_orders.all()] + [("other", o) for o in visit.non_drug_orders.all()]


def _order_lines(visit, prefix: str) -> list[dict]:
    """r1_1 / r9_1: code, name, quantity, days (0 for a non-drug order)."""
    lines = []
    for kind, order in _orders(visit):
        if kind == "drug":
            code, name, days = order.drug_code, _drug_name(order.drug_code), order.days_supplied
        else:
            code, name, days = order.payment_code, _payment_name(order.payment_code), 0
        lines.append(
            {
                f"{prefix}.1": code,
                f"{prefix}.2": name,
                f"{prefix}.3": _number(order.quantity),
                f"{prefix}.4": _number(days),
            }
        )
    return lines


def _with_children(row: dict, key: str, children: list) -> dict:
    if children:
        row[key] = children
    return row


def r1_outpatient(visits, snapshot) -> list[dict]:
    """西醫門診: western, preventive and pharmacy visits (a pharmacy row: r1.5 "", r1.6 the day, r1.7 XXXX)."""
    rows = []
    for v in visits:
        pharmacy = v.kind == "pharmacy"
        primary, others = _primary_and_others(v)
        row = _visit_head("r1", v) | {
            "r1.5": "" if pharmacy else _date(v.visit_date),
            "r1.6": _date(v.visit_date) if pharmacy else None,
            "r1.7": PHARMACY_CARD_SEQUENCE if pharmacy else _text(v.card_sequence),
        }
        row |= _pairs("r1", 8, primary, 1)
        row |= {"r1.10": None, "r1.11": None, "r1.12": _number(v.copayment), "r1.13": _number(v.points)}
        row |= _pairs("r1", 14, others, 5)
        row |= _nulls("r1", 24, 27)
        rows.append(_with_children(row, "r1_1", _order_lines(v, "r1_1")))
    return rows


def r2_inpatient(stays, snapshot) -> list[dict]:
    """住院: the stay, 19 secondary diagnoses, orders executed over the stay (r2_1.2/.3 = admission/discharge)."""
    rows = []
    for v in stays:
        primary, others = _primary_and_others(v)
        row = _visit_head("r2", v) | {
            "r2.5": _date(v.visit_date),
            "r2.6": _date(v.end_date),
            "r2.7": None,
            "r2.8": None,
            "r2.9": _text(v.card_sequence),
        }
        row |= _pairs("r2", 10, primary, 1)
        row |= {"r2.12": None, "r2.13": None, "r2.14": _number(v.copayment), "r2.15": _number(v.points)}
        row |= _pairs("r2", 16, others, 19)
        row |= _nulls("r2", 54, 91)
        orders = []
        for n, (kind, order) in enumerate(_orders(v), start=1):
            code = order.drug_code if kind == "drug" else order.payment_code
            orders.append(
                {
                    "r2_1.1": str(n),
                    "r2_1.2": _date(v.visit_date),
                    "r2_1.3": _date(v.end_date),
                    "r2_1.4": code,
                    "r2_1.5": _drug_name(code) if kind == "drug" else _payment_name(code),
                    "r2_1.6": _number(order.quantity),
                }
            )
        rows.append(_with_children(row, "r2_1", orders))
    return rows


def r3_dental(visits, snapshot) -> list[dict]:
    """牙醫門診: orders carry the FDI tooth number and its Chinese name."""
    rows = []
    for v in visits:
        primary, others = _primary_and_others(v)
        row = _visit_head("r3", v) | {"r3.5": _date(v.visit_date), "r3.6": _text(v.card_sequence)}
        row |= _pairs("r3", 7, primary, 1)
        row |= {"r3.9": None, "r3.10": None, "r3.11": _number(v.copayment), "r3.12": _number(v.points)}
        row |= _pairs("r3", 13, others, 5)
        row |= _nulls("r3", 23, 26)
        lines = []
        for kind, order in _orders(v):
            drug = kind == "drug"
            code = order.drug_code if drug else order.payment_code
            tooth = None if drug else order.tooth
            lines.append(
                {
                    "r3_1.1": code,
                    "r3_1.2": _drug_name(code) if drug else _payment_name(code),
                    "r3_1.3": _number(order.quantity),
                    "r3_1.4": str(tooth) if tooth is not None else None,
                    "r3_1.5": tooth_name(tooth) if tooth is not None else None,
                    "r3_1.6": _number(order.days_supplied if drug else 0),
                }
            )
        rows.append(_with_children(row, "r3_1", lines))
    return rows


def r4_allergies(allergies, snapshot) -> list[dict]:
    """過敏資料: uploaded by the institution that saw it; its phone split into area code and number."""
    rows = []
    for a in allergies:
        area, number = _phone(a.institution.phone)
        rows.append(
            {
                "r4.1": _date(a.uploaded_on),
                "r4.2": _text(a.allergen),
                "r4.3": _text(a.doctor_name),
                "r4.4": a.institution.code,
                "r4.5": a.institution.name,
                "r4.6": area,
                "r4.7": number,
                "r4.8": _text(a.institution.address),
                "r4.9": None,
                "r4.10": _text(a.reaction),
                "r4.11": None,
                "r4.12": None,
            }
        )
    return rows


# r5.2 註記代碼 → r5.3 (the NHI card's wish notes).
WISH_CODES = {
    CareWish.Kind.ORGAN_DONATION: ("1", "同意器官捐贈"),
    CareWish.Kind.HOSPICE: ("2", "同意安寧緩和醫療"),
}


def r5_care_wishes(wishes, snapshot) -> list[dict]:
    """器捐或安寧緩和醫療意願: the wishes in force on the download day (the card drops withdrawn ones)."""
    rows = []
    for w in wishes:
        if w.withdrawn_on is not None and w.withdrawn_on <= snapshot.today:
            continue
        code, text = WISH_CODES[w.kind]
        rows.append({"r5.1": _date(w.registered_on), "r5.2": code, "r5.3": text})
    return rows


def r6_vaccinations(vaccinations, snapshot) -> list[dict]:
    """預防接種: the vaccine's Chinese name as the vaccinations page gives it (its code when not catalogued)."""
    rows = []
    for v in vaccinations:
        known = codes.vaccines().get(v.vaccine_code)
        place = v.institution.name if v.institution is not None else v.institution_name
        rows.append(
            {
                "r6.1": _date(v.vaccinated_on),
                "r6.3": known.name_in("zh-hant") if known else v.vaccine_code,
                "r6.5": _text(place),
            }
        )
    return rows


def _lab_name(result, sex: str) -> str:
    test = codes.lab_test(result.lab_key, sex)
    return test.name_zh if test and test.name_zh else (result.name or result.lab_key)


def r7_labs(results, snapshot) -> list[dict]:
    """檢驗檢查結果: one row a value; the lab catalogue has no NHI order codes, so r7.8/r7.9 are null."""
    sex = snapshot.person.sex
    rows = []
    for r in results:
        division, division_name = _division(r.institution)
        rows.append(
            {
                "r7.1": division,
                "r7.2": division_name,
                "r7.3": r.institution.code,
                "r7.4": r.institution.name,
                "r7.5": None,
                "r7.6": _date(r.collected_on),
                "r7.7": _uploaded(r.ingested_at),
                "r7.8": None,
                "r7.9": None,
                "r7.10": _lab_name(r, sex),
                "r7.11": _text(r.value),
                "r7.12": _text(r.reference_range),
            }
        )
    return rows


def r8_reports(reports, snapshot) -> list[dict]:
    """影像或病理報告: r8.5 the visit's date when the report names its visit, r8.9 the report's title."""
    rows = []
    for r in reports:
        division, division_name = _division(r.institution)
        rows.append(
            {
                "r8.1": division,
                "r8.2": division_name,
                "r8.3": r.institution.code,
                "r8.4": r.institution.name,
                "r8.5": _date(r.visit.visit_date) if r.visit is not None else None,
                "r8.6": _date(r.performed_on),
                "r8.7": _uploaded(r.ingested_at),
                "r8.8": None,
                "r8.9": _text(r.title),
                "r8.10": _text(r.text),
            }
        )
    return rows


def r9_chinese_medicine(visits, snapshot) -> list[dict]:
    """中醫門診: as western outpatient without the pharmacy convention."""
    rows = []
    for v in visits:
        primary, others = _primary_and_others(v)
        row = _visit_head("r9", v) | {"r9.5": _date(v.visit_date), "r9.6": _text(v.card_sequence)}
        row |= _pairs("r9", 7, primary, 1)
        row |= {"r9.9": None, "r9.10": None, "r9.11": _number(v.copayment), "r9.12": _number(v.points)}
        row |= _pairs("r9", 13, others, 5)
        row |= _nulls("r9", 23, 26)
        rows.append(_with_children(row, "r9_1", _order_lines(v, "r9_1")))
    return rows


# r10 result codes (document's table): 0 none, 1 normal, 2 abnormal, see a doctor. Our sections say normal /
# abnormal / unknown (passbook.selectors.labs.check_sections, the pages' rules); abnormal is written as 2, the
# mildest abnormal advice, since the HPA's advice itself is not sent to us.
RESULT_CODES = {"unknown": ("0", "無"), "normal": ("1", "正常"), "abnormal": ("2", "異常，建議：請洽詢醫師")}
# r10.35/.39 antigen/antibody: 1 negative, 2 positive, 3 not done; r10.37/.41 the hepatitis result.
SEROLOGY_CODES = {False: ("1", "陰性"), True: ("2", "陽性"), None: ("3", "未執行")}
HEPATITIS_RESULT_CODES = {False: ("1", "陰性"), True: ("2", "陽性，建議進一步檢查"), None: ("0", "無")}


def _positive(text: str) -> bool | None:
    value = (text or "").strip().lower()
    if not value:
        return None
    return value in ("positive", "+", "陽性", "pos", "reactive")


def r10_preventive(checks, snapshot) -> list[dict]:
    """成人預防保健: every field; BMI from height and weight, result codes from the passbook's rules."""
    from healthbank.assessments import body
    from healthbank.passbook.selectors.labs import check_sections

    sex = snapshot.person.sex
    rows = []
    for c in checks:
        results = {s["key"]: s["result"] for s in check_sections(c, sex)}
        area, number = _phone(c.institution.phone)
        bmi = round(body.bmi(c.height_cm, c.weight_kg), 1) if c.height_cm and c.weight_kg else None
        row = {
            "r10.1": c.institution.code,
            "r10.2": c.institution.name,
            "r10.3": area,
            "r10.4": number,
            "r10.5": _date(c.checked_on),
            "r10.6": _number(c.height_cm),
            "r10.7": _number(c.weight_kg),
            "r10.8": _number(bmi),
            "r10.9": _number(c.waist_cm),
            "r10.10": _number(c.systolic),
            "r10.11": _number(c.diastolic),
        }
        row |= dict(zip(("r10.12", "r10.13"), RESULT_CODES[results["blood_pressure"]], strict=True))
        row |= {
            "r10.14": _number(c.cholesterol_total),
            "r10.15": _number(c.triglycerides),
            "r10.16": _number(c.hdl),
            "r10.17": _number(c.ldl),
        }
        row |= dict(zip(("r10.18", "r10.19"), RESULT_CODES[results["lipids"]], strict=True))
        row |= {"r10.20": _number(c.fasting_glucose)}
        row |= dict(zip(("r10.21", "r10.22"), RESULT_CODES[results["glucose"]], strict=True))
        row |= {"r10.23": _number(c.bun), "r10.24": _number(c.creatinine), "r10.25": _number(c.egfr)}
        row |= dict(zip(("r10.26", "r10.27"), RESULT_CODES[results["kidney"]], strict=True))
        row |= {"r10.28": _text(c.urine_protein)}
        row |= dict(zip(("r10.29", "r10.30"), RESULT_CODES[results["metabolic_syndrome"]], strict=True))
        row |= {"r10.31": _number(c.got), "r10.32": _number(c.gpt)}
        row |= dict(zip(("r10.33", "r10.34"), RESULT_CODES[results["liver"]], strict=True))
        hbsag, anti_hcv = _positive(c.hbsag), _positive(c.anti_hcv)
        row |= dict(zip(("r10.35", "r10.36"), SEROLOGY_CODES[hbsag], strict=True))
        row |= dict(zip(("r10.37", "r10.38"), HEPATITIS_RESULT_CODES[hbsag], strict=True))
        row |= dict(zip(("r10.39", "r10.40"), SEROLOGY_CODES[anti_hcv], strict=True))
        row |= dict(zip(("r10.41", "r10.42"), HEPATITIS_RESULT_CODES[anti_hcv], strict=True))
        rows.append(row)
    return rows


# r11.1 screening category and r11.2 test, as the HPA names them in real downloads.
SCREENING_NAMES = {
    CancerScreening.Kind.CERVICAL: ("子宮頸癌篩檢", "子宮頸抹片檢查"),
    CancerScreening.Kind.BREAST: ("乳癌篩檢", "乳房X光攝影檢查"),
    CancerScreening.Kind.COLORECTAL: ("大腸癌篩檢", "定量免疫法糞便潛血檢查"),
    CancerScreening.Kind.ORAL: ("口腔癌篩檢", "口腔黏膜檢查"),
}


def r11_cancer_screening(screenings, snapshot) -> list[dict]:
    """癌症篩檢: one row a kind, its results in r11_1 (r11_1.3 異常/無異常, r11_1.4 the result as sent)."""
    rows: list[dict] = []
    by_kind: dict[str, dict] = {}
    for s in screenings:
        if s.kind not in by_kind:
            category, test = SCREENING_NAMES[s.kind]
            by_kind[s.kind] = {"r11.1": category, "r11.2": test, "r11_1": []}
            rows.append(by_kind[s.kind])
        by_kind[s.kind]["r11_1"].append(
            {
                "r11_1.1": _date(s.screened_on),
                "r11_1.2": s.institution.name,
                "r11_1.3": "異常" if s.abnormal else "無異常",
                "r11_1.4": _text(s.result),
            }
        )
    return rows


def _value(value) -> str | None:
    """A follow-up value (X(8)): numbers with two decimals as real downloads write them ("7.60"), text as is."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return str(value)
    return f"{number:.2f}" if number.is_finite() else str(value)


def _sign(value) -> str | None:
    positive = _positive(str(value)) if value not in (None, "") else None
    if positive is None:
        return _text(value)
    return "陽性" if positive else "陰性"


# FollowUp.values keys (lab keys) → the numbered fields of each programme's r1x_1 row.
DIABETES_FIELDS = {
    "r12_1.5": "systolic",
    "r12_1.6": "diastolic",
    "r12_1.7": "hba1c",
    "r12_1.8": "ldl",
    "r12_1.9": "glucose_fasting",
    "r12_1.10": "creatinine",
    "r12_1.11": "egfr",
    "r12_1.12": "triglycerides",
    "r12_1.13": "uacr",
}
DIABETES_BLOOD = ("hba1c", "ldl", "glucose_fasting", "creatinine", "egfr", "triglycerides")
CKD_FIELDS = {
    "r13_1.3": "systolic",
    "r13_1.4": "diastolic",
    "r13_1.5": "egfr",
    "r13_1.6": "upcr",
    "r13_1.7": "creatinine",
    "r13_1.8": "ldl",
    "r13_1.9": "hba1c",
    "r13_1.10": "uacr",
}
HEPATITIS_FIELDS = {
    "r14_1.4": "hbsag",
    "r14_1.5": "hbeag",
    "r14_1.6": "ast",
    "r14_1.7": "alt",
    "r14_1.8": "ultrasound",
}
HEPATITIS_TYPES = {FollowUp.Program.HEPATITIS_B: "B 型肝炎", FollowUp.Program.HEPATITIS_C: "C 型肝炎"}


def _programmes(records, prefix: str, line) -> list[dict]:
    """One row per programme and institution, its measurements in ``<prefix>_1``. We keep no enrolment or
    closing dates, so r1x.1 and r1x.3 are null."""
    rows: list[dict] = []
    groups: dict[tuple, dict] = {}
    for f in records:
        key = (f.program, f.institution.code)
        if key not in groups:
            groups[key] = {f"{prefix}.1": None, f"{prefix}.2": f.institution.name, f"{prefix}.3": None,
                           f"{prefix}_1": []}  # fmt: skip
            rows.append(groups[key])
        groups[key][f"{prefix}_1"].append(line(f))
    return rows


def r12_diabetes(records, snapshot) -> list[dict]:
    """糖尿病追蹤: r12_1.3 / r12_1.4 the measuring day when blood / urine values were taken that day."""

    def line(f) -> dict:
        values = f.values or {}
        blood = any(values.get(k) not in (None, "") for k in DIABETES_BLOOD)
        urine = values.get("uacr") not in (None, "")
        row = {
            "r12_1.1": None,
            "r12_1.2": _date(f.measured_on),
            "r12_1.3": _date(f.measured_on) if blood else None,
            "r12_1.4": _date(f.measured_on) if urine else None,
        }
        return row | {field: _value(values.get(key)) for field, key in DIABETES_FIELDS.items()}

    return _programmes(records, "r12", line)


def r13_ckd(records, snapshot) -> list[dict]:
    """初期慢性腎病追蹤."""

    def line(f) -> dict:
        values = f.values or {}
        row = {"r13_1.1": None, "r13_1.2": _date(f.measured_on)}
        return row | {field: _value(values.get(key)) for field, key in CKD_FIELDS.items()}

    return _programmes(records, "r13", line)


def r14_hepatitis(records, snapshot) -> list[dict]:
    """BC 肝炎追蹤: hepatitis B and C are separate programmes, so separate rows; r14_1.3 names the type."""

    def line(f) -> dict:
        values = f.values or {}
        row = {"r14_1.1": None, "r14_1.2": _date(f.measured_on), "r14_1.3": HEPATITIS_TYPES[f.program]}
        for field, key in HEPATITIS_FIELDS.items():
            row[field] = _sign(values.get(key)) if key in ("hbsag", "hbeag") else _value(values.get(key))
        return row

    return _programmes(records, "r14", line)


SECTION_WRITERS = {
    "r1": r1_outpatient,
    "r2": r2_inpatient,
    "r3": r3_dental,
    "r4": r4_allergies,
    "r5": r5_care_wishes,
    "r6": r6_vaccinations,
    "r7": r7_labs,
    "r8": r8_reports,
    "r9": r9_chinese_medicine,
    "r10": r10_preventive,
    "r11": r11_cancer_screening,
    "r12": r12_diabetes,
    "r13": r13_ckd,
    "r14": r14_hepatitis,
}


# ---------------------------------------------------------------------------------------------------------
# The document and its two forms
# ---------------------------------------------------------------------------------------------------------


def document(snapshot) -> dict:
    """The snapshot's medical categories as one My Health Bank document (a dict of JSON types)."""
    bdata: dict = {
        "b1.1": snapshot.person.national_id_masked,
        "b1.2": _date(snapshot.today),
        "r0": [{"r0.1": DECLARATION}],
    }
    for section, category in MYHEALTHBANK_SECTIONS.items():
        if category not in snapshot.categories:
            continue
        rows = SECTION_WRITERS[section](snapshot.rows(category), snapshot)
        if rows:
            bdata[OUTPUT_KEY.get(section, section)] = rows
    return {"myhealthbank": {"bdata": bdata}}


def to_json(doc: dict) -> bytes:
    """UTF-8 without BOM, Chinese as is, one-space indent, keys in document order."""
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _xml(name: str, value, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _xml(name, item, out)
        return
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, child in value.items():
            _xml(key, child, out)
        out.append(f"</{name}>")
        return
    if isinstance(value, bool):  # never written today; keep JSON's spelling if it ever is
        text = "true" if value else "false"
    else:
        text = escape(_NOT_XML.sub("", str(value)))
    out.append(f"<{name}>{text}</{name}>" if text else f"<{name}/>")


def to_xml(doc: dict) -> bytes:
    """The same tree as XML: an element per key, a list repeats its element, null leaves the element out."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    for key, value in doc.items():
        _xml(key, value, out)
    out.append("\n")
    return "".join(out).encode("utf-8")


def file_name(day: dt.date, extension: str) -> str:
    """健康存摺醫療類_YYYYMMDD.json / .xml (document §一: the application date, Gregorian)."""
    return f"健康存摺醫療類_{day.strftime('%Y%m%d')}.{extension.lstrip('.')}"
