"""Reads of a person's records (DESIGN: reads in selectors); callers decide who may read and log it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from healthbank.core import codes

from .models import DrugOrder, Visit, VisitDiagnosis


@dataclass(frozen=True)
class VisitLine:
    visit: Visit
    diagnoses: list[tuple[str, str, str]]  # (ICD-10 code, Chinese name, English name)
    drugs: list[str]  # drug names


def visits_since(person, since: dt.date) -> list[VisitLine]:
    """The person's visits from ``since``, newest first, with diagnoses and drugs named from the catalogues."""
    visits = (
        Visit.objects.filter(person=person, visit_date__gte=since)
        .select_related("institution")
        .prefetch_related(
            # In the order the institution sent them (the first diagnosis is the primary one); the keys are
            # random within a millisecond, so they say nothing about order.
            Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")),
            Prefetch("drug_orders", queryset=DrugOrder.objects.order_by("position")),
        )
        .order_by("-visit_date", "-pk")
    )
    names, drugs = codes.diagnoses(), codes.drugs()
    lines = []
    for visit in visits:
        diagnoses = []
        for d in visit.diagnoses.all():
            known = names.get(d.icd10)
            diagnoses.append((d.icd10, known.name_zh if known else "", known.name_en if known else ""))
        drug_names = [drugs[o.drug_code].name if o.drug_code in drugs else o.drug_code for o in visit.drug_orders.all()]
        lines.append(VisitLine(visit, diagnoses, drug_names))
    return lines
