"""The HTML files of a download package (SPEC §8): one self-contained page a category (or a month), and an index.

Each page stands alone on the person's disk for years: its styles sit in one ``<style>`` element, it asks
nothing of any server (no stylesheet, script, font or image by address) and it prints (headings of a table
repeat on each sheet, a visit is not cut across two). Headings are bilingual, as the NHI's own section names
beside an English one, so a doctor abroad can read the file of a Chinese-reading person and the other way
round. Dates are written in the ROC calendar with the Western date beside them.

The rows are named with the passbook's own helpers (diagnosis, drug, lab, vaccine and department names,
masked card numbers, the lab flag), so a file says what the pages said. Nothing here queries the database:
the snapshot holds the rows and the code catalogues are cached.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.assessments.labs import reference_flag
from healthbank.core import codes, display
from healthbank.core.masking import mask_name
from healthbank.core.rocdate import ROC_OFFSET, format_roc
from healthbank.identity.models import Sex
from healthbank.passbook.selectors.care import department
from healthbank.passbook.selectors.common import diagnosis, drug, institution_name, payment_item
from healthbank.passbook.selectors.insurance import (
    allergy_row,
    card_row,
    enrolment_row,
    payment_row,
    premium_row,
    vaccination_row,
    wish_row,
)
from healthbank.passbook.selectors.labs import check_sections, flag_words, lab_name, lab_row, report_row
from healthbank.records.models import CancerScreening, FollowUp, Visit

from ..choices import SPLITTABLE, ExportCategory
from ..collect import VISIT_KINDS, Snapshot

C = ExportCategory

# The NHI's own names of its sections (as My Health Bank titles them): data, the same in every language.
CHINESE_TITLES = {
    C.INSURANCE: "投保紀錄",
    C.CARDS: "健保卡狀態與製發紀錄",
    C.PREMIUM_CALCULATIONS: "保險費計算",
    C.PREMIUM_PAYMENTS: "保險費繳納",
    C.OUTPATIENT: "西醫門診紀錄",
    C.INPATIENT: "住院紀錄",
    C.DENTAL: "牙醫門診紀錄",
    C.CHINESE_MEDICINE: "中醫門診紀錄",
    C.LABS: "檢驗檢查結果",
    C.IMAGING_PATHOLOGY: "影像及病理檢查報告",
    C.DISCHARGE_SUMMARIES: "出院病歷摘要",
    C.ALLERGIES: "過敏資料",
    C.CARE_WISHES: "器官捐贈及安寧緩和醫療意願",
    C.VACCINATIONS: "預防接種",
    C.PREVENTIVE_CARE: "成人預防保健",
    C.CANCER_SCREENING: "癌症篩檢",
    C.DIABETES: "糖尿病追蹤",
    C.CKD_EARLY: "初期慢性腎臟病追蹤",
    C.HEPATITIS: "B、C型肝炎追蹤",
    C.MEASUREMENTS: "自我量測紀錄",
    C.CALENDAR: "健康行事曆",
}
INDEX_TITLE = ("健康存摺下載", "My Health Bank download")


def english_title(category: str) -> str:
    """The category's English name, whatever the reader's language (the other half of a bilingual heading)."""
    with translation.override("en"):
        return str(ExportCategory(category).label)


def title(category: str) -> tuple[str, str]:
    """``("西醫門診紀錄", "Western-medicine outpatient visits")``."""
    return CHINESE_TITLES[category], english_title(category)


def both_dates(day: dt.date | dt.datetime | None, chinese: bool) -> str:
    """``115/03/02 (2026-03-02)`` on Chinese files, ``2026-03-02 (ROC 115/03/02)`` on English ones."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    if day.year <= ROC_OFFSET:
        return day.isoformat()
    if chinese:
        return f"{format_roc(day)} ({day.isoformat()})"
    return f"{day.isoformat()} (ROC {format_roc(day)})"


def _month_label(month: dt.date, chinese: bool) -> str:
    western = f"{month.year:04d}-{month.month:02d}"
    if month.year <= ROC_OFFSET:
        return western
    roc = f"{month.year - ROC_OFFSET}年{month.month}月"
    return f"{roc} ({western})" if chinese else f"{western} (ROC {roc})"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _table(columns, rows, *, caption: str = "", numeric=()) -> dict:
    """A table for the template: ``columns`` labels, ``rows`` of cells, each cell a string or a list of lines."""
    return {
        "caption": caption,
        "columns": [{"label": str(label), "num": i in numeric} for i, label in enumerate(columns)],
        "rows": [
            [
                {"lines": [_text(c) for c in cell] if isinstance(cell, list) else [_text(cell)], "num": i in numeric}
                for i, cell in enumerate(row)
            ]
            for row in rows
        ],
    }


def _code_name(item: dict) -> str:
    return f"{item['code']} {item['name']}".strip()


# ---------------------------------------------------------------- visits


def _visit(visit: Visit, viewing, chinese: bool) -> dict:
    dept = department(visit.department, viewing) if visit.department else None
    when = both_dates(visit.visit_date, chinese)
    if visit.end_date:
        when = f"{when} – {both_dates(visit.end_date, chinese)}"
    facts = [
        (_("Date"), when),
        (_("Kind"), str(Visit.Kind(visit.kind).label)),
        (_("Institution"), f"{institution_name(visit.institution, viewing)} ({visit.institution.code})"),
    ]
    if dept:
        facts.append((_("Department"), _code_name(dept)))
    if visit.card_sequence:
        facts.append((_("Card visit sequence number"), visit.card_sequence))
    if visit.refill_number:
        facts.append((_("Refill number"), str(visit.refill_number)))
    facts += [(_("Copayment (NT$)"), str(visit.copayment)), (_("NHI points"), str(visit.points))]
    drugs = [
        [o.drug_code, drug(o.drug_code, viewing)["name"], o.frequency, o.days_supplied, o.quantity]
        for o in visit.drug_orders.all()
    ]
    others = []
    for o in visit.non_drug_orders.all():
        where = []
        if o.tooth:
            where.append(_("tooth %(n)s") % {"n": o.tooth})
        if o.body_site:
            where.append(o.body_site)
        if o.is_surgery:
            where.append(_("surgery"))
        others.append([o.payment_code, payment_item(o.payment_code, viewing)["name"], " · ".join(where), o.quantity])
    return {
        "heading": f"{both_dates(visit.visit_date, chinese)} · {institution_name(visit.institution, viewing)}",
        "facts": facts,
        "diagnoses": [_code_name(diagnosis(d.icd10, viewing)) for d in visit.diagnoses.all()],
        "drugs": _table(
            [_("Drug code"), _("Drug name"), _("Frequency"), _("Days supplied"), _("Total quantity")],
            drugs,
            caption=_("Drug orders"),
            numeric=(3, 4),
        )
        if drugs
        else None,
        "others": _table(
            [_("Code"), _("Name"), _("Tooth or site"), _("Quantity")],
            others,
            caption=_("Non-drug orders and procedures"),
            numeric=(3,),
        )
        if others
        else None,
    }


# ---------------------------------------------------------------- the other categories


def _insurance(rows, viewing, chinese):
    body = []
    for e in rows:
        r = enrolment_row(e, viewing)
        body.append(
            [
                _code_name(r["unit"]),
                r["category_label"],
                r["role_label"],
                r["relationship_label"],
                both_dates(r["started_on"], chinese),
                both_dates(r["ended_on"], chinese) or _("current"),
            ]
        )
    return [_table([_("Insurance unit"), _("Category"), _("Role"), _("Relationship"), _("From"), _("Until")], body)]


def _cards(rows, viewing, chinese):
    newest = max(rows, key=lambda c: (c.issued_on, str(c.pk))).pk if rows else None
    body = []
    for card in rows:
        r = card_row(card, newest)
        body.append(
            [
                r["card_number"],
                both_dates(r["issued_on"], chinese),
                r["reason_label"],
                r["status_label"],
                both_dates(r["reported_lost_on"], chinese),
            ]
        )
    return [_table([_("Card number"), _("Issued on"), _("Reason"), _("Status"), _("Reported lost on")], body)]


def _premiums(rows, viewing, chinese):
    body = []
    for calc in rows:
        r = premium_row(calc)
        body.append(
            [
                _month_label(r["month"], chinese),
                _code_name(r["unit"]),
                r["insured_salary"],
                f"{r['rate_percent']} %",
                f"{r['share_pct']} %",
                r["people_billed"],
                r["amount"],
            ]
        )
    columns = [
        _("Month"),
        _("Insurance unit"),
        _("Insured salary (NT$)"),
        _("Rate"),
        _("Share"),
        _("People billed"),
        _("Premium (NT$)"),
    ]
    return [_table(columns, body, numeric=(2, 3, 4, 5, 6))]


def _payments(rows, viewing, chinese):
    body = []
    for payment in rows:
        r = payment_row(payment)
        body.append(
            [both_dates(r["paid_on"], chinese), _month_label(r["month"], chinese), r["amount"], r["method_label"]]
        )
    return [_table([_("Paid on"), _("For the month"), _("Amount (NT$)"), _("Method")], body, numeric=(2,))]


def _labs(rows, viewing, chinese):
    words = flag_words()
    body = []
    for result in rows:
        r = lab_row(result, viewing)
        body.append(
            [
                both_dates(r["date"], chinese),
                r["name"],
                r["value"],
                r["unit"],
                r["reference_range"],
                words.get(r["flag"], "") if r["flag"] else "",
                r["institution"]["name"],
            ]
        )
    columns = [_("Collected on"), _("Test"), _("Value"), _("Unit"), _("Reference range"), _("Flag"), _("Institution")]
    return [_table(columns, body, numeric=(2,))]


def _reports(rows, viewing, chinese):
    return [
        {
            "report": True,
            "heading": f"{both_dates(r['date'], chinese)} · {r['kind_label']} · {r['title']}",
            "institution": _code_name(r["institution"]),
            "text": r["text"],
        }
        for r in (report_row(report, viewing) for report in rows)
    ]


def _allergies(rows, viewing, chinese):
    body = []
    for allergy in rows:
        r = allergy_row(allergy, viewing)
        what = [r["allergen"]] + ([_code_name(r["drug"])] if r["drug"] else [])
        body.append(
            [
                both_dates(r["date"], chinese),
                what,
                r["reaction"],
                r["doctor"],
                r["institution"]["name"],
                r["institution"]["phone"],
            ]
        )
    columns = [_("Uploaded on"), _("Allergen or drug"), _("Reaction"), _("Doctor"), _("Institution"), _("Phone")]
    return [_table(columns, body)]


def _wishes(rows, viewing, chinese):
    body = []
    for wish in rows:
        r = wish_row(wish, viewing)
        body.append(
            [
                r["kind_label"],
                both_dates(r["signed_on"], chinese),
                both_dates(r["registered_on"], chinese),
                both_dates(r["withdrawn_on"], chinese),
                _("Yes") if r["in_force"] else _("No"),
            ]
        )
    return [_table([_("Wish"), _("Signed on"), _("Registered on"), _("Withdrawn on"), _("In force")], body)]


def _vaccinations(rows, viewing, chinese):
    body = []
    for vaccination in rows:
        r = vaccination_row(vaccination, viewing)
        body.append([both_dates(r["date"], chinese), r["code"], r["name"], r["institution"]["name"]])
    return [_table([_("Vaccinated on"), _("Vaccine code"), _("Vaccine"), _("Where")], body)]


def _preventive(rows, viewing, chinese):
    words = flag_words()
    tables = []
    for check in rows:
        body = []
        for section in check_sections(check, viewing.person.sex):
            for item in section["items"]:
                body.append(
                    [
                        section["title"],
                        item["label"],
                        f"{item['value']} {item['unit']}".strip(),
                        words.get(item["flag"], "") if item["flag"] else "",
                    ]
                )
        caption = f"{both_dates(check.checked_on, chinese)} · {institution_name(check.institution, viewing)}"
        tables.append(_table([_("Section"), _("Item"), _("Value"), _("Flag")], body, caption=caption))
    return tables


def _screenings(rows, viewing, chinese):
    body = [
        [
            str(CancerScreening.Kind(s.kind).label),
            both_dates(s.screened_on, chinese),
            s.result,
            _("Abnormal") if s.abnormal else _("Normal"),
            institution_name(s.institution, viewing),
        ]
        for s in rows
    ]
    return [_table([_("Screening"), _("Screened on"), _("Result"), _("Finding"), _("Institution")], body)]


def _follow_ups(rows, viewing, chinese):
    words = flag_words()
    body = []
    for r in rows:
        values = []
        for key, value in r.values.items():
            test = codes.lab_test(key, viewing.person.sex)
            unit = test.unit if test else ""
            flag = reference_flag(value, test.ref_text) if test else None
            line = f"{lab_name(key, key, viewing)}: {_text(value)} {unit}".strip()
            if flag in ("high", "low"):
                line = f"{line} ({words[flag]})"
            values.append(line)
        body.append(
            [
                str(FollowUp.Program(r.program).label),
                both_dates(r.measured_on, chinese),
                values,
                institution_name(r.institution, viewing),
            ]
        )
    return [_table([_("Care programme"), _("Measured on"), _("Values"), _("Institution")], body)]


def _measurements(rows, viewing, chinese):
    body = [
        [
            both_dates(m.measured_on, chinese),
            m.height_cm,
            m.weight_kg,
            m.waist_cm,
            f"{m.systolic}/{m.diastolic}" if m.systolic and m.diastolic else "",
            m.fasting_glucose,
            m.heart_rate,
            m.get_entered_by_display(),
        ]
        for m in rows
    ]
    columns = [
        _("Date"),
        _("Height (cm)"),
        _("Weight (kg)"),
        _("Waist (cm)"),
        _("Blood pressure (mmHg)"),
        _("Fasting glucose (mg/dL)"),
        _("Heart rate (/min)"),
        _("Entered by"),
    ]
    return [_table(columns, body, numeric=(1, 2, 3, 5, 6))]


def _calendar(snapshot: Snapshot, viewing, chinese):
    body = []
    for reminder in snapshot.reminders:
        when = both_dates(reminder.start, chinese)
        if reminder.end is not None and reminder.end != reminder.start:
            when = f"{when} – {both_dates(reminder.end, chinese)}"
        body.append([when, reminder.what, reminder.why])
    return [_table([_("When"), _("What"), _("Why")], body)]


BUILDERS = {
    C.INSURANCE: _insurance,
    C.CARDS: _cards,
    C.PREMIUM_CALCULATIONS: _premiums,
    C.PREMIUM_PAYMENTS: _payments,
    C.LABS: _labs,
    C.IMAGING_PATHOLOGY: _reports,
    C.DISCHARGE_SUMMARIES: _reports,
    C.ALLERGIES: _allergies,
    C.CARE_WISHES: _wishes,
    C.VACCINATIONS: _vaccinations,
    C.PREVENTIVE_CARE: _preventive,
    C.CANCER_SCREENING: _screenings,
    C.DIABETES: _follow_ups,
    C.CKD_EARLY: _follow_ups,
    C.HEPATITIS: _follow_ups,
    C.MEASUREMENTS: _measurements,
}


# ---------------------------------------------------------------- the page


def _span(snapshot: Snapshot, category: str, month: dt.date | None, chinese: bool) -> str:
    """What the file covers: the month, or the first and last day of its rows."""
    if month is not None:
        return _month_label(month, chinese)
    rows = snapshot.reminders if category == C.CALENDAR else snapshot.rows(category)
    days = [d for d in (_day_of(r) for r in rows) if d is not None]
    if not days:
        return ""
    return f"{both_dates(min(days), chinese)} – {both_dates(max(days), chinese)}"


def _day_of(row) -> dt.date | None:
    for name in (
        "visit_date",
        "collected_on",
        "performed_on",
        "uploaded_on",
        "vaccinated_on",
        "checked_on",
        "screened_on",
        "measured_on",
        "registered_on",
        "issued_on",
        "started_on",
        "paid_on",
        "month",
        "start",
    ):
        day = getattr(row, name, None)
        if isinstance(day, dt.date):
            return day
    return None


def header(snapshot: Snapshot) -> dict:
    """Whose data (masked name and ID only), when it was produced, the lag notice and whom to ask about errors."""
    person, viewing = snapshot.person, snapshot.viewing
    chinese = viewing.chinese
    return {
        "name": mask_name(person.name),
        "national_id": person.national_id_masked,
        "birth_date": both_dates(person.birth_date, chinese),
        "sex": str(Sex(person.sex).label) if person.sex in Sex.values else "",
        "made_at": f"{display.format_datetime(snapshot.made_at, viewing.language)}"
        + ("" if chinese else " (Taiwan time)"),
        "lag_low": policy.DATA_LAG_NOTICE_HOURS[0],
        "lag_high": policy.DATA_LAG_NOTICE_HOURS[1],
    }


def _render(template: str, snapshot: Snapshot, context: dict) -> bytes:
    viewing = snapshot.viewing
    with translation.override(viewing.language):
        context = {"head": header(snapshot), "lang": "zh-Hant-TW" if viewing.chinese else "en", **context}
        return render_to_string(template, context).encode("utf-8")


def category_html(snapshot: Snapshot, category: str, month: dt.date | None = None) -> bytes:
    """One category's page (or one month of outpatient or dental visits), UTF-8, standing alone."""
    if month is not None and category not in SPLITTABLE:
        raise ValueError(f"{category!r} is not cut into months")
    viewing = snapshot.viewing
    chinese = viewing.chinese
    with translation.override(viewing.language):
        zh, en = title(category)
        context = {"title_zh": zh, "title_en": en, "span": _span(snapshot, category, month, chinese)}
        if month is not None:
            context["month"] = _month_label(month, chinese)
        if category in VISIT_KINDS:
            context["visits"] = [_visit(v, viewing, chinese) for v in snapshot.rows(category, month)]
        elif category == C.CALENDAR:
            context["blocks"] = _calendar(snapshot, viewing, chinese)
        else:
            context["blocks"] = BUILDERS[category](snapshot.rows(category), viewing, chinese)
        return _render("exports/package/category.html", snapshot, context)


def index_html(snapshot: Snapshot, files: list[tuple[str, str]]) -> bytes:
    """The package's first page: whose data, then a link to each file (``files``: path in the zip, label)."""
    return _render(
        "exports/package/index.html",
        snapshot,
        {"title_zh": INDEX_TITLE[0], "title_en": INDEX_TITLE[1], "files": [{"path": p, "label": s} for p, s in files]},
    )
