"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .cases import (
    CatastrophicIllnessCase,
    PriorReviewCase,
    ReimbursementCase,
    SalaryReport,
    SubsidyCase,
    WelfareSubsidy,
)
from .premiums import PremiumCalculation, PremiumPayment

__all__ = [
    "CatastrophicIllnessCase",
    "PremiumCalculation",
    "PremiumPayment",
    "PriorReviewCase",
    "ReimbursementCase",
    "SalaryReport",
    "SubsidyCase",
    "WelfareSubsidy",
]
