"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .debits import DirectDebit, DirectDebitMonth, EBillNotice, EBillSubscription
from .premiums import PremiumCalculation, PremiumPayment

__all__ = [
    "DirectDebit",
    "DirectDebitMonth",
    "EBillNotice",
    "EBillSubscription",
    "PremiumCalculation",
    "PremiumPayment",
]
