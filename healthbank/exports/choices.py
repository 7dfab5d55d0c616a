"""What a person may put in a download package (SPEC §8): which data, in which formats, cut how."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from healthbank.core.categories import DataCategory
from healthbank.records.models import IMPORTED_SOURCE as _IMPORTED_SOURCE


class ExportCategory(models.TextChoices):
    """Every data category of SPEC §6.1, the four newer ones, and the person's own measurements and calendar."""

    INSURANCE = DataCategory.INSURANCE.value, DataCategory.INSURANCE.label
    CARDS = DataCategory.CARDS.value, DataCategory.CARDS.label
    PREMIUM_CALCULATIONS = DataCategory.PREMIUM_CALCULATIONS.value, DataCategory.PREMIUM_CALCULATIONS.label
    PREMIUM_PAYMENTS = DataCategory.PREMIUM_PAYMENTS.value, DataCategory.PREMIUM_PAYMENTS.label
    OUTPATIENT = DataCategory.OUTPATIENT.value, DataCategory.OUTPATIENT.label
    INPATIENT = DataCategory.INPATIENT.value, DataCategory.INPATIENT.label
    DENTAL = DataCategory.DENTAL.value, DataCategory.DENTAL.label
    CHINESE_MEDICINE = DataCategory.CHINESE_MEDICINE.value, DataCategory.CHINESE_MEDICINE.label
    LABS = DataCategory.LABS.value, DataCategory.LABS.label
    IMAGING_PATHOLOGY = DataCategory.IMAGING_PATHOLOGY.value, DataCategory.IMAGING_PATHOLOGY.label
    DISCHARGE_SUMMARIES = DataCategory.DISCHARGE_SUMMARIES.value, DataCategory.DISCHARGE_SUMMARIES.label
    ALLERGIES = DataCategory.ALLERGIES.value, DataCategory.ALLERGIES.label
    CARE_WISHES = DataCategory.CARE_WISHES.value, DataCategory.CARE_WISHES.label
    VACCINATIONS = DataCategory.VACCINATIONS.value, DataCategory.VACCINATIONS.label
    PREVENTIVE_CARE = DataCategory.PREVENTIVE_CARE.value, DataCategory.PREVENTIVE_CARE.label
    CANCER_SCREENING = DataCategory.CANCER_SCREENING.value, DataCategory.CANCER_SCREENING.label
    DIABETES = DataCategory.DIABETES.value, DataCategory.DIABETES.label
    CKD_EARLY = DataCategory.CKD_EARLY.value, DataCategory.CKD_EARLY.label
    HEPATITIS = DataCategory.HEPATITIS.value, DataCategory.HEPATITIS.label
    MEASUREMENTS = "measurements", _("My measurements")
    CALENDAR = "calendar", _("My health calendar")


# The data category the access rule decides for each export category (the calendar is built from the
# person's own reminders, which the measurements category lends).
ACCESS_CATEGORY = {c.value: (DataCategory.MEASUREMENTS.value if c == ExportCategory.CALENDAR else c.value)
                   for c in ExportCategory}  # fmt: skip

# Outpatient and dental may be cut into one file per month (SPEC §8 "single months").
SPLITTABLE = frozenset({ExportCategory.OUTPATIENT.value, ExportCategory.DENTAL.value})


class ExportFormat(models.TextChoices):
    HTML = "html", _("Web page (HTML), readable and printable")
    MYHEALTHBANK_JSON = "json", _("My Health Bank JSON (the NHI's download format)")
    MYHEALTHBANK_XML = "xml", _("My Health Bank XML (the NHI's download format)")
    FHIR = "fhir", _("FHIR R4 JSON (Taiwan Core), for other health apps")


class Cut(models.TextChoices):
    MERGED = "merged", _("Merged: one file")
    MONTHS = "months", _("Single months: one file a month")


# The sections of the NHI's My Health Bank download and the category each holds (reference/myhealthbank).
MYHEALTHBANK_SECTIONS = {
    "r1": ExportCategory.OUTPATIENT.value,
    "r2": ExportCategory.INPATIENT.value,
    "r3": ExportCategory.DENTAL.value,
    "r4": ExportCategory.ALLERGIES.value,
    "r5": ExportCategory.CARE_WISHES.value,
    "r6": ExportCategory.VACCINATIONS.value,
    "r7": ExportCategory.LABS.value,
    "r8": ExportCategory.IMAGING_PATHOLOGY.value,
    "r9": ExportCategory.CHINESE_MEDICINE.value,
    "r10": ExportCategory.PREVENTIVE_CARE.value,
    "r11": ExportCategory.CANCER_SCREENING.value,
    "r12": ExportCategory.DIABETES.value,
    "r13": ExportCategory.CKD_EARLY.value,
    "r14": ExportCategory.HEPATITIS.value,
}

# The ``source`` of every record imported from a My Health Bank download (defined with the records).
IMPORTED_SOURCE = _IMPORTED_SOURCE
