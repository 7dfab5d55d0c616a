"""Case progress and employer records (SPEC §10), fed by the NHIA and institutions through the ingestion API.

重大傷病、自墊醫療費用核退、事前審查進度查詢, 減免補助 — a case of the person, with the steps it went through
(``steps``: a list of ``{"step", "on", "note"}``, oldest first, as the sender last sent it); and
雇主投保金額、菸捐及公益彩券補助 — the insured-salary reports a unit filed and the premium subsidies paid
from the tobacco surcharge and the public-welfare lottery. Every table is a ``records.models.IngestedRecord``:
one person's, unique by (person, sender, sender's record id), corrected by re-sending (``records.services``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from healthbank.identity.models import InsuranceUnit
from healthbank.records.models import IngestedRecord, Institution, source_unique


class CaseStep(models.TextChoices):
    """A step of a case, as the person sees it on the progress line."""

    RECEIVED = "received", _("Application received")
    DOCUMENTS_REQUESTED = "documents_requested", _("More documents asked for")
    DOCUMENTS_RECEIVED = "documents_received", _("Documents received")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    PARTLY_APPROVED = "partly_approved", _("Partly approved")
    REFUSED = "refused", _("Not approved")
    PAID = "paid", _("Paid out")  # the money reached the person (已撥款), not a premium paid
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECISION_STEPS = frozenset({CaseStep.APPROVED, CaseStep.PARTLY_APPROVED, CaseStep.REFUSED})
FINAL_STEPS = frozenset({CaseStep.REFUSED, CaseStep.PAID, CaseStep.WITHDRAWN})


class CaseRecord(IngestedRecord):
    """One case: applied on a day, then the steps the sender reported (the last is where it stands)."""

    applied_on = models.DateField(_("applied on"))
    steps = models.JSONField(_("steps"), help_text=_("[{step, on, note}], oldest first"))
    status = models.CharField(_("status"), max_length=20, choices=CaseStep.choices)
    status_on = models.DateField(_("status since"))

    class Meta:
        abstract = True


class SubsidyCase(CaseRecord):
    """減免補助 — an application for a premium subsidy or reduction (low income, disability, unemployment ...)."""

    class Kind(models.TextChoices):
        LOW_INCOME = "low_income", _("Low-income household")
        NEAR_POOR = "near_poor", _("Middle-to-low-income household")
        NEAR_POOR_ELDERLY = "near_poor_elderly", _("Middle-to-low-income elderly person")
        DISABILITY = "disability", _("Person with disabilities")
        UNEMPLOYED = "unemployed", _("Unemployed worker and dependents")
        INDIGENOUS = "indigenous", _("Indigenous person without work")
        CHILDREN = "children", _("Child or youth in hardship")

    kind = models.CharField(_("subsidy"), max_length=20, choices=Kind.choices)
    share_pct = models.PositiveSmallIntegerField(
        _("share of the premium subsidised"), null=True, blank=True, help_text=_("%")
    )
    months_from = models.DateField(_("from month"), null=True, blank=True)
    months_until = models.DateField(_("until month"), null=True, blank=True)

    class Meta:
        verbose_name = _("subsidy case")
        verbose_name_plural = _("subsidy cases")
        constraints = [source_unique("subsidycase")]
        indexes = [
            models.Index(fields=["person", "-applied_on"], name="subsidycase_person_applied"),
        ]


class CatastrophicIllnessCase(CaseRecord):
    """重大傷病證明 — an application for a catastrophic-illness certificate: no copayment for that illness."""

    icd10 = models.CharField(_("ICD-10-CM code"), max_length=8)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("empty: no end"))

    class Meta:
        verbose_name = _("catastrophic-illness certificate case")
        verbose_name_plural = _("catastrophic-illness certificate cases")
        constraints = [source_unique("catastrophic")]
        indexes = [
            models.Index(fields=["person", "-applied_on"], name="catastrophic_person_applied"),
        ]


class ReimbursementCase(CaseRecord):
    """自墊醫療費用核退 — medical costs the person paid themselves (abroad, or in an emergency), claimed back."""

    class Where(models.TextChoices):
        ABROAD = "abroad", _("Abroad")
        TAIWAN = "taiwan", _("In Taiwan")

    where = models.CharField(_("where treated"), max_length=6, choices=Where.choices)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, abroad"))
    treated_from = models.DateField(_("treated from"))
    treated_until = models.DateField(_("treated until"), null=True, blank=True)
    amount_claimed = models.PositiveIntegerField(_("amount claimed"), help_text=_("NT$"))
    amount_approved = models.PositiveIntegerField(_("amount approved"), null=True, blank=True, help_text=_("NT$"))

    class Meta:
        verbose_name = _("reimbursement case")
        verbose_name_plural = _("reimbursement cases")
        constraints = [source_unique("reimbursement")]
        indexes = [
            models.Index(fields=["person", "-applied_on"], name="reimburse_person_applied"),
        ]


class PriorReviewCase(CaseRecord):
    """事前審查 — an institution's request that the NHIA approve an expensive drug, device or procedure first."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="+"
    )
    drug_code = models.CharField(_("NHI drug code"), max_length=10, blank=True)
    payment_code = models.CharField(_("NHI payment code"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("prior review case")
        verbose_name_plural = _("prior review cases")
        constraints = [source_unique("priorreview")]
        indexes = [
            models.Index(fields=["person", "-applied_on"], name="priorreview_person_applied"),
        ]


class SalaryReport(IngestedRecord):
    """投保金額申報 — the insured salary a unit reported for the person (on enrolment or a change of salary)."""

    class Reason(models.TextChoices):
        ENROLMENT = "enrolment", _("Enrolment")
        ADJUSTMENT = "adjustment", _("Salary change")

    unit = models.ForeignKey(
        InsuranceUnit, verbose_name=_("insurance unit"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    reported_on = models.DateField(_("reported on"))
    effective_on = models.DateField(_("effective from"))
    insured_salary = models.PositiveIntegerField(_("insured salary"), help_text=_("NT$ per month"))

    class Meta:
        verbose_name = _("insured-salary report")
        verbose_name_plural = _("insured-salary reports")
        constraints = [source_unique("salaryreport")]
        indexes = [
            models.Index(fields=["person", "-effective_on"], name="salaryreport_person_effective"),
        ]


class WelfareSubsidy(IngestedRecord):
    """菸捐及公益彩券補助 — a month's premium paid for the person from the tobacco surcharge or the lottery."""

    class Fund(models.TextChoices):
        TOBACCO = "tobacco", _("Tobacco health and welfare surcharge")
        LOTTERY = "lottery", _("Public welfare lottery")

    month = models.DateField(_("month"), help_text=_("first day of the month subsidised"))
    amount = models.PositiveIntegerField(_("amount"), help_text=_("NT$"))
    fund = models.CharField(pgettext_lazy("money", "source"), max_length=8, choices=Fund.choices)

    class Meta:
        verbose_name = _("tobacco or lottery premium subsidy")
        verbose_name_plural = _("tobacco and lottery premium subsidies")
        constraints = [source_unique("welfaresubsidy")]
        indexes = [
            models.Index(fields=["person", "-month"], name="welfare_person_month"),
        ]
