"""Care pages (SPEC §6.2 "Medical data"): dental tooth chart, inpatient stays and their discharge summaries,
surgery by body site, medication by pharmacological class, and chronic-prescription refill records."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Count, Max, Prefetch, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from healthbank import policy
from healthbank.core import codes
from healthbank.records.models import DrugOrder, NonDrugOrder, Report, Visit, VisitDiagnosis

from ..diagrams import ADULT_TEETH, BODY_SITE_NAMES, BODY_SITES
from ..listing import Filter, ListError, ListPage, ListSpec, cut_page, page_of, parse_params, years_back
from ..viewing import Viewing
from .common import Category, diagnosis, drug, institution_name, open_category, payment_item, refuse_foreign_record
from .visits import KINDS_OF_LIST, visit_row

# NHI department codes (就醫科別) → (Chinese, English) name. The demo's clinics and stays use these
# (healthbank/demo/data/institutions_patterns.json "departments"; history.py DEPARTMENT_BY_SITE).
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "00": ("不分科", "no specialty"),
    "01": ("家醫科", "family medicine"),
    "02": ("內科", "internal medicine"),
    "03": ("外科", "surgery"),
    "04": ("小兒科", "paediatrics"),
    "05": ("婦產科", "obstetrics and gynaecology"),
    "06": ("骨科", "orthopaedics"),
    "07": ("神經外科", "neurosurgery"),
    "08": ("泌尿科", "urology"),
    "09": ("耳鼻喉科", "otolaryngology"),
    "10": ("眼科", "ophthalmology"),
    "11": ("皮膚科", "dermatology"),
    "12": ("神經科", "neurology"),
    "13": ("精神科", "psychiatry"),
    "14": ("復健科", "rehabilitation"),
    "15": ("整形外科", "plastic surgery"),
    "22": ("急診醫學科", "emergency medicine"),
    "2B": ("洗腎科", "haemodialysis"),
    "40": ("牙科", "dentistry"),
    "45": ("齒顎矯正科", "orthodontics"),
    "46": ("兒童牙科", "paediatric dentistry"),
    "50": ("家庭牙醫科", "family dentistry"),
    "60": ("中醫科", "Chinese medicine"),
}

PRIMARY_TEETH = tuple(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))
ALL_TEETH = frozenset(ADULT_TEETH) | frozenset(PRIMARY_TEETH)
HERBAL = "herbal"  # the medication list's class filter value for Chinese herbal preparations
_ATC_SUBGROUP = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}$")
_OUTPATIENT_KINDS = KINDS_OF_LIST[Category.OUTPATIENT]


def department(code: str, viewing: Viewing) -> dict:
    known = DEPARTMENTS.get(code)
    name = "" if known is None else known[0] if viewing.chinese else known[1]
    return {"code": code, "name": name}


def _since(viewing: Viewing, older: bool) -> dt.date | None:
    return None if older else years_back(policy.SPAN_MEDICAL_YEARS)(viewing.today)


def _by_primary_diagnosis(queryset, code: str):
    return queryset.filter(diagnoses__position=0, diagnoses__icd10=code)


def _by_institution(queryset, code: str):
    return queryset.filter(institution__code=code)


def _visits(viewing: Viewing, kinds):
    return (
        Visit.objects.filter(person=viewing.person, kind__in=kinds)
        .select_related("institution")
        .prefetch_related(Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")))
    )


def _older_flag(query) -> bool:
    return query.get("older", "") == "1"


# ---------------------------------------------------------------------------------------------------------
# Dental
# ---------------------------------------------------------------------------------------------------------


def _tooth_number(value: str) -> int:
    if not value.isdigit() or int(value) not in ALL_TEETH:
        raise ListError("tooth", _("A tooth is an FDI number: 11–48 for adult teeth, 51–85 for primary teeth."))
    return int(value)


def _by_tooth(queryset, value: str):
    return queryset.filter(non_drug_orders__tooth=_tooth_number(value)).distinct()


DENTAL_SPEC = ListSpec(
    sorts={"date": ("visit_date",), "institution": ("institution__name",), "copayment": ("copayment",),
           "points": ("points",)},
    default_sort="-date",
    date_field="visit_date",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(Filter("tooth", _by_tooth), Filter("icd", _by_primary_diagnosis), Filter("institution", _by_institution)),
)  # fmt: skip


def tooth_counts(viewing: Viewing, *, older: bool = False) -> dict[int, int]:
    """Dental visits per FDI tooth (a visit treating a tooth twice counts once) in the span, or all with older."""
    open_category(viewing, Category.DENTAL)
    orders = NonDrugOrder.objects.filter(person=viewing.person, visit__kind=Visit.Kind.DENTAL, tooth__isnull=False)
    since = _since(viewing, older)
    if since is not None:
        orders = orders.filter(visit__visit_date__gte=since)
    rows = orders.values("tooth").annotate(visits=Count("visit", distinct=True)).order_by("tooth")
    return {row["tooth"]: row["visits"] for row in rows}


def dental_list(viewing: Viewing, query) -> ListPage:
    """One page of dental visits; ``tooth`` narrows it to the visits that treated that tooth."""
    open_category(viewing, Category.DENTAL)
    params = parse_params(DENTAL_SPEC, query)
    page = page_of(
        _visits(viewing, (Visit.Kind.DENTAL,)), DENTAL_SPEC, params, viewing.today, row=lambda v: visit_row(v, viewing)
    )
    _add_teeth(page.rows, viewing)
    return page


def _add_teeth(rows: list[dict], viewing: Viewing) -> None:
    """Each visit's treated teeth and what was done to them (one query for the page)."""
    by_visit = defaultdict(list)
    orders = NonDrugOrder.objects.filter(
        person=viewing.person, visit_id__in=[r["id"] for r in rows], tooth__isnull=False
    ).order_by("visit_id", "position")
    for order in orders:
        by_visit[order.visit_id].append({"tooth": order.tooth, **payment_item(order.payment_code, viewing)})
    for row in rows:
        row["teeth"] = by_visit.get(row["id"], [])


# ---------------------------------------------------------------------------------------------------------
# Inpatient stays and discharge summaries
# ---------------------------------------------------------------------------------------------------------


def _by_year(queryset, value: str):
    if not (value.isdigit() and len(value) == 4):
        raise ListError("year", _("A year of admission is four digits, e.g. 2025."))
    return queryset.filter(visit_date__year=int(value))


# Stays stay grouped by their year of admission whatever the sort: the year leads every order.
INPATIENT_SPEC = ListSpec(
    sorts={
        "date": ("visit_date",),
        "discharge": ("admission_year", "end_date"),
        "institution": ("admission_year", "institution__name"),
        "copayment": ("admission_year", "copayment"),
        "points": ("admission_year", "points"),
    },
    default_sort="-date",
    date_field="visit_date",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(Filter("year", _by_year), Filter("icd", _by_primary_diagnosis), Filter("institution", _by_institution)),
)


def inpatient_list(viewing: Viewing, query) -> ListPage:
    """One page of inpatient stays, grouped by year of admission, each with its discharge summary if readable."""
    open_category(viewing, Category.INPATIENT)
    params = parse_params(INPATIENT_SPEC, query)
    stays = _visits(viewing, (Visit.Kind.INPATIENT,)).annotate(admission_year=ExtractYear("visit_date"))
    page = page_of(stays, INPATIENT_SPEC, params, viewing.today, row=lambda v: _stay_row(v, viewing))
    _add_discharge_summaries(page.rows, viewing)
    return page


def _stay_row(visit: Visit, viewing: Viewing) -> dict:
    return {**visit_row(visit, viewing), "year": visit.visit_date.year, "discharge_summary": None}


def _add_discharge_summaries(rows: list[dict], viewing: Viewing) -> None:
    """The discharge summary of each stay: the report linked to it, else one from the same institution dated
    within the stay. Only for a reader who may read discharge summaries (that read is logged)."""
    if not rows or not viewing.can(Category.DISCHARGE_SUMMARIES):
        return
    open_category(viewing, Category.DISCHARGE_SUMMARIES)
    first = min(r["date"] for r in rows)
    last = max(r["end_date"] or r["date"] for r in rows)
    reports = (
        Report.objects.filter(person=viewing.person, kind=Report.Kind.DISCHARGE)
        .filter(
            Q(visit_id__in=[r["id"] for r in rows])
            | Q(visit__isnull=True, performed_on__gte=first, performed_on__lte=last)
        )
        .select_related("institution")
        .order_by("performed_on", "pk")
    )
    linked, loose = {}, []
    for report in reports:
        if report.visit_id is not None:
            linked.setdefault(report.visit_id, report)
        else:
            loose.append(report)
    for row in rows:
        report = linked.get(row["id"])
        if report is None:
            end = row["end_date"] or row["date"]
            report = next(
                (
                    r
                    for r in loose
                    if r.institution.code == row["institution"]["code"] and row["date"] <= r.performed_on <= end
                ),
                None,
            )
        if report is not None:
            row["discharge_summary"] = {"id": report.pk, "title": report.title, "date": report.performed_on}


def inpatient_years(viewing: Viewing, *, older: bool = False) -> list[dict]:
    """Stays per year of admission (newest first) for the year chart and the year filter."""
    open_category(viewing, Category.INPATIENT)
    stays = Visit.objects.filter(person=viewing.person, kind=Visit.Kind.INPATIENT)
    since = _since(viewing, older)
    if since is not None:
        stays = stays.filter(visit_date__gte=since)
    rows = stays.annotate(year=ExtractYear("visit_date")).values("year").annotate(stays=Count("id")).order_by("-year")
    return [{"year": row["year"], "stays": row["stays"]} for row in rows]


def discharge_summary(viewing: Viewing, report_id) -> dict:
    """One discharge summary (出院病歷摘要) of the person; 404 (and a refused entry in its owner's log) otherwise."""
    report = (
        Report.objects.filter(person=viewing.person, pk=report_id, kind=Report.Kind.DISCHARGE)
        .select_related("institution", "visit")
        .first()
    )
    if report is None:
        raise refuse_foreign_record(viewing, Report, report_id, Category.DISCHARGE_SUMMARIES)
    open_category(viewing, Category.DISCHARGE_SUMMARIES, detail="records.report")
    stay = report.visit
    if stay is None:
        stay = (
            Visit.objects.filter(
                person=viewing.person,
                kind=Visit.Kind.INPATIENT,
                institution=report.institution,
                visit_date__lte=report.performed_on,
                end_date__gte=report.performed_on,
            )
            .order_by("-visit_date")
            .first()
        )
    return {
        "id": report.pk,
        "title": report.title,
        "date": report.performed_on,
        "text": report.text,
        "institution": {"code": report.institution.code, "name": institution_name(report.institution, viewing)},
        "stay": None
        if stay is None or not viewing.can(Category.INPATIENT)
        else {"id": stay.pk, "date": stay.visit_date, "end_date": stay.end_date},
    }


# ---------------------------------------------------------------------------------------------------------
# Surgery
# ---------------------------------------------------------------------------------------------------------


def surgery_kinds(viewing: Viewing) -> tuple[str, ...]:
    """The visit kinds whose operations the reader may see: outpatient and/or inpatient (each category opened)."""
    kinds: list[str] = []
    if viewing.can(Category.OUTPATIENT):
        open_category(viewing, Category.OUTPATIENT)
        kinds += _OUTPATIENT_KINDS
    if viewing.can(Category.INPATIENT):
        open_category(viewing, Category.INPATIENT)
        kinds.append(Visit.Kind.INPATIENT)
    if not kinds:
        open_category(viewing, Category.OUTPATIENT)  # refuses (404) and logs it
    return tuple(kinds)


def _by_site(queryset, value: str):
    if value not in BODY_SITES and value != "other":
        raise ListError("site", _("“%(value)s” is not a body site of this diagram.") % {"value": value[:40]})
    if value == "other":
        return queryset.exclude(body_site__in=list(BODY_SITES))
    return queryset.filter(body_site=value)


def _by_order_institution(queryset, code: str):
    return queryset.filter(visit__institution__code=code)


SURGERY_SPEC = ListSpec(
    sorts={"date": ("visit__visit_date",), "institution": ("visit__institution__name",), "code": ("payment_code",),
           "site": ("body_site",)},
    default_sort="-date",
    date_field="visit__visit_date",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(Filter("site", _by_site), Filter("institution", _by_order_institution)),
)  # fmt: skip


def _operations(viewing: Viewing, kinds):
    return NonDrugOrder.objects.filter(person=viewing.person, is_surgery=True, visit__kind__in=kinds)


def site_name(code: str) -> str:
    return str(BODY_SITE_NAMES[code]) if code in BODY_SITE_NAMES else str(_("Other or unspecified site"))


def surgery_sites(viewing: Viewing, *, older: bool = False) -> dict[str, int]:
    """Operations per body site (codes outside the diagram are counted under "other")."""
    kinds = surgery_kinds(viewing)
    operations = _operations(viewing, kinds)
    since = _since(viewing, older)
    if since is not None:
        operations = operations.filter(visit__visit_date__gte=since)
    counts: dict[str, int] = defaultdict(int)
    for row in operations.values("body_site").annotate(n=Count("id")).order_by("body_site"):
        counts[row["body_site"] if row["body_site"] in BODY_SITES else "other"] += row["n"]
    return dict(counts)


def surgery_list(viewing: Viewing, query) -> ListPage:
    """One page of operations (date, institution, code, name in the reader's language, site)."""
    kinds = surgery_kinds(viewing)
    params = parse_params(SURGERY_SPEC, query)
    operations = _operations(viewing, kinds).select_related("visit__institution")
    return page_of(operations, SURGERY_SPEC, params, viewing.today, row=lambda o: _operation_row(o, viewing))


def _operation_row(order: NonDrugOrder, viewing: Viewing) -> dict:
    visit = order.visit
    site = order.body_site if order.body_site in BODY_SITES else "other"
    return {
        "visit_id": visit.pk,
        "kind": visit.kind,
        "date": visit.visit_date,
        "end_date": visit.end_date,
        "institution": {"code": visit.institution.code, "name": institution_name(visit.institution, viewing)},
        **payment_item(order.payment_code, viewing),
        "site": site,
        "site_name": site_name(site),
        "copayment": visit.copayment,
        "points": visit.points,
    }


# ---------------------------------------------------------------------------------------------------------
# Medication by pharmacological class
# ---------------------------------------------------------------------------------------------------------

MEDICATION_SORTS = ("last", "name", "code", "count", "quantity")


def medication_kinds(viewing: Viewing) -> tuple[str, ...]:
    """Western outpatient and pharmacy drugs always; Chinese medicine and inpatient drugs when readable."""
    open_category(viewing, Category.OUTPATIENT)
    kinds = list(_OUTPATIENT_KINDS)
    for category, kind in ((Category.CHINESE_MEDICINE, Visit.Kind.CHINESE), (Category.INPATIENT, Visit.Kind.INPATIENT)):
        if viewing.can(category):
            open_category(viewing, category)
            kinds.append(kind)
    return tuple(kinds)


def _medication_params(query) -> tuple:
    spec = ListSpec(sorts={k: () for k in MEDICATION_SORTS}, default_sort="-last")
    params = parse_params(spec, query, extra={"class"})
    group = query.get("class", "")
    if group and group != HERBAL and not _ATC_SUBGROUP.match(group):
        raise ListError("class", _("A class is an ATC pharmacological subgroup such as C09CA, or “herbal”."))
    if group:
        params.filters["class"] = group
    return params


def _group_of(code: str, viewing: Viewing) -> dict:
    known = codes.drugs().get(code)
    if known is None:
        return {"key": "", "name": _("Unclassified"), "herbal": False}
    if known.herbal:
        return {"key": HERBAL, "name": _("Chinese herbal preparations"), "herbal": True}
    atc = known.atc_code[:5]
    return {"key": atc, "name": known.atc_class_zh if viewing.chinese else known.atc_name_en, "herbal": False}


def medication(viewing: Viewing, query) -> dict:
    """The span's drugs grouped by ATC pharmacological subgroup (first 5 characters), herbal ones apart.

    Each drug: code, name, last dispensed, dispensings, total quantity. Returns the page of drug rows (sorted by
    group, then the asked sort), the groups present (for the filter) and the list parameters.
    """
    kinds = medication_kinds(viewing)
    params = _medication_params(query)
    since = _since(viewing, params.older)
    orders = DrugOrder.objects.filter(person=viewing.person, visit__kind__in=kinds)
    has_older = False
    if since is not None:
        has_older = orders.filter(visit__visit_date__lt=since).exists()
        orders = orders.filter(visit__visit_date__gte=since)
    totals = (
        orders.values("drug_code")
        .annotate(last=Max("visit__visit_date"), dispensings=Count("id"), quantity=Sum("quantity"))
        .order_by("drug_code")
    )
    rows = []
    for total in totals:
        row = {
            **drug(total["drug_code"], viewing),
            "last_dispensed": total["last"],
            "dispensings": total["dispensings"],
            "total_quantity": total["quantity"],
        }
        group = _group_of(total["drug_code"], viewing)
        row["group"], row["group_name"], row["herbal"] = group["key"], str(group["name"]), group["herbal"]
        rows.append(row)
    groups = {}
    for row in rows:
        entry = groups.setdefault(row["group"], {"key": row["group"], "name": row["group_name"], "drugs": 0,
                                                 "herbal": row["herbal"]})  # fmt: skip
        entry["drugs"] += 1
    group_list = sorted(groups.values(), key=lambda g: (g["herbal"], g["key"] == "", g["key"]))
    wanted = params.filters.get("class")
    if wanted:
        rows = [r for r in rows if r["group"] == wanted]
    key = params.sort.lstrip("-")
    reverse = params.sort.startswith("-")
    field = {"last": "last_dispensed", "name": "name", "code": "code", "count": "dispensings",
             "quantity": "total_quantity"}[key]  # fmt: skip
    rows.sort(key=lambda r: r["code"])
    rows.sort(key=lambda r: r[field], reverse=reverse)
    order = {g["key"]: i for i, g in enumerate(group_list)}
    rows.sort(key=lambda r: order[r["group"]])  # stable: the asked sort within each group
    page = cut_page(rows, params, policy.PASSBOOK_MEDICATION_PAGE_SIZE, since=since, has_older=has_older)
    return {"page": page, "groups": group_list}


# ---------------------------------------------------------------------------------------------------------
# Refill records of chronic continuous prescriptions
# ---------------------------------------------------------------------------------------------------------

REFILL_SPEC = ListSpec(
    sorts={"date": ("visit_date",), "institution": ("institution__name",), "refill": ("refill_number",)},
    default_sort="-date",
    date_field="visit_date",
    since=years_back(policy.SPAN_MEDICAL_YEARS),
    filters=(Filter("icd", _by_primary_diagnosis), Filter("institution", _by_institution)),
)


def refill_list(viewing: Viewing, query) -> ListPage:
    """Pharmacy dispensings of chronic continuous prescriptions (慢性病連續處方箋調劑): date, department, diagnosis,
    institution, card sequence number, refill number, drugs."""
    open_category(viewing, Category.OUTPATIENT)
    params = parse_params(REFILL_SPEC, query)
    refills = (
        Visit.objects.filter(person=viewing.person, kind=Visit.Kind.PHARMACY, chronic_prescription__isnull=False)
        .select_related("institution", "chronic_prescription__institution", "chronic_prescription__visit")
        .prefetch_related(
            Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")),
            Prefetch("drug_orders", queryset=DrugOrder.objects.order_by("position")),
        )
    )
    return page_of(refills, REFILL_SPEC, params, viewing.today, row=lambda v: _refill_row(v, viewing))


def _refill_row(visit: Visit, viewing: Viewing) -> dict:
    prescription = visit.chronic_prescription
    prescribing = prescription.visit
    # A pharmacy has no department: the refill belongs to the department that wrote the prescription.
    code = visit.department or (prescribing.department if prescribing is not None else "")
    diagnoses = [diagnosis(d.icd10, viewing) for d in visit.diagnoses.all()]
    return {
        "id": visit.pk,
        "date": visit.visit_date,
        "department": department(code, viewing),
        "diagnosis": diagnoses[0] if diagnoses else diagnosis(prescription.icd10, viewing),
        "institution": {"code": visit.institution.code, "name": institution_name(visit.institution, viewing)},
        "prescribed_by": {
            "code": prescription.institution.code,
            "name": institution_name(prescription.institution, viewing),
        },
        "prescribed_on": prescription.prescribed_on,
        "card_sequence": visit.card_sequence,
        "refill_number": visit.refill_number,
        "fills": prescription.fills,
        "drugs": [
            {**drug(o.drug_code, viewing), "days_supplied": o.days_supplied, "quantity": o.quantity}
            for o in visit.drug_orders.all()
        ],
    }
