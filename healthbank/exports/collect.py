"""Everything one download package holds, read once through the access rule (SPEC §8).

``collect`` opens every asked category through the passbook's ``open_category`` (the one access rule; every
read by someone other than the person is logged with its category) and loads the rows the pages show, over the
same spans (policy.SPAN_*), with what the writers need prefetched: the writers (HTML, My Health Bank JSON/XML,
FHIR) never query the database themselves, so a three-year package is a fixed handful of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from healthbank import policy
from healthbank.audit.models import AccessLog
from healthbank.identity.models import Enrolment, NhiCard, Person
from healthbank.insurance.models import PremiumCalculation, PremiumPayment
from healthbank.passbook.listing import span_back, years_back
from healthbank.passbook.models import Measurement
from healthbank.passbook.selectors.common import open_category
from healthbank.passbook.selectors.visits import KINDS_OF_LIST
from healthbank.passbook.viewing import Viewing
from healthbank.records.models import (
    Allergy,
    CancerScreening,
    CareWish,
    DrugOrder,
    FollowUp,
    LabResult,
    NonDrugOrder,
    PreventiveCheck,
    Report,
    Vaccination,
    Visit,
    VisitDiagnosis,
)

from .choices import ACCESS_CATEGORY, ExportCategory

C = ExportCategory

VISIT_KINDS = KINDS_OF_LIST  # which kinds of visit each category holds: the passbook's own lists
FOLLOW_UP_PROGRAMS = {
    C.DIABETES: (FollowUp.Program.DIABETES,),
    C.CKD_EARLY: (FollowUp.Program.CKD_EARLY,),
    C.HEPATITIS: (FollowUp.Program.HEPATITIS_B, FollowUp.Program.HEPATITIS_C),
}


@dataclass
class Snapshot:
    """One person's rows for each included category, oldest first, and when they were read."""

    person: Person
    viewing: Viewing
    made_at: dt.datetime
    categories: tuple[str, ...]
    rows_by_category: dict[str, list] = field(default_factory=dict)
    reminders: list = field(default_factory=list)  # the calendar's upcoming reminders (passbook Reminder)

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.made_at)

    def rows(self, category: str, month: dt.date | None = None) -> list:
        """The category's rows; with ``month`` (its first day) only the visits of that month."""
        found = self.rows_by_category.get(category, [])
        if month is None:
            return found
        return [r for r in found if _month_of(r) == month]

    def months(self, category: str) -> list[dt.date]:
        """The months (first days) a splittable category has rows in, oldest first."""
        return sorted({_month_of(r) for r in self.rows_by_category.get(category, [])})

    def record_count(self) -> int:
        """Rows and their child rows (diagnoses and orders): what the bench reports as the package's size."""
        total = 0
        for rows in self.rows_by_category.values():
            for row in rows:
                total += 1
                if isinstance(row, Visit):
                    total += len(row.diagnoses.all()) + len(row.drug_orders.all()) + len(row.non_drug_orders.all())
        return total + len(self.reminders)


def _month_of(row) -> dt.date:
    return row.visit_date.replace(day=1)


def _visits(person: Person, kinds, since: dt.date) -> list[Visit]:
    return list(
        Visit.objects.filter(person=person, kind__in=kinds, visit_date__gte=since)
        .select_related("institution", "card")
        .prefetch_related(
            Prefetch("diagnoses", queryset=VisitDiagnosis.objects.order_by("position")),
            Prefetch("drug_orders", queryset=DrugOrder.objects.order_by("position")),
            Prefetch("non_drug_orders", queryset=NonDrugOrder.objects.order_by("position")),
        )
        .order_by("visit_date", "institution__code", "card_sequence", "pk")
    )


def _load(category: str, viewing: Viewing) -> list:
    person, today = viewing.person, viewing.today
    medical_since = years_back(policy.SPAN_MEDICAL_YEARS)(today)
    if category in VISIT_KINDS:
        return _visits(person, VISIT_KINDS[category], medical_since)
    if category in FOLLOW_UP_PROGRAMS:
        return list(
            FollowUp.objects.filter(person=person, program__in=FOLLOW_UP_PROGRAMS[category])
            .select_related("institution")
            .order_by("program", "measured_on", "pk")
        )
    match category:
        case C.INSURANCE:
            return list(
                Enrolment.objects.filter(person=person)
                .select_related("unit", "household__person")
                .order_by("started_on", "pk")
            )
        case C.CARDS:
            since = span_back(policy.SPAN_CARD_RECORDS)(today)
            newest = NhiCard.objects.filter(person=person).order_by("-issued_on", "-pk")[:1]
            return list(
                (NhiCard.objects.filter(person=person, issued_on__gte=since) | NhiCard.objects.filter(pk__in=newest))
                .distinct()
                .order_by("issued_on", "pk")
            )
        case C.PREMIUM_CALCULATIONS:
            since = span_back(policy.SPAN_PREMIUM_CALCULATION)(today).replace(day=1)
            return list(
                PremiumCalculation.objects.filter(person=person, month__gte=since)
                .select_related("unit")
                .order_by("month", "pk")
            )
        case C.PREMIUM_PAYMENTS:
            since = years_back(policy.SPAN_PREMIUM_PAYMENTS_YEARS)(today)
            return list(
                PremiumPayment.objects.filter(person=person, paid_on__gte=since)
                .select_related("calculation__unit")
                .order_by("paid_on", "pk")
            )
        case C.LABS:
            return list(
                LabResult.objects.filter(person=person, collected_on__gte=medical_since)
                .select_related("institution")
                .order_by("collected_on", "lab_key", "pk")
            )
        case C.IMAGING_PATHOLOGY | C.DISCHARGE_SUMMARIES:
            kinds = (
                (Report.Kind.DISCHARGE,)
                if category == C.DISCHARGE_SUMMARIES
                else (Report.Kind.IMAGING, Report.Kind.PATHOLOGY)
            )
            return list(
                Report.objects.filter(person=person, kind__in=kinds, performed_on__gte=medical_since)
                .select_related("institution", "visit")
                .order_by("performed_on", "pk")
            )
        case C.ALLERGIES:
            return list(
                Allergy.objects.filter(person=person).select_related("institution").order_by("uploaded_on", "pk")
            )
        case C.CARE_WISHES:
            return list(CareWish.objects.filter(person=person).order_by("kind", "registered_on", "pk"))
        case C.VACCINATIONS:
            return list(
                Vaccination.objects.filter(person=person)
                .select_related("institution")
                .order_by("vaccinated_on", "vaccine_code", "pk")
            )
        case C.PREVENTIVE_CARE:
            return list(
                PreventiveCheck.objects.filter(person=person).select_related("institution").order_by("checked_on", "pk")
            )
        case C.CANCER_SCREENING:
            return list(
                CancerScreening.objects.filter(person=person)
                .select_related("institution")
                .order_by("kind", "screened_on", "pk")
            )
        case C.MEASUREMENTS:
            return list(Measurement.objects.filter(person=person).order_by("measured_on", "pk"))
        case C.CALENDAR:
            return []
    raise ValueError(f"unknown export category {category!r}")


def collect(viewing: Viewing, categories, *, detail: str = "download", what: str = AccessLog.What.PASSBOOK) -> Snapshot:
    """Read ``categories`` of the viewing's person through the access rule; ``NotReadable`` if one is refused.

    ``detail`` and ``what`` say in the access log what read them (a download, or an app through the FHIR API)."""
    wanted = [c for c in ExportCategory.values if c in set(categories)]
    snapshot = Snapshot(person=viewing.person, viewing=viewing, made_at=timezone.now(), categories=tuple(wanted))
    for category in wanted:
        open_category(viewing, ACCESS_CATEGORY[category], detail=detail, what=what)
        snapshot.rows_by_category[category] = _load(category, viewing)
    if C.CALENDAR in wanted:
        from healthbank.passbook.selectors.calendar import upcoming

        snapshot.reminders = list(upcoming(viewing))
    return snapshot


def group_by(rows, key) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return dict(grouped)
