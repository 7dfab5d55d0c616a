"""The one-page health summary a person shows the doctor (on paper or on a phone at a visit).

What the doctor asks first: which chronic conditions, which drugs now, which allergies, the latest lab values,
which vaccinations. Read through the passbook's access rule like every page (each category opened, so a parent
or an operator reading it is in the person's access log); a category the reader may not read is left out and
the page says so, it is never guessed.

The PDF is WeasyPrint on one A4 sheet with the system's Noto CJK fonts (a 19 MB collection). Measured for the
busiest person of the demo population: WeasyPrint subsets the fonts with HarfBuzz (about 0.2 s for two faces),
so the fonts were not what made a first version take 6–10 s; CSS multi-column layout was (WeasyPrint balances
columns by laying the content out again and again). The page uses two floated columns instead, draws every
heading in the regular weight (no second, bold collection to load and subset), keeps WeasyPrint's font
configuration for the process and imports WeasyPrint when this module loads (1 s, paid at start-up, not by the
first person asking). A summary then takes 0.2–0.4 s (the first in a process about 0.7 s).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from healthbank import policy
from healthbank.assessments.labs import reference_flag
from healthbank.core import codes, display
from healthbank.core.categories import DataCategory
from healthbank.core.masking import mask_name
from healthbank.core.rocdate import format_roc_compact
from healthbank.identity.models import Sex
from healthbank.passbook.selectors.common import diagnosis, drug, open_category
from healthbank.passbook.selectors.labs import flag_words, lab_name
from healthbank.passbook.viewing import Viewing
from healthbank.records.models import Allergy, ChronicPrescription, DrugOrder, LabResult, Vaccination, Visit

# Our numbers for the summary (SPEC is silent) live in policy.py. SUMMARY_MAX_LINES is what fits one A4 sheet
# with long drug and lab names; a page that still runs over is cut further (_fit_one_page).
SUMMARY_REPEATED_VISITS_WINDOW = policy.SUMMARY_REPEATED_VISITS_WINDOW
SUMMARY_REPEATED_VISITS_MIN_DAYS = policy.SUMMARY_REPEATED_VISITS_MIN_DAYS
SUMMARY_LABS_SINCE_YEARS = policy.SPAN_MEDICAL_YEARS  # the latest value of each lab within the pages' span
SUMMARY_MAX_LINES = policy.SUMMARY_MAX_LINES

PRIMARY_POSITION = 1
MEDICATION_KINDS = (Visit.Kind.WESTERN, Visit.Kind.PHARMACY, Visit.Kind.PREVENTIVE)
C = DataCategory


def _opened(viewing: Viewing, category: str) -> bool:
    """Open (check and log) a category if the reader may read it; False when the summary must leave it out."""
    if not viewing.can(category):
        return False
    open_category(viewing, category, detail="summary")
    return True


def _running_until(prescription: ChronicPrescription) -> dt.date:
    """The last day the prescription's fills cover."""
    return prescription.prescribed_on + dt.timedelta(days=prescription.days_per_fill * prescription.fills - 1)


def _cut(rows: list, key: str) -> dict:
    limit = SUMMARY_MAX_LINES[key]
    return {"rows": rows[:limit], "more": max(len(rows) - limit, 0)}


def _conditions_and_medications(viewing: Viewing) -> tuple[list[dict], list[dict]]:
    person, today = viewing.person, viewing.today
    running = [
        p
        for p in ChronicPrescription.objects.filter(person=person).order_by("-prescribed_on", "pk")
        if p.prescribed_on <= today <= _running_until(p)
    ]
    conditions: dict[str, dict] = {}
    for p in running:
        if p.icd10 not in conditions:
            conditions[p.icd10] = {**diagnosis(p.icd10, viewing), "why": "prescription", "until": _running_until(p)}

    since = today - SUMMARY_REPEATED_VISITS_WINDOW
    days_by_code: dict[str, set] = defaultdict(set)
    for code, day in Visit.objects.filter(
        person=person,
        kind__in=(Visit.Kind.WESTERN, Visit.Kind.PHARMACY),
        visit_date__gte=since,
        visit_date__lte=today,
        diagnoses__position=PRIMARY_POSITION,
    ).values_list("diagnoses__icd10", "visit_date"):
        days_by_code[code].add(day)
    repeated = sorted(
        (code for code, days in days_by_code.items() if len(days) >= SUMMARY_REPEATED_VISITS_MIN_DAYS),
        key=lambda code: (-len(days_by_code[code]), code),
    )
    for code in repeated:
        if code not in conditions:
            conditions[code] = {**diagnosis(code, viewing), "why": "visits", "visits": len(days_by_code[code])}

    # Drugs now: every drug whose latest dispensing still covers today, and those of a running chronic
    # prescription (its prescribing visit and its refills), even between two fills.
    prescribing_visits = [p.visit_id for p in running if p.visit_id]
    orders = (
        DrugOrder.objects.filter(person=person, visit__kind__in=MEDICATION_KINDS, visit__visit_date__lte=today)
        .filter(visit__visit_date__gte=today - dt.timedelta(days=max(_longest_cover(running), 366)))
        .select_related("visit")
        .order_by("visit__visit_date", "position")
    )
    until_by_rx = {p.pk: _running_until(p) for p in running}
    latest: dict[str, dict] = {}
    for order in orders:
        visit = order.visit
        covers_to = visit.visit_date + dt.timedelta(days=max(order.days_supplied, 1) - 1)
        chronic_until = None
        if visit.chronic_prescription_id in until_by_rx:
            chronic_until = until_by_rx[visit.chronic_prescription_id]
        elif visit.pk in prescribing_visits:
            chronic_until = next(_running_until(p) for p in running if p.visit_id == visit.pk)
        latest[order.drug_code] = {
            "last": visit.visit_date,
            "covers_to": covers_to,
            "frequency": order.frequency,
            "chronic_until": chronic_until or latest.get(order.drug_code, {}).get("chronic_until"),
        }
    medications = []
    for code, seen in latest.items():
        if seen["covers_to"] < today and seen["chronic_until"] is None:
            continue
        medications.append(
            {
                **drug(code, viewing),
                "last": seen["last"],
                "until": max(seen["covers_to"], seen["chronic_until"] or seen["covers_to"]),
                "frequency": seen["frequency"],
                "chronic": seen["chronic_until"] is not None,
            }
        )
    medications.sort(key=lambda m: (not m["chronic"], m["name"] or m["code"]))
    return list(conditions.values()), medications


def _longest_cover(running: list[ChronicPrescription]) -> int:
    return max((p.days_per_fill * p.fills for p in running), default=0)


def _allergies(viewing: Viewing) -> list[dict]:
    rows = []
    for a in Allergy.objects.filter(person=viewing.person).order_by("-uploaded_on", "pk"):
        rows.append(
            {
                "allergen": a.allergen,
                "drug": drug(a.drug_code, viewing) if a.drug_code else None,
                "reaction": a.reaction,
                "date": a.uploaded_on,
            }
        )
    return rows


def _labs(viewing: Viewing) -> list[dict]:
    since = viewing.today.replace(year=viewing.today.year - SUMMARY_LABS_SINCE_YEARS)
    words = flag_words()
    seen: dict[str, dict] = {}
    for r in LabResult.objects.filter(person=viewing.person, collected_on__gte=since).order_by("-collected_on", "-pk"):
        if r.lab_key in seen:
            continue
        flag = reference_flag(r.value, r.reference_range)
        seen[r.lab_key] = {
            "name": lab_name(r.lab_key, r.name, viewing),
            "value": r.value,
            "unit": r.unit,
            "range": r.reference_range,
            "flag": flag,
            "flag_word": words.get(flag, "") if flag in ("high", "low") else "",
            "date": r.collected_on,
        }
    return sorted(seen.values(), key=lambda lab: (lab["flag_word"] == "", lab["name"]))


def _vaccinations(viewing: Viewing) -> list[dict]:
    catalogue = codes.vaccines()
    by_code: dict[str, dict] = {}
    for v in Vaccination.objects.filter(person=viewing.person).order_by("vaccinated_on", "pk"):
        known = catalogue.get(v.vaccine_code)
        entry = by_code.setdefault(
            v.vaccine_code,
            {"code": v.vaccine_code, "name": known.name_in(viewing.language) if known else v.vaccine_code, "dates": []},
        )
        entry["dates"].append(v.vaccinated_on)
    # The newest first: what a doctor asks about (a tetanus booster, this season's influenza) is recent.
    return sorted(by_code.values(), key=lambda e: e["dates"][-1], reverse=True)


def summary_data(viewing: Viewing) -> dict:
    """What the doctor summary shows of the viewing's person, each list cut to fit one page.

    Rules (ours; the SPEC names the lists, not how they are drawn up):

    * Chronic conditions: the diagnosis of every chronic continuous prescription (慢性病連續處方箋) still
      running today (prescribed on or before today, and today within its fills: days per fill × fills), and
      every diagnosis that was the *primary* diagnosis of western outpatient or pharmacy visits on at least
      ``SUMMARY_REPEATED_VISITS_MIN_DAYS`` different days in the last ``SUMMARY_REPEATED_VISITS_WINDOW``
      (repeated care for the same problem, which one acute visit, or a cold seen twice, is not).
    * Current medications: each drug (western outpatient, pharmacy, preventive visits) whose latest
      dispensing still covers today (dispensed on + days supplied), and every drug dispensed under, or
      prescribed with, a running chronic prescription (between two fills too); chronic ones first.
    * Allergies: every allergy institutions uploaded, newest first.
    * Labs: the latest value of each test within the pages' span, with its flag word against the lab's own
      range; flagged ones first.
    * Vaccinations: each vaccine with the dates given, the most recently given first.

    Categories the reader may not read (an operator without them, a parent for a child's older data) are
    listed in ``left_out`` and not read at all.
    """
    with translation.override(viewing.language):
        return _summary_data(viewing)


def _summary_data(viewing: Viewing) -> dict:
    person = viewing.person
    left_out = []
    data: dict = {}
    if _opened(viewing, C.OUTPATIENT):
        conditions, medications = _conditions_and_medications(viewing)
        data["conditions"], data["medications"] = _cut(conditions, "conditions"), _cut(medications, "medications")
    else:
        data["conditions"] = data["medications"] = None
        left_out.append(C.OUTPATIENT)
    for key, category, read in (
        ("allergies", C.ALLERGIES, _allergies),
        ("labs", C.LABS, _labs),
        ("vaccinations", C.VACCINATIONS, _vaccinations),
    ):
        if _opened(viewing, category):
            data[key] = _cut(read(viewing), key)
        else:
            data[key] = None
            left_out.append(category)
    return {
        "person": {
            "name": mask_name(person.name),
            "birth_date": person.birth_date,
            "age": person.age_on(viewing.today),
            "sex": str(Sex(person.sex).label) if person.sex in Sex.values else "",
        },
        "made_at": timezone.now(),
        "today": viewing.today,
        "left_out": [str(DataCategory(c).label) for c in left_out],
        **data,
    }


# ---------------------------------------------------------------- rendering


@cache
def _fonts() -> FontConfiguration:
    """WeasyPrint's font configuration, built once per process (it asks fontconfig for the system's fonts)."""
    return FontConfiguration()


def summary_html(viewing: Viewing, data: dict | None = None) -> str:
    """The page WeasyPrint is given (and what a test reads: WeasyPrint draws exactly this text)."""
    data = data if data is not None else summary_data(viewing)
    with translation.override(viewing.language):
        return render_to_string(
            "exports/summary/summary.html",
            {
                **data,
                "lang": "zh-Hant-TW" if viewing.chinese else "en",
                "made_at_text": display.format_datetime(data["made_at"], viewing.language),
                "pdf": True,
            },
        )


def summary_document(viewing: Viewing, data: dict | None = None):
    """The laid-out WeasyPrint document, one page (its ``pages`` say how many sheets it takes)."""
    data = data if data is not None else summary_data(viewing)
    document = _layout(viewing, data)
    while len(document.pages) > 1 and _cut_longest(data):
        document = _layout(viewing, data)
    return document


def _layout(viewing: Viewing, data: dict):
    return HTML(string=summary_html(viewing, data)).render(font_config=_fonts())


def _cut_longest(data: dict) -> bool:
    """Move a quarter of the longest list's shown lines to its "and N more"; False when nothing is left to cut."""
    lists = [data[k] for k in SUMMARY_MAX_LINES if data.get(k) and len(data[k]["rows"]) > 1]
    if not lists:
        return False
    longest = max(lists, key=lambda found: len(found["rows"]))
    keep = len(longest["rows"]) - max(len(longest["rows"]) // 4, 1)
    longest["more"] += len(longest["rows"]) - keep
    longest["rows"] = longest["rows"][:keep]
    return True


def summary_pdf(viewing: Viewing, data: dict | None = None) -> bytes:
    """The summary as a one-page A4 PDF in the viewing's language."""
    return summary_document(viewing, data).write_pdf()


def file_name(viewing: Viewing) -> str:
    """``健康摘要_1151120.pdf``: the day as the NHI writes it in file names."""
    return f"健康摘要_{format_roc_compact(viewing.today)}.pdf"


__all__ = ["file_name", "summary_data", "summary_document", "summary_html", "summary_pdf"]
