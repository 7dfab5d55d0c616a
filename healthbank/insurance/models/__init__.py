"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .premiums import PremiumCalculation, PremiumPayment
from .records import Letter, MailingAddress

__all__ = ["Letter", "MailingAddress", "PremiumCalculation", "PremiumPayment"]
