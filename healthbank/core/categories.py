"""The categories of a person's data (SPEC §6.1): what a grant lends and what the access log names.

Codes, not text: the access log and grants store them, and every page says
them in the reader's language. Django's TextChoices only, no model, so the
shared kernel (``audit``) can name them without importing a domain app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    # insurance billing and payment (NHI)
    INSURANCE = "insurance", _("Insurance status")
    CARDS = "cards", _("NHI card status and issuance")
    PREMIUM_CALCULATIONS = "premium_calculations", _("Premium calculations")
    PREMIUM_PAYMENTS = "premium_payments", _("Premium payments")
    # medical (claims, card uploads, institution uploads)
    OUTPATIENT = "outpatient", _("Western-medicine outpatient visits")
    INPATIENT = "inpatient", _("Inpatient stays")
    DENTAL = "dental", _("Dental visits")
    CHINESE_MEDICINE = "chinese_medicine", _("Chinese-medicine visits")
    LABS = "labs", _("Lab test results")
    IMAGING_PATHOLOGY = "imaging_pathology", _("Imaging and pathology reports")
    DISCHARGE_SUMMARIES = "discharge_summaries", _("Discharge summaries")
    ALLERGIES = "allergies", _("Allergies")
    CARE_WISHES = "care_wishes", _("Organ-donation and hospice wishes")
    # cross-agency
    VACCINATIONS = "vaccinations", _("Vaccinations")
    PREVENTIVE_CARE = "preventive_care", _("Adult preventive care")
    # the four newer categories of the NHI's download format
    CANCER_SCREENING = "cancer_screening", _("Cancer screening")
    DIABETES = "diabetes", _("Diabetes follow-up")
    CKD_EARLY = "ckd_early", _("Early chronic kidney disease follow-up")
    HEPATITIS = "hepatitis", _("Hepatitis B and C follow-up")
    # what the person keeps themselves
    MEASUREMENTS = "measurements", _("Measurements and reminders")


ALL_CATEGORIES = frozenset(DataCategory.values)
