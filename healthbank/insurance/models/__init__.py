"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .cards import CardReplacementRequest
from .cases import (
    CatastrophicIllnessCase,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)
from .certificates import IssuedDocument
from .debits import DirectDebit, DirectDebitMonth, EBillNotice, EBillSubscription
from .premiums import PremiumCalculation, PremiumPayment
from .records import Letter, MailingAddress
from .township import TownshipRequest
from .unpaid import Instalment, InstalmentMonth, InstalmentPlan

__all__ = [
    "CardReplacementRequest",
    "CatastrophicIllnessCase",
    "DirectDebit",
    "DirectDebitMonth",
    "EBillNotice",
    "EBillSubscription",
    "Instalment",
    "InstalmentMonth",
    "InstalmentPlan",
    "IssuedDocument",
    "Letter",
    "MailingAddress",
    "PremiumCalculation",
    "PremiumPayment",
    "PriorReviewCase",
    "ReimbursementCase",
    "SalaryReport",
    "SubsidyCase",
    "TownshipRequest",
    "WelfareSubsidy",
]
