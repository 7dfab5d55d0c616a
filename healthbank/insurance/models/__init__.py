"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .certificates import IssuedDocument
from .premiums import PremiumCalculation, PremiumPayment

__all__ = ["IssuedDocument", "PremiumCalculation", "PremiumPayment"]
