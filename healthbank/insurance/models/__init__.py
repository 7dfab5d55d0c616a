"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .cards import CardReplacementRequest
from .certificates import IssuedDocument
from .debits import DirectDebit, DirectDebitMonth, EBillNotice, EBillSubscription
from .premiums import PremiumCalculation, PremiumPayment
from .records import Letter, MailingAddress
from .township import TownshipRequest
from .unpaid import Instalment, InstalmentPlan

__all__ = [
    "CardReplacementRequest",
    "DirectDebit",
    "DirectDebitMonth",
    "EBillNotice",
    "EBillSubscription",
    "Instalment",
    "InstalmentPlan",
    "IssuedDocument",
    "Letter",
    "MailingAddress",
    "PremiumCalculation",
    "PremiumPayment",
    "TownshipRequest",
]
