"""The insurance app's tables, one module per area (premiums, and each personal NHI data service)."""

from .cards import CardReplacementRequest
from .premiums import PremiumCalculation, PremiumPayment

__all__ = ["CardReplacementRequest", "PremiumCalculation", "PremiumPayment"]
