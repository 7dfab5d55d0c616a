"""Lab results, imaging and pathology reports, adult preventive care, cancer screening, follow-up care and the
risk assessments (SPEC §6.2, §7, §7.1).

Rows are plain dicts of raw values (dates, Decimals as text) with names in the viewing's language; flags come
from ``assessments.labs.reference_flag`` against the range the lab sent, and every rule from ``assessments``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.assessments import body, kidney, liver, screening
from healthbank.assessments.labs import parse_reference_range, reference_flag
from healthbank.core import codes
from healthbank.core.display import format_date
from healthbank.records.models import CancerScreening, FollowUp, LabResult, PreventiveCheck, Report

from ..listing import Filter, ListSpec, page_of, parse_params, years_back
from ..viewing import Viewing
from .common import Category, institution_name, open_category, refuse_foreign_record

# SPEC §6.2 "glucose and lipids", in the seed's order.
GLUCOSE_AND_LIPIDS = ("glucose_fasting", "hba1c", "cholesterol_total", "triglycerides", "hdl", "ldl")
REPORT_KINDS = (Report.Kind.IMAGING, Report.Kind.PATHOLOGY)


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal | int | None) -> str | None:
    """A Decimal as short text: 7.1000 → "7.1", 120.0 → "120"."""
    if number is None:
        return None
    return format(Decimal(str(number)).normalize(), "f")


def _short_english(name: str) -> str:
    """A LOINC long name without its property and method: "Cholesterol in LDL in Serum or Plasma"."""
    name = re.sub(r"\s*\[[^\]]*\]", "", name)
    return re.sub(r"\s+by\s.*$", "", name).strip()


def lab_name(key: str, fallback: str, viewing: Viewing) -> str:
    test = codes.lab_test(key, viewing.person.sex)
    if test is None:
        return fallback or key
    name = test.name_in(viewing.language)
    return name if viewing.chinese else _short_english(name)


def flag_words() -> dict[str, str]:
    return {"high": _("High"), "low": _("Low"), "normal": _("Normal")}


def lab_row(result: LabResult, viewing: Viewing) -> dict:
    return {
        "id": result.pk,
        "key": result.lab_key,
        "name": lab_name(result.lab_key, result.name, viewing),
        "loinc": result.loinc,
        "date": result.collected_on,
        "value": result.value,
        "unit": result.unit,
        "reference_range": result.reference_range,
        "flag": reference_flag(result.value, result.reference_range),
        "institution": {"code": result.institution.code, "name": institution_name(result.institution, viewing)},
        "imported": result.is_imported,
    }


def _x_labels(dates, viewing: Viewing) -> dict[str, str]:
    return {d.isoformat(): format_date(d, viewing.language) for d in dates}


def _reference_band(range_text: str | None) -> dict | None:
    parsed = parse_reference_range(range_text)
    if parsed is None:
        return None
    low, _low_inclusive, high, _high_inclusive = parsed
    return {"low": float(low) if low is not None else None, "high": float(high) if high is not None else None,
            "label": range_text}  # fmt: skip


def line_chart(title: str, unit: str, label: str, rows: list[dict], viewing: Viewing, range_text=None) -> dict:
    """The Chart.js line of one value over time (rows in date order with ``date``, ``value``, ``flag``)."""
    points = [
        {"x": r["date"].isoformat(), "y": float(n), "flag": r.get("flag")}
        for r in rows
        if (n := _number(r["value"])) is not None
    ]
    return {
        "type": "line",
        "title": title,
        "unit": unit,
        "series": [{"label": label, "points": points}],
        "reference": _reference_band(range_text),
        "x_labels": _x_labels([r["date"] for r in rows], viewing),
        "flag_labels": {"high": str(_("High")), "low": str(_("Low"))},
    }


def _since(viewing: Viewing, older: bool) -> dt.date | None:
    return None if older else years_back(policy.SPAN_MEDICAL_YEARS)(viewing.today)


def glucose_and_lipids(viewing: Viewing, *, older: bool = False) -> list[dict]:
    """Each glucose and lipid test: its latest result and every result of the span in date order, with a chart."""
    open_category(viewing, Category.LABS)
    results = LabResult.objects.filter(person=viewing.person, lab_key__in=GLUCOSE_AND_LIPIDS).select_related(
        "institution"
    )
    since = _since(viewing, older)
    if since is not None:
        results = results.filter(collected_on__gte=since)
    by_key: dict[str, list[dict]] = {key: [] for key in GLUCOSE_AND_LIPIDS}
    for result in results.order_by("collected_on", "pk"):
        by_key[result.lab_key].append(lab_row(result, viewing))
    tests = []
    for key in GLUCOSE_AND_LIPIDS:
        history = by_key[key]
        test = codes.lab_test(key, viewing.person.sex)
        name = lab_name(key, key, viewing)
        latest = history[-1] if history else None
        unit = latest["unit"] if latest else (test.unit if test else "")
        tests.append(
            {
                "key": key,
                "name": name,
                "latest": latest,
                "history": history,
                "chart": line_chart(name, unit, name, history, viewing, latest["reference_range"] if latest else None)
                if history
                else None,
            }
        )
    return tests


def other_lab_choices() -> dict[str, str]:
    return {key: key for key in codes.lab_tests() if key not in GLUCOSE_AND_LIPIDS}


OTHER_LABS = ListSpec(
    sorts={"date": ("collected_on",), "test": ("lab_key",), "institution": ("institution__name",)},
    default_sort="-date",
    date_field="collected_on",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(Filter("lab", lambda qs, value: qs.filter(lab_key=value), choices=other_lab_choices),),
)


def other_labs(viewing: Viewing, query):
    """One page of the labs other than glucose and lipids (urine, kidney, liver, viral markers, ...)."""
    open_category(viewing, Category.LABS)
    params = parse_params(OTHER_LABS, query)
    results = (
        LabResult.objects.filter(person=viewing.person)
        .exclude(lab_key__in=GLUCOSE_AND_LIPIDS)
        .select_related("institution")
    )
    return page_of(results, OTHER_LABS, params, viewing.today, row=lambda r: lab_row(r, viewing))


def other_lab_keys(viewing: Viewing) -> list[dict]:
    """The other labs this person has (for the filter), with names."""
    keys = (
        LabResult.objects.filter(person=viewing.person)
        .exclude(lab_key__in=GLUCOSE_AND_LIPIDS)
        .values_list("lab_key", flat=True)
        .distinct()
    )
    return sorted(({"key": k, "name": lab_name(k, k, viewing)} for k in keys), key=lambda d: d["key"])


# ---------------------------------------------------------------- imaging and pathology reports


def report_row(report: Report, viewing: Viewing, *, text: bool = True) -> dict:
    row = {
        "id": report.pk,
        "kind": report.kind,
        "kind_label": str(Report.Kind(report.kind).label),
        "date": report.performed_on,
        "title": report.title,
        "institution": {"code": report.institution.code, "name": institution_name(report.institution, viewing)},
        "visit_id": report.visit_id,
        "imported": report.is_imported,
    }
    if text:
        row["text"] = report.text
    return row


REPORTS = ListSpec(
    sorts={"date": ("performed_on",), "kind": ("kind",), "institution": ("institution__name",)},
    default_sort="-date",
    date_field="performed_on",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(
        Filter(
            "kind",
            lambda qs, value: qs.filter(kind=value),
            choices=lambda: {k.value: k.label for k in REPORT_KINDS},
        ),
    ),
)


def report_list(viewing: Viewing, query):
    """One page of the imaging and pathology reports, each with its text."""
    open_category(viewing, Category.IMAGING_PATHOLOGY)
    params = parse_params(REPORTS, query)
    reports = Report.objects.filter(person=viewing.person, kind__in=REPORT_KINDS).select_related("institution")
    return page_of(reports, REPORTS, params, viewing.today, row=lambda r: report_row(r, viewing))


def report_detail(viewing: Viewing, report_id) -> dict:
    """One report: imaging and pathology (category IMAGING_PATHOLOGY) or a discharge summary; 404 if not theirs."""
    report = Report.objects.filter(person=viewing.person, pk=report_id).select_related("institution").first()
    if report is None:
        raise refuse_foreign_record(viewing, Report, report_id, Category.IMAGING_PATHOLOGY)
    category = Category.DISCHARGE_SUMMARIES if report.kind == Report.Kind.DISCHARGE else Category.IMAGING_PATHOLOGY
    open_category(viewing, category, detail="records.report")
    return report_row(report, viewing)


# ---------------------------------------------------------------- adult preventive care


def _catalogue_flag(key: str, value, sex: str) -> tuple[str | None, str]:
    """A preventive-check value against the catalogue's adult range (the HPA sends no range): (flag, range)."""
    test = codes.lab_test(key, sex)
    if test is None or value is None:
        return None, ""
    return reference_flag(value, test.ref_text), test.ref_text


def _positive(text: str) -> bool | None:
    value = (text or "").strip().lower()
    if not value:
        return None
    return value in ("positive", "+", "陽性", "pos", "reactive")


def _urine_protein_abnormal(text: str) -> bool | None:
    value = (text or "").strip()
    if not value:
        return None
    return "+" in value and value != "+/-"


def _section(key, title, items, reasons, result=None) -> dict:
    if result is None:
        known = [i for i in items if i["value"] not in (None, "")]
        result = "abnormal" if reasons else ("normal" if known else "unknown")
    return {"key": key, "title": title, "items": items, "result": result, "reasons": reasons}


def _item(label: str, value, unit: str = "", flag: str | None = None) -> dict:
    if isinstance(value, Decimal):
        value = _plain(value)
    return {"label": label, "value": "" if value is None else str(value), "unit": unit, "flag": flag}


def _flagged(reasons: list, label: str, key: str, value, sex: str, unit: str) -> dict:
    flag, range_text = _catalogue_flag(key, value, sex)
    if flag in ("high", "low"):
        word = _("above") if flag == "high" else _("below")
        reasons.append(
            _("%(label)s %(value)s %(unit)s is %(word)s the adult range %(range)s.")
            % {"label": label, "value": _plain(value), "unit": unit, "word": word, "range": range_text}
        )
    return _item(label, value, unit, flag)


def check_sections(check: PreventiveCheck, sex: str) -> list[dict]:
    """One preventive check as the seed's sections, each with normal / abnormal and the rules that made it so."""
    sections = []
    # General: BMI (computed) and waist.
    reasons: list[str] = []
    bmi_value = None
    if check.height_cm and check.weight_kg:
        bmi_value = body.bmi(check.height_cm, check.weight_kg)
        band = body.bmi_category(bmi_value)
        if band != "normal":
            reasons.append(
                _("BMI %(bmi)s is %(band)s (normal is %(low)s to under %(high)s).")
                % {"bmi": f"{bmi_value:.1f}", "band": bmi_words().get(band, band), **_normal_bmi()}
            )
    if check.waist_cm is not None and sex in ("M", "F") and body.abdominal_obesity(sex, check.waist_cm):
        reasons.append(
            _("Waist %(waist)s cm is at or over %(limit)s cm: abdominal obesity.")
            % {"waist": _plain(check.waist_cm), "limit": policy.WAIST_ABDOMINAL_OBESITY_CM[sex]}
        )
    sections.append(
        _section(
            "general",
            _("General"),
            [
                _item(_("Height"), check.height_cm, "cm"),
                _item(_("Weight"), check.weight_kg, "kg"),
                _item(_("BMI"), f"{bmi_value:.1f}" if bmi_value is not None else None, "kg/m²"),
                _item(_("Waist"), check.waist_cm, "cm"),
            ],
            reasons,
        )
    )
    # Blood pressure: the metabolic-syndrome limits (policy), the HPA's line for this section.
    reasons = []
    if check.systolic is not None and check.systolic >= policy.METABOLIC_SBP:
        reasons.append(
            _("Systolic pressure %(v)s mmHg is %(limit)s or more.")
            % {"v": check.systolic, "limit": policy.METABOLIC_SBP}
        )
    if check.diastolic is not None and check.diastolic >= policy.METABOLIC_DBP:
        reasons.append(
            _("Diastolic pressure %(v)s mmHg is %(limit)s or more.")
            % {"v": check.diastolic, "limit": policy.METABOLIC_DBP}
        )
    sections.append(
        _section(
            "blood_pressure",
            _("Blood pressure"),
            [_item(_("Systolic"), check.systolic, "mmHg"), _item(_("Diastolic"), check.diastolic, "mmHg")],
            reasons,
        )
    )  # fmt: skip
    reasons = []
    sections.append(
        _section(
            "lipids",
            _("Blood lipids"),
            [
                _flagged(reasons, _("Total cholesterol"), "cholesterol_total", check.cholesterol_total, sex, "mg/dL"),
                _flagged(reasons, _("Triglycerides"), "triglycerides", check.triglycerides, sex, "mg/dL"),
                _flagged(reasons, _("HDL cholesterol"), "hdl", check.hdl, sex, "mg/dL"),
                _flagged(reasons, _("LDL cholesterol"), "ldl", check.ldl, sex, "mg/dL"),
            ],
            reasons,
        )
    )
    reasons = []
    sections.append(
        _section(
            "glucose",
            _("Blood glucose"),
            [_flagged(reasons, _("Fasting glucose"), "glucose_fasting", check.fasting_glucose, sex, "mg/dL")],
            reasons,
        )
    )
    reasons = []
    sections.append(
        _section(
            "kidney",
            _("Kidney function"),
            [
                _flagged(reasons, _("Blood urea nitrogen"), "bun", check.bun, sex, "mg/dL"),
                _flagged(reasons, _("Creatinine"), "creatinine", check.creatinine, sex, "mg/dL"),
                _flagged(reasons, _("eGFR"), "egfr", check.egfr, sex, "mL/min/1.73 m²"),
            ],
            reasons,
        )
    )
    reasons = []
    if _urine_protein_abnormal(check.urine_protein):
        reasons.append(_("Urine protein %(v)s: positive.") % {"v": check.urine_protein})
    sections.append(_section("urine", _("Urine"), [_item(_("Urine protein"), check.urine_protein)], reasons))
    syndrome = body.metabolic_syndrome(
        sex if sex in ("M", "F") else None,
        check.waist_cm,
        check.systolic,
        check.diastolic,
        check.fasting_glucose,
        check.triglycerides,
        check.hdl,
    )
    met = [metabolic_words()[c] for c in syndrome.criteria_met]
    reasons = []
    if syndrome.present:
        reasons.append(
            _("%(n)s of the 5 criteria are met (3 make the syndrome): %(which)s.")
            % {"n": len(met), "which": ", ".join(met)}
        )
    result = {True: "abnormal", False: "normal", None: "unknown"}[syndrome.present]
    sections.append(
        _section(
            "metabolic_syndrome",
            _("Metabolic syndrome"),
            [_item(_("Criteria met"), f"{len(met)} / 5" if syndrome.known else None)],
            reasons,
            result=result,
        )
        | {"criteria_met": list(syndrome.criteria_met), "criteria_unknown": list(syndrome.criteria_unknown)}
    )
    reasons = []
    sections.append(
        _section(
            "liver",
            _("Liver function"),
            [
                _flagged(reasons, _("GOT (AST)"), "ast", check.got, sex, "U/L"),
                _flagged(reasons, _("GPT (ALT)"), "alt", check.gpt, sex, "U/L"),
            ],
            reasons,
        )
    )
    for key, label, value in (
        ("hbsag", _("Hepatitis B surface antigen (HBsAg)"), check.hbsag),
        ("anti_hcv", _("Hepatitis C antibody (anti-HCV)"), check.anti_hcv),
    ):
        positive = _positive(value)
        reasons = [_("%(label)s is positive.") % {"label": label}] if positive else []
        shown = {True: _("Positive"), False: _("Negative"), None: _("Not done")}[positive]
        sections.append(_section(key, label, [_item(label, shown)], reasons, result=None if value else "unknown"))
    return sections


def bmi_words() -> dict[str, str]:
    return {
        "underweight": _("underweight"),
        "normal": _("normal"),
        "overweight": _("overweight"),
        "obese_mild": _("mildly obese"),
        "obese_moderate": _("moderately obese"),
        "obese_severe": _("severely obese"),
    }


def metabolic_words() -> dict[str, str]:
    return {
        "waist": _("waist"),
        "blood_pressure": _("blood pressure"),
        "glucose": _("fasting glucose"),
        "triglycerides": _("triglycerides"),
        "hdl": _("HDL cholesterol"),
    }


def preventive_checks(viewing: Viewing) -> dict:
    """The last ``policy.PREVENTIVE_CHECKS_SHOWN`` checks, newest first, and their sections side by side."""
    open_category(viewing, Category.PREVENTIVE_CARE)
    checks = list(
        PreventiveCheck.objects.filter(person=viewing.person)
        .select_related("institution")
        .order_by("-checked_on", "-pk")[: policy.PREVENTIVE_CHECKS_SHOWN]
    )
    sex = viewing.person.sex
    per_check = [check_sections(c, sex) for c in checks]
    sections = []
    for index, section in enumerate(per_check[0] if per_check else []):
        columns = [p[index] for p in per_check]
        sections.append(
            {
                "key": section["key"],
                "title": section["title"],
                "rows": [
                    {"label": item["label"], "unit": item["unit"],
                     "values": [c["items"][n]["value"] for c in columns],
                     "flags": [c["items"][n]["flag"] for c in columns]}
                    for n, item in enumerate(section["items"])
                ],
                "results": [c["result"] for c in columns],
                "reasons": [c["reasons"] for c in columns],
            }
        )  # fmt: skip
    return {
        "checks": [
            {
                "id": c.pk,
                "date": c.checked_on,
                "institution": {
                    "code": c.institution.code,
                    "name": institution_name(c.institution, viewing),
                    "phone": c.institution.phone,
                },
                "sections": s,
            }
            for c, s in zip(checks, per_check, strict=True)
        ],
        "sections": sections,
    }


# ---------------------------------------------------------------- cancer screening


def cancer_screenings(viewing: Viewing) -> list[dict]:
    """Each screening kind: its results newest first and when the next one is covered (policy.CANCER_SCREENING)."""
    open_category(viewing, Category.CANCER_SCREENING)
    rows: dict[str, list[dict]] = {k: [] for k in CancerScreening.Kind.values}
    for s in (
        CancerScreening.objects.filter(person=viewing.person)
        .select_related("institution")
        .order_by("-screened_on", "-pk")
    ):
        rows[s.kind].append(
            {
                "id": s.pk,
                "date": s.screened_on,
                "institution": {"code": s.institution.code, "name": institution_name(s.institution, viewing)},
                "result": s.result,
                "abnormal": s.abnormal,
            }
        )
    person = viewing.person
    kinds = []
    for kind in CancerScreening.Kind:
        results = rows[kind.value]
        last = results[0]["date"] if results else None
        if person.sex in ("M", "F"):
            due = screening.next_screening(kind.value, person.sex, person.birth_date, last, viewing.today)
            due_dict = {"status": due.status, "due_on": due.due_on, "from_age": due.from_age, "to_age": due.to_age,
                        "every_years": due.every_years}  # fmt: skip
        else:
            due_dict = None
        kinds.append({"kind": kind.value, "label": str(kind.label), "results": results, "next": due_dict})
    return kinds


# ---------------------------------------------------------------- follow-up care

PROGRAM_CATEGORY = {
    FollowUp.Program.DIABETES: Category.DIABETES,
    FollowUp.Program.CKD_EARLY: Category.CKD_EARLY,
    FollowUp.Program.HEPATITIS_B: Category.HEPATITIS,
    FollowUp.Program.HEPATITIS_C: Category.HEPATITIS,
}


def readable_programs(viewing: Viewing) -> list[str]:
    return [p for p, category in PROGRAM_CATEGORY.items() if viewing.can(category)]


def follow_ups(viewing: Viewing) -> list[dict]:
    """Each readable care programme with data: its values over time as a table and a chart per value."""
    programs = readable_programs(viewing)
    for program in programs:
        open_category(viewing, PROGRAM_CATEGORY[program])
    records = (
        FollowUp.objects.filter(person=viewing.person, program__in=programs)
        .select_related("institution")
        .order_by("measured_on", "pk")
    )
    by_program: dict[str, list] = {p: [] for p in programs}
    for record in records:
        by_program[record.program].append(record)
    out = []
    for program in programs:
        items = by_program[program]
        keys: list[str] = []
        for record in items:
            keys += [k for k in record.values if k not in keys]
        rows = [
            {
                "id": r.pk,
                "date": r.measured_on,
                "institution": {"code": r.institution.code, "name": institution_name(r.institution, viewing)},
                "values": {k: r.values.get(k) for k in keys},
            }
            for r in items
        ]
        series = []
        for key in keys:
            test = codes.lab_test(key, viewing.person.sex)
            name = lab_name(key, key, viewing)
            range_text = test.ref_text if test else ""
            points = [
                {"date": r["date"], "value": r["values"][key], "flag": reference_flag(r["values"][key], range_text)}
                for r in rows
                if r["values"][key] not in (None, "")
            ]
            chart = line_chart(name, test.unit if test else "", name, points, viewing, range_text)
            series.append({"key": key, "name": name, "unit": test.unit if test else "", "reference_range": range_text,
                           "chart": chart if chart["series"][0]["points"] else None})  # fmt: skip
        out.append({"program": program, "label": str(FollowUp.Program(program).label), "values": series, "rows": rows})
    return out


# ---------------------------------------------------------------- risk assessments (SPEC §7)

HUMAN_RANGES = policy.RISK_FORM_RANGES


def _normal_bmi() -> dict[str, str]:
    """The "normal" BMI band's bounds from policy.BMI_BANDS (the band after "normal" starts its upper bound)."""
    bands = [lower for lower, _name in policy.BMI_BANDS]
    names = [name for _lower, name in policy.BMI_BANDS]
    i = names.index("normal")
    return {"low": str(bands[i]), "high": str(bands[i + 1])}


RISK_FIELDS = ("sex", "age", "alt", "hbeag", "hbsag", "egfr", "creatinine", "uacr", "upcr")


def _latest_labs(viewing: Viewing, keys) -> dict[str, LabResult]:
    latest: dict[str, LabResult] = {}
    for result in (
        LabResult.objects.filter(person=viewing.person, lab_key__in=keys)
        .select_related("institution")
        .order_by("-collected_on", "-pk")
    ):
        latest.setdefault(result.lab_key, result)
    return latest


def _from_lab(result: LabResult, viewing: Viewing, value=None) -> dict:
    return {
        "value": value if value is not None else result.value,
        "source": "lab",
        "lab": lab_name(result.lab_key, result.name, viewing),
        "date": result.collected_on,
        "institution": institution_name(result.institution, viewing),
    }


def _from_check(check: PreventiveCheck, label: str, value, viewing: Viewing) -> dict:
    return {
        "value": value,
        "source": "preventive",
        "lab": label,
        "date": check.checked_on,
        "institution": institution_name(check.institution, viewing),
    }


def loaded_risk_values(viewing: Viewing) -> dict[str, dict | None]:
    """The person's latest uploaded values for the two assessments, each naming the lab and date it came from.

    Labs (category LABS) and, when readable, the latest adult preventive check (PREVENTIVE_CARE): the newer wins.
    eGFR missing but creatinine known → eGFR by CKD-EPI 2021 from it, said so.
    """
    open_category(viewing, Category.LABS)
    labs = _latest_labs(viewing, ("alt", "hbeag", "hbsag", "egfr", "creatinine", "uacr", "upcr"))
    check = None
    if viewing.can(Category.PREVENTIVE_CARE):
        open_category(viewing, Category.PREVENTIVE_CARE)
        check = (
            PreventiveCheck.objects.filter(person=viewing.person)
            .select_related("institution")
            .order_by("-checked_on", "-pk")
            .first()
        )
    person = viewing.person
    values: dict[str, dict | None] = {
        "sex": {"value": person.sex, "source": "person", "lab": "", "date": None, "institution": ""},
        "age": {"value": str(person.age_on(viewing.today)), "source": "person", "lab": "", "date": None,
                "institution": ""},
    }  # fmt: skip

    def newest(key: str, check_value, check_label: str, convert=lambda v: v):
        lab = labs.get(key)
        candidates = []
        if lab is not None:
            candidates.append((lab.collected_on, _from_lab(lab, viewing, convert(lab.value))))
        if check is not None and check_value not in (None, ""):
            candidates.append((check.checked_on, _from_check(check, check_label, convert(check_value), viewing)))
        if not candidates:
            return None
        return max(candidates, key=lambda c: c[0])[1]

    def sign(text):
        positive = _positive(str(text))
        return None if positive is None else ("positive" if positive else "negative")

    values["alt"] = newest("alt", check.gpt if check else None, _("GPT (ALT), adult preventive check"), str)
    values["hbeag"] = newest("hbeag", None, "", sign)
    values["hbsag"] = newest("hbsag", check.hbsag if check else None, _("HBsAg, adult preventive check"), sign)
    values["creatinine"] = newest(
        "creatinine", check.creatinine if check else None, _("Creatinine, adult preventive check"), str
    )
    values["egfr"] = newest("egfr", check.egfr if check else None, _("eGFR, adult preventive check"), str)
    values["uacr"] = newest("uacr", None, "")
    values["upcr"] = newest("upcr", None, "")
    for key in ("alt", "egfr", "creatinine", "uacr", "upcr"):
        if values[key] is not None and (n := _number(values[key]["value"])) is not None:
            values[key]["value"] = _plain(n)
    return values


def loaded_form(values: dict[str, dict | None]) -> dict[str, str]:
    return {k: (v["value"] if v else "") or "" for k, v in values.items()}


def clean_risk_form(data) -> tuple[dict, dict[str, str]]:
    """The posted values, checked: (clean values, errors by field). Blank numbers are "not known"."""
    clean: dict = {}
    errors: dict[str, str] = {}
    unknown = set(data) - set(RISK_FIELDS) - {"csrfmiddlewaretoken", "lang"}
    for name in sorted(unknown):
        errors[name[:40]] = _("This form has no field “%(name)s”.") % {"name": name[:40]}
    sex = str(data.get("sex", "") or "")
    if sex not in ("M", "F"):
        errors["sex"] = _("Sex is M (male) or F (female).")
    clean["sex"] = sex
    for name in ("hbeag", "hbsag"):
        value = str(data.get(name, "") or "")
        if value not in ("", "positive", "negative"):
            errors[name] = _("%(field)s is positive, negative or left blank (not known).") % {"field": name}
        clean[name] = value or None
    labels = {"age": _("Age"), "alt": _("ALT"), "egfr": _("eGFR"), "creatinine": _("Creatinine"),
              "uacr": _("Urine albumin/creatinine ratio"), "upcr": _("Urine protein/creatinine ratio")}  # fmt: skip
    for name, (low, high) in HUMAN_RANGES.items():
        raw = data.get(name, "")
        raw = "" if raw is None else str(raw).strip()
        if raw == "":
            clean[name] = None
            continue
        number = _number(raw)
        if number is None:
            errors[name] = _("%(field)s must be a number.") % {"field": labels[name]}
        elif not low <= number <= high:
            errors[name] = _("%(field)s must be from %(low)s to %(high)s.") % {
                "field": labels[name], "low": low, "high": high}  # fmt: skip
        elif name == "age" and number != number.to_integral_value():
            errors[name] = _("Age is whole years.")
        else:
            clean[name] = number
    if "age" not in errors and clean.get("age") is None:
        errors["age"] = _("Age is needed.")
    return clean, errors


def caveat_words() -> dict[str, str]:
    return {
        "not_for_coinfection_cirrhosis_flares_or_recurrence": _(
            "Not for people also infected with HIV, hepatitis C or hepatitis D, with cirrhosis, with ALT suddenly "
            "rising to twice or more, or with recurrent liver cancer."
        ),
        "treatment_lowers_risk_factors_raise": _(
            "Antiviral treatment for hepatitis B may lower the risk; smoking, diabetes, heavy drinking or liver "
            "cancer in the family may raise it."
        ),
        "follow_up_whatever_the_score": _(
            "Every chronic hepatitis B carrier needs regular follow-up with a doctor, whatever the score."
        ),
        liver.OUTSIDE_COHORT_AGES: _(
            "The model was built on people aged %(low)s to %(high)s; at other ages it is less certain."
        )
        % {"low": policy.LIVER_COHORT_AGES[0], "high": policy.LIVER_COHORT_AGES[1]},
    }


def colour_words() -> dict[str, str]:
    return {
        "green": _("green: normal or slightly abnormal"),
        "yellow": _("yellow: early stage"),
        "orange": _("orange: watch"),
        "red": _("red: alert"),
        "deep red": _("deep red: end-stage kidney disease"),
    }


def colour_names() -> dict[str, str]:
    return {
        "green": _("green"),
        "yellow": _("yellow"),
        "orange": _("orange"),
        "red": _("red"),
        "deep red": _("deep red"),
    }


def follow_up_count(text: str) -> str:
    """The heat map's count in a cell: "1 if CKD" is said in the reader's language."""
    return _("1 if CKD") if text == "1 if CKD" else text


def follow_up_words(text: str) -> str:
    if text == "1 if CKD":
        return _("once a year if CKD")
    if text == "4+":
        return _("4 or more times a year")
    return _("%(n)s times a year") % {"n": text} if text != "1" else _("once a year")


def assess_risk(clean: dict) -> dict:
    """Both assessments from checked values; parts that lack a value say what is missing."""
    liver_result = None
    liver_missing = [f for f in ("alt", "hbeag") if clean.get(f) is None]
    if clean.get("sex") in ("M", "F") and clean.get("age") is not None and not liver_missing:
        risk = liver.liver_cancer_risk(clean["sex"], int(clean["age"]), clean["alt"], clean["hbeag"] == "positive")
        caveats = caveat_words()
        liver_result = {
            "points": risk.points,
            "band": risk.band,
            "caveats": [{"code": c, "text": caveats[c]} for c in (*liver.GENERAL_CAVEATS, *risk.caveats)],
        }
    egfr = clean.get("egfr")
    egfr_computed = False
    if egfr is None and clean.get("creatinine") is not None and clean.get("age") is not None:
        if clean.get("sex") in ("M", "F"):
            egfr = Decimal(str(round(kidney.egfr_ckd_epi_2021(clean["creatinine"], int(clean["age"]),
                                                                clean["sex"]), 1)))  # fmt: skip
            egfr_computed = True
    kidney_result = None
    if egfr is not None:
        stage = kidney.ckd_stage(egfr, acr=clean.get("uacr"), pcr=clean.get("upcr"))
        kidney_result = {
            "egfr": _plain(egfr),
            "egfr_computed": egfr_computed,
            "gfr_category": stage.gfr_category,
            "albuminuria": stage.albuminuria,
            "colour": stage.colour,
            "colour_words": colour_words()[stage.colour],
            "follow_up": stage.follow_up,
            "follow_up_words": follow_up_words(stage.follow_up),
        }
    return {
        "liver": liver_result,
        "liver_missing": liver_missing,
        "hbsag_carrier": clean.get("hbsag") == "positive",
        "hbsag_known": clean.get("hbsag") is not None,
        "kidney": kidney_result,
        "heat_map": heat_map_rows(kidney_result),
    }


def heat_map_rows(kidney_result: dict | None) -> list[dict]:
    """The KDIGO grid (policy colours and follow-up counts), the person's cell marked ``here``."""
    here = (kidney_result["gfr_category"], kidney_result["albuminuria"] or "A1") if kidney_result else None
    rows = []
    for row in kidney.heat_map():
        rows.append(
            {
                "gfr_category": row.gfr_category,
                "gfr_from": row.gfr_from,
                "gfr_below": row.gfr_below,
                "cells": [
                    {
                        "albuminuria": cell.albuminuria,
                        "colour": cell.colour,
                        "colour_name": colour_names()[cell.colour],
                        "colour_class": cell.colour.replace(" ", "-"),
                        "follow_up": cell.follow_up,
                        "follow_up_count": follow_up_count(cell.follow_up),
                        "follow_up_words": follow_up_words(cell.follow_up),
                        "here": here == (cell.gfr_category, cell.albuminuria),
                    }
                    for cell in row.cells
                ],
            }
        )
    return rows


def risk_page(viewing: Viewing, posted=None) -> dict:
    """Loaded values and both assessments; with ``posted`` values, recalculated from those (nothing is stored)."""
    loaded = loaded_risk_values(viewing)
    form = loaded_form(loaded)
    errors: dict[str, str] = {}
    if posted is not None:
        form = {k: str(posted.get(k, "") or "") for k in RISK_FIELDS}
        clean, errors = clean_risk_form(posted)
    else:
        clean, errors_loaded = clean_risk_form(form)
        for field in errors_loaded:  # a loaded value a human cannot have is left for the person to give
            clean[field] = None
    result = assess_risk(clean) if not errors else None
    return {"loaded": loaded, "form": form, "errors": errors, "result": result, "recalculated": posted is not None}
