"""Visits: western outpatient, Chinese medicine, the top diagnoses, one visit's detail, the last of each kind."""

from __future__ import annotations

from collections import Counter

from django.db.models import Prefetch, Q

from healthbank import policy
from healthbank.records.models import DrugOrder, NonDrugOrder, Visit, VisitDiagnosis

from ..listing import Filter, ListSpec, page_of, parse_params, years_back
from ..viewing import Viewing
from .common import Category, diagnosis, drug, institution_name, open_category, payment_item, refuse_foreign_record

# Which category each kind of visit belongs to (SPEC §6.1): pharmacy refills and preventive visits are
# western outpatient care in the NHI's own lists.
CATEGORY_OF_KIND = {
    Visit.Kind.WESTERN: Category.OUTPATIENT,
    Visit.Kind.PHARMACY: Category.OUTPATIENT,
    Visit.Kind.PREVENTIVE: Category.OUTPATIENT,
    Visit.Kind.CHINESE: Category.CHINESE_MEDICINE,
    Visit.Kind.DENTAL: Category.DENTAL,
    Visit.Kind.INPATIENT: Category.INPATIENT,
}
KINDS_OF_LIST = {
    Category.OUTPATIENT: (Visit.Kind.WESTERN, Visit.Kind.PHARMACY, Visit.Kind.PREVENTIVE),
    Category.CHINESE_MEDICINE: (Visit.Kind.CHINESE,),
    Category.DENTAL: (Visit.Kind.DENTAL,),
    Category.INPATIENT: (Visit.Kind.INPATIENT,),
}
# SPEC §6.2: the top-5 chart counts neither pharmacy refills nor preventive-care visits.
KINDS_IN_TOP_DIAGNOSES = {
    Category.OUTPATIENT: (Visit.Kind.WESTERN,),
    Category.CHINESE_MEDICINE: (Visit.Kind.CHINESE,),
}


PRIMARY_POSITION = 1  # the institution's first diagnosis is the primary one (positions count from 1)


def _by_primary_diagnosis(queryset, code: str):
    return queryset.filter(diagnoses__position=PRIMARY_POSITION, diagnoses__icd10=code)


def _by_institution(queryset, code: str):
    return queryset.filter(institution__code=code)


def _kind_filter(category: str) -> Filter:
    kinds = KINDS_OF_LIST[category]
    return Filter(
        "kind", lambda qs, value: qs.filter(kind=value), choices=lambda: {k: Visit.Kind(k).label for k in kinds}
    )


def visit_list_spec(category: str) -> ListSpec:
    return ListSpec(
        sorts={"date": ("visit_date",), "institution": ("institution__name",), "copayment": ("copayment",),
               "points": ("points",)},
        default_sort="-date",
        date_field="visit_date",
        since=years_back(policy.SPAN_MEDICAL_YEARS),
        filters=(
            Filter("icd", _by_primary_diagnosis),
            Filter("institution", _by_institution),
            _kind_filter(category),
        ),
    )  # fmt: skip


def _visits(viewing: Viewing, kinds):
    return (
        Visit.objects.filter(person=viewing.person, kind__in=kinds)
        .select_related("institution")
        .prefetch_related(Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")))
    )


def visit_row(visit: Visit, viewing: Viewing) -> dict:
    diagnoses = [diagnosis(d.icd10, viewing) for d in visit.diagnoses.all()]
    return {
        "id": visit.pk,
        "kind": visit.kind,
        "kind_label": str(Visit.Kind(visit.kind).label),
        "date": visit.visit_date,
        "end_date": visit.end_date,
        "institution": {"code": visit.institution.code, "name": institution_name(visit.institution, viewing)},
        "diagnosis": diagnoses[0] if diagnoses else {"code": "", "name": ""},
        "diagnoses": diagnoses,
        "copayment": visit.copayment,
        "points": visit.points,
        "card_sequence": visit.card_sequence,
        "department": visit.department,
        "imported": visit.is_imported,
    }


def visit_list(viewing: Viewing, category: str, query) -> object:
    """One page of the person's visits of a category (outpatient, Chinese medicine, dental, inpatient)."""
    open_category(viewing, category)
    spec = visit_list_spec(category)
    params = parse_params(spec, query)
    return page_of(
        _visits(viewing, KINDS_OF_LIST[category]), spec, params, viewing.today, row=lambda v: visit_row(v, viewing)
    )


def top_diagnoses(viewing: Viewing, category: str) -> list[dict]:
    """SPEC §6.2: the most frequent primary diagnoses of the last three years (at most five), with counts."""
    open_category(viewing, category)
    since = years_back(policy.SPAN_MEDICAL_YEARS)(viewing.today)
    codes = VisitDiagnosis.objects.filter(
        person=viewing.person,
        position=PRIMARY_POSITION,
        visit__kind__in=KINDS_IN_TOP_DIAGNOSES[category],
        visit__visit_date__gte=since,
    ).values_list("icd10", flat=True)
    counted = Counter(codes)
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[: policy.TOP_DIAGNOSES_SHOWN]
    return [{**diagnosis(code, viewing), "count": count} for code, count in ranked]


def visit_detail(viewing: Viewing, visit_id) -> dict:
    """One visit with everything the NHI knows of it (SPEC §6.2 visit detail); 404 if not the person's."""
    visit = (
        Visit.objects.filter(person=viewing.person, pk=visit_id)
        .select_related("institution", "chronic_prescription")
        .prefetch_related(
            Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")),
            Prefetch("drug_orders", queryset=DrugOrder.objects.order_by("position")),
            Prefetch("non_drug_orders", queryset=NonDrugOrder.objects.order_by("position")),
            "reports",
        )
        .first()
    )
    if visit is None:
        raise refuse_foreign_record(viewing, Visit, visit_id, Category.OUTPATIENT)
    open_category(viewing, CATEGORY_OF_KIND[visit.kind], detail="records.visit")
    row = visit_row(visit, viewing)
    row["drug_orders"] = [
        {
            **drug(o.drug_code, viewing),
            "days_supplied": o.days_supplied,
            "quantity": o.quantity,
            "frequency": o.frequency,
        }
        for o in visit.drug_orders.all()
    ]
    row["non_drug_orders"] = [
        {
            **payment_item(o.payment_code, viewing),
            "quantity": o.quantity,
            "tooth": o.tooth,
            "body_site": o.body_site,
            "surgery": o.is_surgery,
        }
        for o in visit.non_drug_orders.all()
    ]
    row["reports"] = [
        {"id": r.pk, "kind": r.kind, "title": r.title, "date": r.performed_on}
        for r in visit.reports.all()
        if viewing.can(Category.DISCHARGE_SUMMARIES if r.kind == "discharge" else Category.IMAGING_PATHOLOGY)
    ]
    row["refill_number"] = visit.refill_number
    row["card_medium"] = visit.card_medium
    row["card_medium_label"] = str(Visit.CardMedium(visit.card_medium).label)
    return row


def last_visits(viewing: Viewing) -> dict[str, dict | None]:
    """Home (SPEC §6.2): the last western, dental and Chinese-medicine visit the reader may see.

    One query for the three (each kind's newest by an indexed sliced subquery) and one for their diagnoses.
    """
    kinds = []
    for kind, category in (
        (Visit.Kind.WESTERN, Category.OUTPATIENT),
        (Visit.Kind.DENTAL, Category.DENTAL),
        (Visit.Kind.CHINESE, Category.CHINESE_MEDICINE),
    ):
        if viewing.can(category):
            open_category(viewing, category)
            kinds.append(kind)
    if not kinds:
        return {}
    newest = Q()
    for kind in kinds:
        one = Visit.objects.filter(person=viewing.person, kind=kind).order_by("-visit_date", "-pk").values("pk")[:1]
        newest |= Q(pk__in=one)
    found = {visit.kind: visit_row(visit, viewing) for visit in _visits(viewing, kinds).filter(newest)}
    return {kind: found.get(kind) for kind in kinds}
